// The shard: torrents per address family, announce/scrape rules, totals and cleaning, under an
// injected clock.

#include "tracker/core/torrent_shard.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

using riptide::core::announce_input;
using riptide::core::announce_outcome;
using riptide::core::announce_refusal;
using riptide::core::cleaning_report;
using riptide::core::peer_event;
using riptide::core::scrape_counts;
using riptide::core::shard_totals;
using riptide::core::siphash_key;
using riptide::core::swarm_rules;
using riptide::core::torrent_shard;
using riptide::proto::address_family;
using riptide::proto::info_hash;
using riptide::proto::ipv4_endpoint;
using riptide::proto::ipv6_endpoint;

namespace {

constexpr siphash_key test_key{0xabc, 0xdef};

swarm_rules test_rules() {
  swarm_rules rules;
  rules.peer_timeout_seconds = 100;
  rules.default_peers_wanted = 10;
  rules.max_peers_ipv4 = 30;
  rules.max_peers_ipv6 = 20;
  return rules;
}

info_hash hash_of(std::uint8_t n) {
  info_hash hash;
  hash.bytes.fill(n);
  return hash;
}

ipv4_endpoint v4(std::uint32_t n) {
  return ipv4_endpoint{{10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                        static_cast<std::uint8_t>(n)},
                       6881};
}

ipv6_endpoint v6(std::uint32_t n) {
  ipv6_endpoint endpoint{{0x20, 0x01, 0x0d, 0xb8}, 6881};
  endpoint.address[14] = static_cast<std::uint8_t>(n >> 8);
  endpoint.address[15] = static_cast<std::uint8_t>(n);
  return endpoint;
}

template <typename Endpoint>
announce_input<Endpoint> input(std::uint8_t torrent, const Endpoint& endpoint, std::int64_t left,
                               peer_event event = peer_event::none, std::int32_t num_want = -1) {
  return announce_input<Endpoint>{hash_of(torrent), endpoint, left, event, num_want};
}

bool same(const scrape_counts& a, const scrape_counts& b) {
  return a.seeders == b.seeders && a.completed == b.completed && a.leechers == b.leechers;
}

bool same(const shard_totals& a, const shard_totals& b) {
  return a.torrents == b.torrents && a.seeders == b.seeders && a.leechers == b.leechers;
}

template <typename Endpoint>
bool distinct(std::vector<Endpoint> peers) {
  std::sort(peers.begin(), peers.end());
  return std::adjacent_find(peers.begin(), peers.end()) == peers.end();
}

}  // namespace

TEST_CASE("shard: announces count seeders (left == 0) and leechers", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 1);
  std::vector<ipv4_endpoint> out;

  announce_outcome outcome = shard.announce(input(1, v4(1), 0, peer_event::started), 10, out);
  CHECK(outcome.seeders == 1);
  CHECK(outcome.leechers == 0);
  CHECK(out.empty());

  outcome = shard.announce(input(1, v4(2), 1, peer_event::started), 10, out);
  CHECK(outcome.seeders == 1);
  CHECK(outcome.leechers == 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == v4(1));

  out.clear();
  outcome = shard.announce(input(1, v4(3), 1'000'000'000'000LL, peer_event::started), 10, out);
  CHECK(outcome.seeders == 1);
  CHECK(outcome.leechers == 2);
  CHECK(out.size() == 2);

  // A negative `left` is nonsense, not a seeder.
  out.clear();
  outcome = shard.announce(input(2, v4(1), -1), 10, out);
  CHECK(outcome.seeders == 0);
  CHECK(outcome.leechers == 1);

  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {1, 0, 2}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(2)), {0, 0, 1}));
  CHECK(same(shard.totals(address_family::ipv4), {2, 1, 3}));
  CHECK(same(shard.totals(address_family::ipv6), {0, 0, 0}));
}

