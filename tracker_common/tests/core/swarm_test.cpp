// Swarm rules, with time and randomness passed in. The large randomized test checks the swarm
// against a plain std::map after every operation, across the index build/drop thresholds.

#include "tracker/core/swarm.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <span>
#include <vector>

#include "tracker/proto/types.hpp"

using riptide::core::keyed_endpoint_hasher;
using riptide::core::peer_count_change;
using riptide::core::peer_event;
using riptide::core::siphash_key;
using riptide::core::swarm;
using riptide::core::swarm_announce;
using riptide::proto::ipv4_endpoint;
using riptide::proto::ipv6_endpoint;

namespace {

// The swarm keeps expiry in 16 bits; the tests think in 32-bit seconds (see coarse_clock).
riptide::core::coarse_time coarse(std::uint32_t seconds) { return static_cast<riptide::core::coarse_time>(seconds); }

using swarm4 = swarm<ipv4_endpoint>;

ipv4_endpoint v4(std::uint32_t n, std::uint16_t port = 6881) {
  return ipv4_endpoint{{10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                        static_cast<std::uint8_t>(n)},
                       port};
}

ipv6_endpoint v6(std::uint32_t n, std::uint16_t port = 6881) {
  ipv6_endpoint endpoint{{0x20, 0x01, 0x0d, 0xb8}, port};
  endpoint.address[13] = static_cast<std::uint8_t>(n >> 16);
  endpoint.address[14] = static_cast<std::uint8_t>(n >> 8);
  endpoint.address[15] = static_cast<std::uint8_t>(n);
  return endpoint;
}

// A swarm with the hasher, random source and output buffer every call needs.
template <typename Endpoint>
struct fixture {
  swarm<Endpoint> peers;
  keyed_endpoint_hasher hasher{siphash_key{0x1111, 0x2222}};
  std::mt19937_64 random{42};
  std::vector<Endpoint> out;

  peer_count_change announce(const Endpoint& endpoint, bool seeder, peer_event event, std::uint32_t expires_at,
                             std::size_t wanted = 50) {
    out.clear();
    return peers.announce(swarm_announce<Endpoint>{endpoint, seeder, event, coarse(expires_at), wanted}, hasher, random,
                          out);
  }
};

// remove_expired's report of each peer removed, where a test does not look at it.
constexpr auto ignore_removed = [](const auto&) {};

template <typename Endpoint>
bool contains(const std::vector<Endpoint>& list, const Endpoint& endpoint) {
  return std::find(list.begin(), list.end(), endpoint) != list.end();
}

template <typename Endpoint>
bool contains(std::span<const riptide::core::peer_entry<Endpoint>> list, const Endpoint& endpoint) {
  return std::any_of(list.begin(), list.end(), [&](const auto& entry) { return entry.endpoint == endpoint; });
}

template <typename Endpoint>
bool distinct(std::vector<Endpoint> peers) {
  std::sort(peers.begin(), peers.end());
  return std::adjacent_find(peers.begin(), peers.end()) == peers.end();
}

}  // namespace

TEST_CASE("swarm: seeder exactly when left == 0, counted apart", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  CHECK(f.peers.empty());

  auto change = f.announce(v4(1), true, peer_event::started, 100);
  CHECK(change.seeders == 1);
  CHECK(change.leechers == 0);
  change = f.announce(v4(2), false, peer_event::started, 100);
  CHECK(change.seeders == 0);
  CHECK(change.leechers == 1);
  f.announce(v4(3), false, peer_event::none, 100);

  CHECK(f.peers.seeders() == 1);
  CHECK(f.peers.leechers() == 2);
  CHECK(f.peers.peers() == 3);
  CHECK_FALSE(f.peers.empty());
  CHECK(contains(f.peers.seeder_list(), v4(1)));
  CHECK(contains(f.peers.leecher_list(), v4(2)));
  CHECK(contains(f.peers.leecher_list(), v4(3)));

  // A re-announce in the same state changes no count, only the expiry.
  change = f.announce(v4(2), false, peer_event::none, 500);
  CHECK(change.seeders == 0);
  CHECK(change.leechers == 0);
  CHECK(f.peers.leechers() == 2);
  const auto& leechers = f.peers.leecher_list();
  const auto it = std::find_if(leechers.begin(), leechers.end(), [](const auto& e) { return e.endpoint == v4(2); });
  REQUIRE(it != leechers.end());
  CHECK(it->expires_at == 500);
}