TEST_CASE("shard: a finishing leecher becomes a seeder; completed counts once", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 2);
  std::vector<ipv4_endpoint> out;
  shard.announce(input(1, v4(1), 500, peer_event::started), 0, out);
  shard.announce(input(1, v4(2), 500, peer_event::started), 0, out);

  const announce_outcome outcome = shard.announce(input(1, v4(1), 0, peer_event::completed), 5, out);
  CHECK(outcome.seeders == 1);
  CHECK(outcome.leechers == 1);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {1, 1, 1}));

  // libtorrent may repeat "completed" (a retry): an existing seeder is not counted twice.
  shard.announce(input(1, v4(1), 0, peer_event::completed), 6, out);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {1, 1, 1}));
  CHECK(same(shard.totals(address_family::ipv4), {1, 1, 1}));

  shard.announce(input(1, v4(2), 0, peer_event::completed), 7, out);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {2, 2, 0}));
  CHECK(same(shard.totals(address_family::ipv4), {1, 2, 0}));
}

TEST_CASE("shard: stopped removes at once, returns no peers, and never creates", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 3);
  std::vector<ipv4_endpoint> out;
  shard.announce(input(1, v4(1), 0), 0, out);
  shard.announce(input(1, v4(2), 10), 0, out);
  shard.announce(input(1, v4(3), 10), 0, out);
  REQUIRE(same(shard.totals(address_family::ipv4), {1, 1, 2}));

  out.clear();
  announce_outcome outcome = shard.announce(input(1, v4(2), 10, peer_event::stopped), 1, out);
  CHECK(out.empty());
  CHECK(outcome.seeders == 1);
  CHECK(outcome.leechers == 1);
  CHECK(same(shard.totals(address_family::ipv4), {1, 1, 1}));

  // A stop for a torrent the shard does not know creates nothing.
  outcome = shard.announce(input(9, v4(2), 10, peer_event::stopped), 1, out);
  CHECK(out.empty());
  CHECK(outcome.seeders == 0);
  CHECK(outcome.leechers == 0);
  CHECK(same(shard.totals(address_family::ipv4), {1, 1, 1}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(9)), {0, 0, 0}));

  // A stop by a stranger to a known torrent changes nothing.
  shard.announce(input(1, v4(77), 0, peer_event::stopped), 1, out);
  CHECK(same(shard.totals(address_family::ipv4), {1, 1, 1}));

  // The last peer out removes the torrent.
  shard.announce(input(1, v4(1), 0, peer_event::stopped), 1, out);
  outcome = shard.announce(input(1, v4(3), 10, peer_event::stopped), 1, out);
  CHECK(out.empty());
  CHECK(outcome.seeders == 0);
  CHECK(outcome.leechers == 0);
  CHECK(same(shard.totals(address_family::ipv4), {0, 0, 0}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 0, 0}));
}

TEST_CASE("shard: scrape of an unknown torrent is zeros and creates nothing", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 4);
  std::vector<ipv4_endpoint> out;
  shard.announce(input(1, v4(1), 0), 0, out);
  const shard_totals before = shard.totals(address_family::ipv4);
  for (std::uint8_t n = 2; n < 50; ++n) {
    CHECK(same(shard.scrape(address_family::ipv4, hash_of(n)), {0, 0, 0}));
    CHECK(same(shard.scrape(address_family::ipv6, hash_of(n)), {0, 0, 0}));
  }
  CHECK(same(shard.totals(address_family::ipv4), before));
  CHECK(same(shard.totals(address_family::ipv6), {0, 0, 0}));
  // And the next announce on one of them really starts from nothing.
  const announce_outcome outcome = shard.announce(input(2, v4(2), 5), 0, out);
  CHECK(outcome.seeders == 0);
  CHECK(outcome.leechers == 1);
}

TEST_CASE("shard: IPv4 and IPv6 swarms are kept apart", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 5);
  std::vector<ipv4_endpoint> out4;
  std::vector<ipv6_endpoint> out6;
  shard.announce(input(1, v4(1), 0), 0, out4);
  shard.announce(input(1, v4(2), 0), 0, out4);
  shard.announce(input(1, v4(3), 7, peer_event::completed), 0, out4);  // a leecher: not a download

  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {2, 0, 1}));
  CHECK(same(shard.scrape(address_family::ipv6, hash_of(1)), {0, 0, 0}));
  CHECK(same(shard.totals(address_family::ipv6), {0, 0, 0}));

  // An IPv6 leecher of the same torrent sees no IPv4 peer and is counted on its own.
  const announce_outcome outcome = shard.announce(input(1, v6(1), 5), 0, out6);
  CHECK(out6.empty());
  CHECK(outcome.seeders == 0);
  CHECK(outcome.leechers == 1);
  CHECK(same(shard.scrape(address_family::ipv6, hash_of(1)), {0, 0, 1}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {2, 0, 1}));
  CHECK(same(shard.totals(address_family::ipv6), {1, 0, 1}));
  CHECK(same(shard.totals(address_family::ipv4), {1, 2, 1}));

  // Cleaning one family's peers leaves the other alone (same expiry for both here).
  shard.announce(input(1, v6(2), 0), 50, out6);
  const cleaning_report report = shard.clean(100);
  CHECK(report.peers_removed == 4);  // the three IPv4 peers and v6(1), all from t=0
  CHECK(report.torrents_removed == 1);
  CHECK(same(shard.totals(address_family::ipv4), {0, 0, 0}));
  CHECK(same(shard.totals(address_family::ipv6), {1, 1, 0}));
}

TEST_CASE("shard: clean(now) removes expired peers and empty torrents", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 6);  // peer timeout 100 s
  std::vector<ipv4_endpoint> out;
  shard.announce(input(1, v4(1), 0), 0, out);
  shard.announce(input(1, v4(2), 1), 50, out);
  shard.announce(input(2, v4(1), 1), 20, out);
  shard.announce(input(3, v4(3), 0), 80, out);
  REQUIRE(same(shard.totals(address_family::ipv4), {3, 2, 2}));

  cleaning_report report = shard.clean(99);
  CHECK(report.peers_removed == 0);
  CHECK(report.torrents_removed == 0);

  report = shard.clean(100);  // v4(1) in torrent 1 expires (announced at 0)
  CHECK(report.peers_removed == 1);
  CHECK(report.torrents_removed == 0);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 0, 1}));
  CHECK(same(shard.totals(address_family::ipv4), {3, 1, 2}));

  // A re-announce keeps a peer alive.
  shard.announce(input(2, v4(1), 1), 110, out);

  report = shard.clean(180);  // torrent 1 (v4(2), t=50) and torrent 3 (t=80) go
  CHECK(report.peers_removed == 2);
  CHECK(report.torrents_removed == 2);
  CHECK(same(shard.totals(address_family::ipv4), {1, 0, 1}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 0, 0}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(2)), {0, 0, 1}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(3)), {0, 0, 0}));

  report = shard.clean(210);
  CHECK(report.peers_removed == 1);
  CHECK(report.torrents_removed == 1);
  CHECK(same(shard.totals(address_family::ipv4), {0, 0, 0}));

  report = shard.clean(10'000);
  CHECK(report.peers_removed == 0);
  CHECK(report.torrents_removed == 0);
}

TEST_CASE("shard: a torrent's completed count outlives its last peer for the retention time", "[core][shard]") {
  swarm_rules rules = test_rules();  // peer timeout 100 s
  rules.completed_retention_seconds = 1000;
  torrent_shard shard(rules, test_key, 7);
  std::vector<ipv4_endpoint> out;
  shard.announce(input(1, v4(1), 0, peer_event::completed), 0, out);
  shard.announce(input(1, v4(1), 0, peer_event::stopped), 10, out);
  // The torrent is gone, its count is not.
  CHECK(same(shard.totals(address_family::ipv4), {0, 0, 0}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 1, 0}));
  CHECK(shard.kept_completed_counts() == 1);
  // A peer comes back: the torrent counts on from 1.
  shard.announce(input(1, v4(2), 5), 20, out);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 1, 1}));
  CHECK(shard.kept_completed_counts() == 0);
  shard.announce(input(1, v4(2), 0, peer_event::completed), 30, out);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {1, 2, 0}));
  // Its last peer expires (announced at 30): the count is kept until 130 + 1000.
  cleaning_report report = shard.clean(130);
  CHECK(report.torrents_removed == 1);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 2, 0}));
  shard.clean(1129);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 2, 0}));
  shard.clean(1130);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 0, 0}));
  CHECK(shard.kept_completed_counts() == 0);
  // A stop for a torrent that only has a kept count creates nothing and keeps the count.
  shard.announce(input(2, v4(1), 0, peer_event::completed), 2000, out);
  shard.announce(input(2, v4(1), 0, peer_event::stopped), 2000, out);
  shard.announce(input(2, v4(1), 0, peer_event::stopped), 2001, out);
  CHECK(same(shard.totals(address_family::ipv4), {0, 0, 0}));
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(2)), {0, 1, 0}));
  // Families count apart: the IPv6 swarm of the same torrent has no count of its own.
  CHECK(same(shard.scrape(address_family::ipv6, hash_of(2)), {0, 0, 0}));
  // A torrent without downloads leaves nothing behind.
  shard.announce(input(3, v4(1), 5), 2000, out);
  shard.announce(input(3, v4(1), 5, peer_event::stopped), 2000, out);
  CHECK(shard.kept_completed_counts() == 1);
}