TEST_CASE("swarm: a peer is its address and port", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  f.announce(v4(1, 1000), false, peer_event::started, 100);
  f.announce(v4(1, 1001), false, peer_event::started, 100);
  f.announce(v4(1, 1000), false, peer_event::none, 100);
  CHECK(f.peers.leechers() == 2);
  // The same address and port is the same peer, whatever else changes.
  f.announce(v4(1, 1001), true, peer_event::none, 100);
  CHECK(f.peers.leechers() == 1);
  CHECK(f.peers.seeders() == 1);
}

TEST_CASE("swarm: a leecher that finishes moves to the seeders, and back", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  f.announce(v4(1), false, peer_event::started, 100);
  f.announce(v4(2), false, peer_event::started, 100);

  auto change = f.announce(v4(1), true, peer_event::none, 200);
  CHECK(change.seeders == 1);
  CHECK(change.leechers == -1);
  CHECK(f.peers.seeders() == 1);
  CHECK(f.peers.leechers() == 1);
  CHECK(contains(f.peers.seeder_list(), v4(1)));
  CHECK_FALSE(contains(f.peers.leecher_list(), v4(1)));
  CHECK(f.peers.seeder_list().front().expires_at == 200);

  // A seeder whose data went missing (left > 0 again) is a leecher again.
  change = f.announce(v4(1), false, peer_event::none, 300);
  CHECK(change.seeders == -1);
  CHECK(change.leechers == 1);
  CHECK(f.peers.seeders() == 0);
  CHECK(f.peers.leechers() == 2);
  CHECK(contains(f.peers.leecher_list(), v4(1)));
}

TEST_CASE("swarm: completed counts once per completion", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  f.announce(v4(1), false, peer_event::started, 100);
  CHECK(f.peers.completed() == 0);

  f.announce(v4(1), true, peer_event::completed, 100);
  CHECK(f.peers.completed() == 1);
  CHECK(f.peers.seeders() == 1);

  // A client that repeats its completed event (already a seeder) is not counted again.
  f.announce(v4(1), true, peer_event::completed, 100);
  f.announce(v4(1), true, peer_event::completed, 100);
  CHECK(f.peers.completed() == 1);

  // Regular announces and started do not count.
  f.announce(v4(1), true, peer_event::none, 100);
  f.announce(v4(2), true, peer_event::started, 100);
  CHECK(f.peers.completed() == 1);

  // A peer unknown to the tracker that says completed (e.g. after a tracker restart) counts.
  f.announce(v4(3), true, peer_event::completed, 100);
  CHECK(f.peers.completed() == 2);

  // Stopping does not uncount.
  f.announce(v4(1), true, peer_event::stopped, 100);
  CHECK(f.peers.completed() == 2);

  // A leecher (left > 0) that says completed, however often, is not a download.
  f.announce(v4(4), false, peer_event::completed, 100);
  f.announce(v4(4), false, peer_event::completed, 100);
  CHECK(f.peers.completed() == 2);
}

TEST_CASE("swarm: stopped removes the peer at once and returns no peers", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  for (std::uint32_t i = 1; i <= 5; ++i) f.announce(v4(i), i % 2 == 0, peer_event::started, 100);
  REQUIRE(f.peers.peers() == 5);

  auto change = f.announce(v4(2), true, peer_event::stopped, 100);
  CHECK(change.seeders == -1);
  CHECK(change.leechers == 0);
  CHECK(f.out.empty());
  CHECK(f.peers.seeders() == 1);
  CHECK_FALSE(contains(f.peers.seeder_list(), v4(2)));

  // The flag in a stop does not matter: the peer is found where it is.
  change = f.announce(v4(3), true, peer_event::stopped, 100);
  CHECK(change.seeders == 0);
  CHECK(change.leechers == -1);
  CHECK(f.out.empty());
  CHECK(f.peers.leechers() == 2);

  // Stopping an unknown peer changes nothing and returns nothing.
  change = f.announce(v4(99), false, peer_event::stopped, 100);
  CHECK(change.seeders == 0);
  CHECK(change.leechers == 0);
  CHECK(f.out.empty());
  CHECK(f.peers.peers() == 3);

  for (const std::uint32_t i : {1U, 4U, 5U}) f.announce(v4(i), false, peer_event::stopped, 100);
  CHECK(f.peers.empty());
}