TEST_CASE("shard: kept completed counts are bounded, and off with a retention of 0", "[core][shard]") {
  std::vector<ipv4_endpoint> out;
  const auto empty_with_one_download = [&out](torrent_shard& shard, std::uint8_t torrent) {
    shard.announce(input(torrent, v4(1), 0, peer_event::completed), 0, out);
    shard.announce(input(torrent, v4(1), 0, peer_event::stopped), 0, out);
  };
  swarm_rules rules = test_rules();
  rules.max_torrents = 2;
  torrent_shard bounded(rules, test_key, 8);
  for (std::uint8_t torrent = 1; torrent <= 3; ++torrent) empty_with_one_download(bounded, torrent);
  CHECK(bounded.kept_completed_counts() == 2);
  CHECK(same(bounded.scrape(address_family::ipv4, hash_of(3)), {0, 0, 0}));  // no room left for it
  // Taking one back makes room again.
  bounded.announce(input(1, v4(2), 5), 1, out);
  empty_with_one_download(bounded, 3);
  CHECK(same(bounded.scrape(address_family::ipv4, hash_of(3)), {0, 1, 0}));

  rules.completed_retention_seconds = 0;
  torrent_shard off(rules, test_key, 8);
  empty_with_one_download(off, 1);
  CHECK(off.kept_completed_counts() == 0);
  CHECK(same(off.scrape(address_family::ipv4, hash_of(1)), {0, 0, 0}));
}

TEST_CASE("shard: how many peers an announce gets", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 7);  // default 10, max 30 (IPv4) / 20 (IPv6)
  std::vector<ipv4_endpoint> out4;
  std::vector<ipv6_endpoint> out6;
  for (std::uint32_t i = 0; i < 100; ++i) {
    shard.announce(input(1, v4(i), 1), 0, out4);
    shard.announce(input(1, v6(i), 1), 0, out6);
  }
  const auto peers_for = [&](std::int32_t num_want, bool seeder) {
    out4.clear();
    shard.announce(input(1, v4(1000), seeder ? 0 : 1, peer_event::none, num_want), 0, out4);
    CHECK(distinct(out4));
    CHECK(std::find(out4.begin(), out4.end(), v4(1000)) == out4.end());
    return out4.size();
  };
  CHECK(peers_for(-1, false) == 10);  // the default
  CHECK(peers_for(-2, false) == 10);
  CHECK(peers_for(INT32_MIN, false) == 10);
  CHECK(peers_for(0, false) == 0);
  CHECK(peers_for(1, false) == 1);
  CHECK(peers_for(25, false) == 25);
  CHECK(peers_for(30, false) == 30);
  CHECK(peers_for(31, false) == 30);  // the cap
  CHECK(peers_for(INT32_MAX, false) == 30);
  CHECK(peers_for(-1, true) == 10);

  out6.clear();
  shard.announce(input(1, v6(1000), 1, peer_event::none, 200), 0, out6);
  CHECK(out6.size() == 20);
  CHECK(distinct(out6));
  out6.clear();
  shard.announce(input(1, v6(1001), 1, peer_event::none, -1), 0, out6);
  CHECK(out6.size() == 10);
}