TEST_CASE("swarm: remove_expired drops peers whose expiry has come", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  f.announce(v4(1), true, peer_event::started, 100);
  f.announce(v4(2), false, peer_event::started, 200);
  f.announce(v4(3), false, peer_event::started, 300);
  f.announce(v4(4), true, peer_event::started, 300);

  // Each peer removed is told, and only those (the shard counts peers per source with it).
  std::vector<ipv4_endpoint> removed;
  const auto expire_at = [&](std::uint32_t now) {
    removed.clear();
    return f.peers.remove_expired(coarse(now), f.hasher, [&](const ipv4_endpoint& gone) { removed.push_back(gone); });
  };
  auto change = expire_at(99);
  CHECK(change.seeders == 0);
  CHECK(change.leechers == 0);
  CHECK(f.peers.peers() == 4);
  CHECK(removed.empty());

  change = expire_at(100);  // an expiry of 100 has come at 100
  CHECK(change.seeders == -1);
  CHECK(change.leechers == 0);
  CHECK(f.peers.seeders() == 1);
  CHECK(removed == std::vector<ipv4_endpoint>{v4(1)});

  // A re-announce pushes the expiry forward.
  f.announce(v4(2), false, peer_event::none, 1000);
  change = expire_at(300);
  CHECK(change.seeders == -1);
  CHECK(change.leechers == -1);
  CHECK(f.peers.seeders() == 0);
  CHECK(f.peers.leechers() == 1);
  CHECK(contains(f.peers.leecher_list(), v4(2)));
  CHECK(removed.size() == 2);
  CHECK(contains(removed, v4(3)));
  CHECK(contains(removed, v4(4)));

  change = expire_at(5000);
  CHECK(change.leechers == -1);
  CHECK(f.peers.empty());
  CHECK(removed == std::vector<ipv4_endpoint>{v4(2)});
}

TEST_CASE("swarm: peer selection", "[core][swarm]") {
  // Sizes below and above the index threshold; wanted below, at and above the swarm size.
  for (const std::uint32_t size : {1U, 2U, 3U, 10U, 33U, 100U}) {
    for (const std::size_t wanted : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{size - 1},
                                     std::size_t{size}, std::size_t{size + 10}}) {
      fixture<ipv4_endpoint> f;
      // Peers 0..size-1; every third one a seeder.
      for (std::uint32_t i = 0; i < size; ++i) f.announce(v4(i), i % 3 == 0, peer_event::started, 1000, 0);
      const std::size_t seeders = f.peers.seeders();
      const std::size_t leechers = f.peers.leechers();
      for (std::uint32_t self = 0; self < size; self += (size > 10 ? 7 : 1)) {
        const bool self_seeder = self % 3 == 0;
        INFO("size " << size << " wanted " << wanted << " self " << self);
        f.announce(v4(self), self_seeder, peer_event::none, 1000, wanted);
        CHECK(f.peers.peers() == size);
        // Candidates: leechers for a seeder, everyone for a leecher, never the announcer.
        const std::size_t candidates = self_seeder ? leechers : seeders + leechers - 1;
        CHECK(f.out.size() == std::min(wanted, candidates));
        CHECK(distinct(f.out));
        for (const ipv4_endpoint& peer : f.out) {
          CHECK_FALSE(peer == v4(self));
          const bool is_seeder = contains(f.peers.seeder_list(), peer);
          CHECK((is_seeder || contains(f.peers.leecher_list(), peer)));
          if (self_seeder) CHECK_FALSE(is_seeder);
        }
      }
    }
  }
}