TEST_CASE("shard: a seeder is given leechers only; a leecher both", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 8);
  std::vector<ipv4_endpoint> out;
  std::set<ipv4_endpoint> seeders;
  for (std::uint32_t i = 0; i < 8; ++i) {
    shard.announce(input(1, v4(i), 0), 0, out);
    seeders.insert(v4(i));
  }
  for (std::uint32_t i = 8; i < 16; ++i) shard.announce(input(1, v4(i), 3), 0, out);

  out.clear();
  shard.announce(input(1, v4(100), 0, peer_event::none, 30), 0, out);
  CHECK(out.size() == 8);
  CHECK(std::none_of(out.begin(), out.end(), [&](const auto& p) { return seeders.contains(p); }));

  out.clear();
  shard.announce(input(1, v4(101), 3, peer_event::none, 30), 0, out);
  CHECK(out.size() == 17);  // 9 seeders (v4(100) included) + 8 other leechers
  CHECK(std::count_if(out.begin(), out.end(), [&](const auto& p) { return seeders.contains(p); }) == 8);
}

TEST_CASE("shard: randomized against a model of torrents", "[core][shard][model]") {
  swarm_rules rules = test_rules();
  rules.peer_timeout_seconds = 300;
  rules.completed_retention_seconds = 400;
  torrent_shard shard(rules, test_key, 9);
  std::mt19937_64 random(0x5a4d'0001);
  const auto uniform = [&random](std::uint64_t low, std::uint64_t high) {
    return std::uniform_int_distribution<std::uint64_t>(low, high)(random);
  };

  struct model_peer {
    bool seeder = false;
    std::uint32_t expires_at = 0;
  };
  struct model_torrent {
    std::map<ipv4_endpoint, model_peer> peers;
    std::uint32_t completed = 0;
  };
  struct kept_count {
    std::uint32_t completed = 0;
    std::uint32_t until = 0;
  };
  std::map<std::uint8_t, model_torrent> model;
  std::map<std::uint8_t, kept_count> kept;  // completed counts of torrents without peers
  std::uint32_t now = 0;
  std::vector<ipv4_endpoint> out;
  std::uint64_t removed_by_cleaning = 0;
  std::uint64_t counts_taken_back = 0;
  const auto keep = [&](std::uint8_t torrent, std::uint32_t completed) {
    if (completed > 0) kept[torrent] = kept_count{completed, now + rules.completed_retention_seconds};
  };

  for (int step = 0; step < 20000; ++step) {
    INFO("step " << step);
    const auto torrent = static_cast<std::uint8_t>(uniform(0, 15));
    // Torrents 12 to 15 have few peers, so they are often left without any.
    const ipv4_endpoint endpoint = v4(static_cast<std::uint32_t>(uniform(0, torrent >= 12 ? 2 : 80)));
    const auto roll = uniform(0, 99);
    out.clear();
    if (roll < 2) {
      now += static_cast<std::uint32_t>(uniform(1, 60));
      std::uint64_t peers = 0;
      std::uint64_t torrents = 0;
      for (auto t = model.begin(); t != model.end();) {
        peers += std::erase_if(t->second.peers, [&](const auto& p) { return p.second.expires_at <= now; });
        if (t->second.peers.empty()) {
          keep(t->first, t->second.completed);
          t = model.erase(t);
          ++torrents;
        } else {
          ++t;
        }
      }
      std::erase_if(kept, [&](const auto& k) { return k.second.until <= now; });
      const cleaning_report report = shard.clean(now);
      REQUIRE(report.peers_removed == peers);
      REQUIRE(report.torrents_removed == torrents);
      removed_by_cleaning += peers;
    } else {
      constexpr std::array events{peer_event::none, peer_event::started, peer_event::completed,
                                  peer_event::stopped, peer_event::paused};
      const peer_event event = events[uniform(0, events.size() - 1)];
      const std::int64_t left = uniform(0, 2) == 0 ? 0 : static_cast<std::int64_t>(uniform(1, 1000));
      const auto num_want = static_cast<std::int32_t>(uniform(0, 40)) - 1;

      std::size_t expected_peers = 0;
      const auto t = model.find(torrent);
      if (event == peer_event::stopped) {
        if (t != model.end()) {
          t->second.peers.erase(endpoint);
          if (t->second.peers.empty()) {
            keep(torrent, t->second.completed);
            model.erase(t);
          }
        }
      } else {
        if (t == model.end()) {
          if (const auto k = kept.find(torrent); k != kept.end()) {
            model[torrent].completed = k->second.completed;  // the torrent counts on from its kept count
            kept.erase(k);
            ++counts_taken_back;
          }
        }
        model_torrent& state = model[torrent];
        const auto found = state.peers.find(endpoint);
        const bool was_seeder = found != state.peers.end() && found->second.seeder;
        if (event == peer_event::completed && left == 0 && !was_seeder) ++state.completed;
        state.peers[endpoint] = model_peer{left == 0, now + rules.peer_timeout_seconds};
        std::size_t candidates = 0;
        for (const auto& [other, peer] : state.peers) {
          if (!(other == endpoint) && (left != 0 || !peer.seeder)) ++candidates;
        }
        const std::size_t wanted = num_want < 0 ? rules.default_peers_wanted : static_cast<std::size_t>(num_want);
        expected_peers = std::min({wanted, candidates, std::size_t{rules.max_peers_ipv4}});
      }

      const announce_outcome outcome = shard.announce(input(torrent, endpoint, left, event, num_want), now, out);
      REQUIRE(out.size() == expected_peers);
      REQUIRE(distinct(out));
      std::uint32_t seeders = 0;
      std::uint32_t leechers = 0;
      if (const auto after = model.find(torrent); after != model.end()) {
        for (const auto& [other, peer] : after->second.peers) (peer.seeder ? seeders : leechers) += 1;
        for (const ipv4_endpoint& peer : out) {
          const auto it = after->second.peers.find(peer);
          REQUIRE(it != after->second.peers.end());
          REQUIRE_FALSE(peer == endpoint);
          if (left == 0) REQUIRE_FALSE(it->second.seeder);
        }
      }
      REQUIRE(outcome.seeders == seeders);
      REQUIRE(outcome.leechers == leechers);
    }

    // Every torrent's scrape, and the totals.
    shard_totals expected_totals;
    for (std::uint8_t n = 0; n < 16; ++n) {
      scrape_counts expected;
      if (const auto k = kept.find(n); k != kept.end()) expected.completed = k->second.completed;
      if (const auto t = model.find(n); t != model.end()) {
        ++expected_totals.torrents;
        expected.completed = t->second.completed;
        for (const auto& [other, peer] : t->second.peers) (peer.seeder ? expected.seeders : expected.leechers) += 1;
        expected_totals.seeders += expected.seeders;
        expected_totals.leechers += expected.leechers;
      }
      REQUIRE(same(shard.scrape(address_family::ipv4, hash_of(n)), expected));
    }
    REQUIRE(same(shard.totals(address_family::ipv4), expected_totals));
    REQUIRE(same(shard.totals(address_family::ipv6), {0, 0, 0}));
    REQUIRE(shard.kept_completed_counts() == kept.size());
  }
  CHECK(removed_by_cleaning > 0);
  CHECK(counts_taken_back > 0);
}

TEST_CASE("shard: a full shard refuses new torrents and new peers, and keeps serving the others",
          "[core][shard]") {
  swarm_rules rules = test_rules();
  rules.max_torrents = 2;
  rules.max_peers = 3;
  torrent_shard shard(rules, test_key, 12);
  std::vector<ipv4_endpoint> out;
  CHECK_FALSE(shard.announce(input(1, v4(1), 0), 0, out).refused());
  CHECK_FALSE(shard.announce(input(2, v4(2), 5), 0, out).refused());
  // A third torrent is refused, and nothing of it is kept.
  CHECK(shard.announce(input(3, v4(3), 5), 0, out).refused());
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(3)), {0, 0, 0}));
  CHECK(shard.totals(address_family::ipv4).torrents == 2);
  // A third peer fits; a fourth does not, but peers already in keep announcing.
  CHECK_FALSE(shard.announce(input(1, v4(4), 5), 0, out).refused());
  const announce_outcome refused = shard.announce(input(1, v4(5), 5), 0, out);
  CHECK(refused.refusal == announce_refusal::tracker_full);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {1, 0, 1}));
  CHECK_FALSE(shard.announce(input(1, v4(4), 0, peer_event::completed), 1, out).refused());
  // A stop frees a place.
  shard.announce(input(2, v4(2), 5, peer_event::stopped), 2, out);
  CHECK_FALSE(shard.announce(input(1, v4(5), 5), 3, out).refused());
  // IPv6 has its own bounds.
  std::vector<ipv6_endpoint> out6;
  CHECK_FALSE(shard.announce(input(9, v6(1), 5), 3, out6).refused());
}