TEST_CASE("swarm: a leecher is given seeders and leechers, a seeder only leechers", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  for (std::uint32_t i = 0; i < 10; ++i) f.announce(v4(i), true, peer_event::started, 1000);
  for (std::uint32_t i = 10; i < 20; ++i) f.announce(v4(i), false, peer_event::started, 1000);

  f.announce(v4(10), false, peer_event::none, 1000, 100);
  REQUIRE(f.out.size() == 19);
  CHECK(std::count_if(f.out.begin(), f.out.end(), [&](const auto& p) { return contains(f.peers.seeder_list(), p); }) ==
        10);

  f.announce(v4(0), true, peer_event::none, 1000, 100);
  REQUIRE(f.out.size() == 10);
  CHECK(std::none_of(f.out.begin(), f.out.end(), [&](const auto& p) { return contains(f.peers.seeder_list(), p); }));

  // A new seeder in a swarm of seeders only gets nothing.
  fixture<ipv4_endpoint> seeds;
  for (std::uint32_t i = 0; i < 5; ++i) seeds.announce(v4(i), true, peer_event::started, 1000);
  CHECK(seeds.out.empty());
}

TEST_CASE("swarm: partial selections start at random places", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  for (std::uint32_t i = 0; i < 100; ++i) f.announce(v4(i), false, peer_event::started, 1000);
  std::set<ipv4_endpoint> seen;
  for (int round = 0; round < 200; ++round) {
    f.announce(v4(0), false, peer_event::none, 1000, 5);
    REQUIRE(f.out.size() == 5);
    seen.insert(f.out.begin(), f.out.end());
  }
  // Every other peer gets handed out sooner or later, not the same window each time.
  CHECK(seen.size() == 99);
}

TEST_CASE("swarm: the index is built past 32 peers and dropped below 16", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  for (std::uint32_t i = 0; i < 32; ++i) f.announce(v4(i), i % 2 == 0, peer_event::started, 1000);
  CHECK_FALSE(f.peers.has_index());
  f.announce(v4(32), false, peer_event::started, 1000);
  CHECK(f.peers.has_index());

  // With the index: lookups, status changes and removals.
  f.announce(v4(1), true, peer_event::completed, 1000);  // leecher -> seeder
  CHECK(f.peers.seeders() == 17);
  CHECK(f.peers.leechers() == 16);
  CHECK(f.peers.completed() == 1);
  f.announce(v4(1), true, peer_event::none, 2000);
  CHECK(f.peers.peers() == 33);

  for (std::uint32_t i = 0; i <= 17; ++i) f.announce(v4(i), false, peer_event::stopped, 0);
  CHECK(f.peers.peers() == 15);
  CHECK_FALSE(f.peers.has_index());
  for (std::uint32_t i = 18; i <= 32; ++i) {
    CHECK((contains(f.peers.seeder_list(), v4(i)) || contains(f.peers.leecher_list(), v4(i))));
  }
  // Without the index again, the same peers are found.
  f.announce(v4(20), true, peer_event::none, 1000);
  f.announce(v4(21), false, peer_event::none, 1000);
  CHECK(f.peers.peers() == 15);

  // Expiry rebuilds (or drops) the index as well.
  for (std::uint32_t i = 100; i < 150; ++i) f.announce(v4(i), false, peer_event::started, 5000);
  CHECK(f.peers.has_index());
  f.peers.remove_expired(coarse(3000), f.hasher, ignore_removed);
  CHECK(f.peers.peers() == 50);
  CHECK(f.peers.has_index());
  f.announce(v4(120), false, peer_event::stopped, 0);
  CHECK(f.peers.peers() == 49);
  f.peers.remove_expired(coarse(6000), f.hasher, ignore_removed);
  CHECK(f.peers.empty());
  CHECK_FALSE(f.peers.has_index());
}

namespace {

struct model_peer {
  bool seeder = false;
  std::uint32_t expires_at = 0;
};

// The position of the first entry of `list` that the model does not hold as it is, or -1. (With
// the counts equal, this also proves that every model peer is in the list.)
template <typename Endpoint>
std::ptrdiff_t list_mismatch(std::span<const riptide::core::peer_entry<Endpoint>> list, bool seeders,
                             const std::map<Endpoint, model_peer>& model) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto it = model.find(list[i].endpoint);
    if (it == model.end() || it->second.seeder != seeders || coarse(it->second.expires_at) != list[i].expires_at) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

// Runs random operations on a swarm and on a std::map model, and compares them after every one.
template <typename Endpoint, typename MakeEndpoint>
void run_model_test(std::uint64_t seed, std::uint32_t address_pool, std::size_t min_peak, MakeEndpoint make_endpoint) {
  fixture<Endpoint> f;
  std::mt19937_64 random(seed);
  std::map<Endpoint, model_peer> model;
  std::uint32_t completed = 0;
  std::uint32_t now = 1000;
  std::size_t index_builds = 0;
  std::size_t index_drops = 0;
  bool had_index = false;
  std::size_t peak = 0;

  const auto uniform = [&random](std::uint64_t low, std::uint64_t high) {
    return std::uniform_int_distribution<std::uint64_t>(low, high)(random);
  };

  // Phases: grow to about 1000 peers, shrink to a handful, grow again, then churn around the
  // thresholds, so the index is built and dropped several times.
  struct phase {
    int operations;
    int stop_percent;
  };
  const std::vector<phase> phases = {{3000, 5}, {3000, 95}, {600, 25}, {2000, 95}, {4000, 50}};
  int step = 0;
  for (const phase& p : phases) {
    for (int op = 0; op < p.operations; ++op, ++step) {
      INFO("step " << step);
      const Endpoint endpoint = make_endpoint(static_cast<std::uint32_t>(uniform(0, address_pool - 1)),
                                              static_cast<std::uint16_t>(uniform(1, 2)));
      const auto roll = static_cast<int>(uniform(0, 99));
      peer_count_change expected;
      peer_count_change change;

      if (roll < 1) {
        // Time passes and expired peers go.
        now += static_cast<std::uint32_t>(uniform(1, 100));
        for (auto it = model.begin(); it != model.end();) {
          if (it->second.expires_at <= now) {
            (it->second.seeder ? expected.seeders : expected.leechers) -= 1;
            it = model.erase(it);
          } else {
            ++it;
          }
        }
        change = f.peers.remove_expired(coarse(now), f.hasher, ignore_removed);
      } else if (roll < 1 + p.stop_percent) {
        // Stop: prefer a peer that is there, so the swarm really shrinks.
        Endpoint target = endpoint;
        if (!model.empty() && uniform(0, 9) != 0) {
          auto it = model.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(uniform(0, model.size() - 1)));
          target = it->first;
        }
        if (const auto it = model.find(target); it != model.end()) {
          (it->second.seeder ? expected.seeders : expected.leechers) -= 1;
          model.erase(it);
        }
        change = f.announce(target, uniform(0, 1) == 0, peer_event::stopped, now + 500);
        REQUIRE(f.out.empty());
      } else {
        const bool seeder = uniform(0, 2) == 0;
        constexpr std::array events{peer_event::none, peer_event::started, peer_event::completed,
                                    peer_event::paused};
        const peer_event event = events[uniform(0, 3)];
        const std::uint32_t expires_at = now + static_cast<std::uint32_t>(uniform(500, 5000));
        const std::size_t wanted = uniform(0, 60);

        const auto found = model.find(endpoint);
        const bool was_seeder = found != model.end() && found->second.seeder;
        if (event == peer_event::completed && seeder && !was_seeder) ++completed;
        if (found == model.end()) {
          (seeder ? expected.seeders : expected.leechers) += 1;
        } else if (found->second.seeder != seeder) {
          (seeder ? expected.seeders : expected.leechers) += 1;
          (seeder ? expected.leechers : expected.seeders) -= 1;
        }
        model[endpoint] = model_peer{seeder, expires_at};

        change = f.announce(endpoint, seeder, event, expires_at, wanted);

        // The selection: distinct, never the announcer, members only, leechers only for a seeder,
        // and as many as wanted or as there are candidates.
        std::size_t candidates = 0;
        for (const auto& [other, state] : model) {
          if (!(other == endpoint) && (!seeder || !state.seeder)) ++candidates;
        }
        REQUIRE(f.out.size() == std::min(wanted, candidates));
        REQUIRE(distinct(f.out));
        for (const Endpoint& peer : f.out) {
          REQUIRE_FALSE(peer == endpoint);
          const auto it = model.find(peer);
          REQUIRE(it != model.end());
          if (seeder) REQUIRE_FALSE(it->second.seeder);
        }
      }

      REQUIRE(change.seeders == expected.seeders);
      REQUIRE(change.leechers == expected.leechers);

      // Counts and membership, both lists against the model.
      std::size_t model_seeders = 0;
      for (const auto& [other, state] : model) model_seeders += state.seeder ? 1 : 0;
      REQUIRE(f.peers.seeders() == model_seeders);
      REQUIRE(f.peers.leechers() == model.size() - model_seeders);
      REQUIRE(f.peers.completed() == completed);
      REQUIRE(f.peers.empty() == model.empty());
      REQUIRE(list_mismatch(f.peers.seeder_list(), true, model) == -1);
      REQUIRE(list_mismatch(f.peers.leecher_list(), false, model) == -1);

      if (f.peers.has_index() && !had_index) ++index_builds;
      if (!f.peers.has_index() && had_index) ++index_drops;
      had_index = f.peers.has_index();
      peak = std::max(peak, model.size());
    }
  }
  // The test went through both implementations, several times.
  CHECK(index_builds >= 2);
  CHECK(index_drops >= 2);
  CHECK(peak >= min_peak);
}

}  // namespace