TEST_CASE("shard: one source holds at most max_peers_per_source peers, and no other source is held back",
          "[core][shard]") {
  swarm_rules rules = test_rules();
  rules.max_peers_per_source = 3;
  torrent_shard shard(rules, test_key, 13);
  std::vector<ipv4_endpoint> out;
  const ipv4_endpoint source = v4(1);
  for (std::uint8_t t = 1; t <= 3; ++t) CHECK_FALSE(shard.announce(input(t, source, 5), 0, out).refused());
  // A fourth torrent is refused, and nothing of it is kept.
  CHECK(shard.announce(input(4, source, 5), 0, out).refusal == announce_refusal::source_full);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(4)), {0, 0, 0}));
  // So is another port of the same address: the source is the address.
  ipv4_endpoint other_port = source;
  other_port.port = 7000;
  CHECK(shard.announce(input(1, other_port, 5), 0, out).refusal == announce_refusal::source_full);
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(1)), {0, 0, 1}));
  // Its peers keep announcing, completing included.
  CHECK_FALSE(shard.announce(input(1, source, 5), 1, out).refused());
  CHECK_FALSE(shard.announce(input(2, source, 0, peer_event::completed), 1, out).refused());
  CHECK(same(shard.scrape(address_family::ipv4, hash_of(2)), {1, 1, 0}));
  // Another source is not held back, in the same torrents or others.
  CHECK_FALSE(shard.announce(input(4, v4(2), 5), 1, out).refused());
  CHECK_FALSE(shard.announce(input(1, v4(2), 5), 1, out).refused());
  // A stop gives the source a place back.
  shard.announce(input(2, source, 0, peer_event::stopped), 2, out);
  CHECK_FALSE(shard.announce(input(4, source, 5), 2, out).refused());
  CHECK(shard.announce(input(5, source, 5), 2, out).refusal == announce_refusal::source_full);
  // Expiry does too: at 200 every peer is gone, and the source has its three places again.
  shard.clean(200);
  CHECK(shard.totals(address_family::ipv4).torrents == 0);
  for (std::uint8_t t = 6; t <= 8; ++t) CHECK_FALSE(shard.announce(input(t, source, 5), 200, out).refused());
  CHECK(shard.announce(input(9, source, 5), 200, out).refusal == announce_refusal::source_full);
}

TEST_CASE("shard: an IPv6 source is its prefix, a /56 unless set", "[core][shard]") {
  const unsigned bits = GENERATE(56U, 64U);
  INFO("/" << bits);
  swarm_rules rules = test_rules();
  rules.max_peers_per_source = 2;
  rules.ipv6_source_prefix_bits = bits;
  torrent_shard shard(rules, test_key, 14);
  std::vector<ipv6_endpoint> out;
  // v6(n) differ in the last bytes only: one /64.
  CHECK_FALSE(shard.announce(input(1, v6(1), 5), 0, out).refused());
  CHECK_FALSE(shard.announce(input(1, v6(2), 5), 0, out).refused());
  CHECK(shard.announce(input(2, v6(3), 5), 0, out).refusal == announce_refusal::source_full);
  // Another /64 of the same /56: the same source unless sources are /64s.
  ipv6_endpoint next_network = v6(3);
  next_network.address[7] = 1;
  CHECK(shard.announce(input(2, next_network, 5), 0, out).refused() == (bits == 56));
  ipv6_endpoint next_prefix = v6(4);
  next_prefix.address[6] = 1;
  CHECK_FALSE(shard.announce(input(3, next_prefix, 5), 0, out).refused());
}

TEST_CASE("shard: a new torrent refused for its source never enters the map", "[core][shard]") {
  swarm_rules rules = test_rules();
  rules.max_peers_per_source = 1;
  torrent_shard shard(rules, test_key, 16);
  const auto hash_number = [](std::uint32_t n) {
    info_hash hash{};
    std::memcpy(hash.bytes.data(), &n, sizeof n);
    return hash;
  };
  std::vector<ipv4_endpoint> out;
  const ipv4_endpoint full = v4(1);
  REQUIRE_FALSE(shard.announce({hash_number(0), full, 5, peer_event::none, -1}, 0, out).refused());
  // Between torrents that other sources add one by one, the full source names a new torrent: at
  // the size where the map grows, taking the torrent before refusing it would grow the map.
  for (std::uint32_t t = 1; t < 300; ++t) {
    const std::size_t capacity = shard.torrent_capacity();
    REQUIRE(shard.announce({hash_number(100'000 + t), full, 5, peer_event::none, -1}, 0, out).refusal ==
            announce_refusal::source_full);
    REQUIRE(shard.torrent_capacity() == capacity);
    REQUIRE_FALSE(shard.announce({hash_number(t), v4(1000 + t), 5, peer_event::none, -1}, 0, out).refused());
  }
  CHECK(shard.totals(address_family::ipv4).torrents == 300);
}

TEST_CASE("shard: max_peers_per_source 0 is no limit", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 15);
  std::vector<ipv4_endpoint> out;
  for (unsigned t = 0; t < 256; ++t) {
    REQUIRE_FALSE(shard.announce(input(static_cast<std::uint8_t>(t), v4(1), 5), 0, out).refused());
  }
  CHECK(shard.totals(address_family::ipv4).torrents == 256);
}

TEST_CASE("shard: once a flood of torrents has expired, its map gives its room back", "[core][shard]") {
  torrent_shard shard(test_rules(), test_key, 1);
  const auto many_hash = [](std::uint32_t n) {
    info_hash hash{};
    for (std::size_t i = 0; i < 4; ++i) hash.bytes[i] = static_cast<std::uint8_t>(n >> (8 * i));
    return hash;
  };
  std::vector<ipv4_endpoint> peers;
  for (std::uint32_t n = 0; n < 20000; ++n) {
    shard.announce(announce_input<ipv4_endpoint>{many_hash(n), v4(n), 100, peer_event::started, -1}, 0, peers);
  }
  const std::size_t flooded = shard.torrent_capacity();
  REQUIRE(flooded >= 20000);
  // 100 torrents stay (their peer completes at 90), the rest expire at 100.
  for (std::uint32_t n = 0; n < 100; ++n) {
    shard.announce(announce_input<ipv4_endpoint>{many_hash(n), v4(n), 0, peer_event::completed, -1}, 90, peers);
  }
  const cleaning_report report = shard.clean(150);
  CHECK(report.torrents_removed == 19900);
  CHECK(shard.torrent_capacity() < flooded / 16);
  CHECK(same(shard.totals(address_family::ipv4), shard_totals{100, 100, 0}));
  for (std::uint32_t n = 0; n < 100; ++n) {
    CHECK(same(shard.scrape(address_family::ipv4, many_hash(n)), scrape_counts{1, 1, 0}));
  }
  // A survivor is still found by an announce: a newcomer gets its one seeder.
  const announce_outcome outcome =
      shard.announce(announce_input<ipv4_endpoint>{many_hash(7), v4(99999), 100, peer_event::none, -1}, 151, peers);
  CHECK(outcome.seeders == 1);
  CHECK(peers == std::vector<ipv4_endpoint>{v4(7)});
}