TEST_CASE("swarm: randomized against a std::map model, IPv4", "[core][swarm][model]") {
  run_model_test<ipv4_endpoint>(0x5eed'0001, 1000, 1000, [](std::uint32_t n, std::uint16_t port) { return v4(n, port); });
}

TEST_CASE("swarm: randomized against a std::map model, IPv6", "[core][swarm][model]") {
  run_model_test<ipv6_endpoint>(0x5eed'0002, 1000, 1000, [](std::uint32_t n, std::uint16_t port) { return v6(n, port); });
}

TEST_CASE("swarm: randomized against a std::map model, small swarms", "[core][swarm][model]") {
  // 20 addresses x 2 ports: the swarm keeps crossing 16 and 32 peers.
  run_model_test<ipv4_endpoint>(0x5eed'0003, 20, 33, [](std::uint32_t n, std::uint16_t port) { return v4(n, port); });
}

TEST_CASE("coarse clock: exact seconds for usual timeouts, coarser beyond 2^14 s", "[core][swarm]") {
  using riptide::core::coarse_clock;
  using riptide::core::has_expired;
  CHECK(coarse_clock(2700).shift() == 0);
  CHECK(coarse_clock(16383).shift() == 0);
  CHECK(coarse_clock(16384).shift() == 1);
  CHECK(coarse_clock(172800).shift() == 4);  // two days: 16-second steps
  const coarse_clock clock(172800);
  CHECK(clock.at(160) == 10);

  // Comparisons hold across the 16-bit wrap.
  CHECK(has_expired(100, 100));
  CHECK(has_expired(100, 101));
  CHECK_FALSE(has_expired(101, 100));
  CHECK_FALSE(has_expired(5, 65530));  // 65530 + 11 wraps to 5: not yet
  CHECK(has_expired(65530, 5));        // 5 is 11 units after 65530
}

TEST_CASE("swarm: expiry across the 16-bit wrap of coarse time", "[core][swarm]") {
  fixture<ipv4_endpoint> f;
  f.announce(v4(1), false, peer_event::none, 65530 + 2700);  // wraps to 2694
  f.announce(v4(2), false, peer_event::none, 65530 + 100);   // wraps to 94
  CHECK(f.peers.remove_expired(coarse(65530 + 50), f.hasher, ignore_removed).leechers == 0);
  CHECK(f.peers.remove_expired(coarse(65530 + 100), f.hasher, ignore_removed).leechers == -1);
  CHECK(f.peers.leechers() == 1);
  CHECK(f.peers.remove_expired(coarse(65530 + 2700), f.hasher, ignore_removed).leechers == -1);
  CHECK(f.peers.empty());
}
