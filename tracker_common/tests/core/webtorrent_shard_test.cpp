// The WebTorrent shard: swarm membership, offer and answer relay, connections, expiry and bounds,
// under an injected clock and seeded randomness; then a randomized run against a reference model.

#include "tracker/core/webtorrent_shard.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

using riptide::core::connection_ref;
using riptide::core::failure_reason;
using riptide::core::peer_event;
using riptide::core::relay_kind;
using riptide::core::siphash_key;
using riptide::core::webtorrent_announce;
using riptide::core::webtorrent_announce_result;
using riptide::core::webtorrent_announce_status;
using riptide::core::webtorrent_answer;
using riptide::core::webtorrent_delivery;
using riptide::core::webtorrent_offer;
using riptide::core::webtorrent_removal;
using riptide::core::webtorrent_rules;
using riptide::core::webtorrent_scrape_counts;
using riptide::core::webtorrent_shard;
using riptide::core::webtorrent_totals;
using riptide::proto::address_family;
using riptide::proto::info_hash;
using riptide::proto::offer_id;
using riptide::proto::peer_id;

namespace {

constexpr siphash_key test_key{0x1234, 0x5678};

webtorrent_rules test_rules() {
  webtorrent_rules rules;
  rules.peer_timeout_seconds = 100;
  rules.offer_lifetime_seconds = 20;
  rules.max_offers_relayed = 5;
  rules.max_pending_offers_per_torrent = 1000;
  rules.max_pending_offers_per_peer = 1000;
  rules.max_torrents_per_connection = 10;
  rules.max_peers_per_torrent = 1000;
  return rules;
}

info_hash hash_of(std::uint8_t n) {
  info_hash hash;
  hash.bytes.fill(n);
  return hash;
}

// A payload the shard carries opaquely: {"p":"<label>"}.
riptide::proto::webtorrent::json_text payload_of(const std::string& label) {
  return riptide::proto::webtorrent::json_text::parse_object("{\"p\":\"" + label + "\"}").value();
}

peer_id peer_of(std::uint32_t n) {
  peer_id id;
  id.bytes.fill(0xaa);
  id.bytes[0] = static_cast<std::uint8_t>(n >> 8);
  id.bytes[1] = static_cast<std::uint8_t>(n);
  return id;
}

offer_id offer_of(std::uint32_t n) {
  offer_id id;
  id.bytes.fill(0x55);
  id.bytes[0] = static_cast<std::uint8_t>(n >> 16);
  id.bytes[1] = static_cast<std::uint8_t>(n >> 8);
  id.bytes[2] = static_cast<std::uint8_t>(n);
  return id;
}

connection_ref connection_of(std::uint64_t n) { return connection_ref{static_cast<std::uint16_t>(n % 3), 1000 + n}; }

// Peer n announces on connection n (ipv4) unless told otherwise.
struct announce_builder {
  webtorrent_announce value;

  announce_builder(std::uint8_t torrent, std::uint32_t peer) {
    value.hash = hash_of(torrent);
    value.peer = peer_of(peer);
    value.connection = connection_of(peer);
    value.left = 100;
  }
  announce_builder& on(std::uint64_t connection) {
    value.connection = connection_of(connection);
    return *this;
  }
  announce_builder& family(address_family f) {
    value.family = f;
    return *this;
  }
  announce_builder& event(peer_event e) {
    value.event = e;
    return *this;
  }
  announce_builder& left(std::optional<std::uint64_t> l) {
    value.left = l;
    return *this;
  }
  announce_builder& numwant(std::uint32_t n) {
    value.numwant = n;
    return *this;
  }
  // `count` offers with ids first, first + 1, ...; payload "offer <id>".
  announce_builder& offers(std::uint32_t count, std::uint32_t first = 1) {
    for (std::uint32_t i = 0; i < count; ++i) {
      value.offers.push_back(webtorrent_offer{offer_of(first + i), payload_of("offer " + std::to_string(first + i))});
    }
    return *this;
  }
  announce_builder& answer(std::uint32_t to_peer, std::uint32_t offer, const std::string& label = "answer") {
    value.answer = webtorrent_answer{peer_of(to_peer), offer_of(offer), payload_of(label)};
    value.left = std::nullopt;  // as the WebTorrent client sends it
    return *this;
  }
  operator webtorrent_announce() const { return value; }
};

bool same(const webtorrent_scrape_counts& a, const webtorrent_scrape_counts& b) {
  return a.complete == b.complete && a.incomplete == b.incomplete && a.downloaded == b.downloaded;
}

bool same(const webtorrent_removal& a, const webtorrent_removal& b) {
  return a.peers == b.peers && a.pending_offers == b.pending_offers && a.torrents == b.torrents;
}

std::vector<webtorrent_delivery> of_kind(const webtorrent_announce_result& result, relay_kind kind) {
  std::vector<webtorrent_delivery> out;
  for (const webtorrent_delivery& delivery : result.deliveries) {
    if (delivery.kind == kind) out.push_back(delivery);
  }
  return out;
}

// The peer behind a target connection, when peer n announces on connection n.
std::uint64_t peer_number(const connection_ref& connection) { return connection.connection_id - 1000; }

struct fixture {
  explicit fixture(webtorrent_rules rules = test_rules(), std::uint64_t seed = 1)
      : shard(rules, test_key), random(seed) {}

  webtorrent_announce_result announce(const webtorrent_announce& input, std::uint32_t now) {
    webtorrent_announce_result result = shard.announce(input, now, random);
    CHECK(shard.invariants_hold());
    return result;
  }

  webtorrent_shard shard;
  std::mt19937_64 random;
};

}  // namespace

TEST_CASE("webtorrent: seeder iff left == 0 or completed - left null or absent is a leecher", "[core][webtorrent]") {
  fixture f;
  auto result = f.announce(announce_builder(1, 1).left(0).event(peer_event::started), 0);
  REQUIRE(result.accepted());
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 0);

  // The reference tracker counts left:null as a seeder; that is its bug, not a rule.
  result = f.announce(announce_builder(1, 2).left(std::nullopt).event(peer_event::started), 0);
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 1);

  result = f.announce(announce_builder(1, 3).left(5), 0);
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 2);

  // `completed` makes a seeder whatever `left` says; a later regular announce with left > 0 does not.
  result = f.announce(announce_builder(1, 2).left(std::nullopt).event(peer_event::completed), 1);
  CHECK(result.complete == 2);
  CHECK(result.incomplete == 1);
  result = f.announce(announce_builder(1, 2).left(7), 2);
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 2);

  // A known peer's unknown `left` keeps what it was: bittorrent-tracker's client announces
  // started, completed, then regular announces, none with `left` unless told it.
  result = f.announce(announce_builder(1, 4).left(std::nullopt).event(peer_event::completed), 3);
  CHECK(result.complete == 2);
  CHECK(result.incomplete == 2);
  result = f.announce(announce_builder(1, 4).left(std::nullopt), 4);
  CHECK(result.complete == 2);
  CHECK(result.incomplete == 2);
  result = f.announce(announce_builder(1, 2).left(std::nullopt).event(peer_event::started), 4);
  CHECK(result.complete == 2);  // peer 2 stays a leecher (left 7 before)
  CHECK(result.incomplete == 2);
  result = f.announce(announce_builder(1, 4).left(3), 5);  // said what is left: a leecher again
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 3);
  result = f.announce(announce_builder(1, 4).left(std::nullopt).event(peer_event::stopped), 6);
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 2);

  const webtorrent_totals totals = f.shard.totals();
  CHECK(totals.torrents == 1);
  CHECK(totals.peers == 3);
  CHECK(totals.seeders == 1);
  CHECK(totals.leechers == 2);
  CHECK(totals.connections == 3);
}

TEST_CASE("webtorrent: completed counts a download once per peer, never for a newcomer", "[core][webtorrent]") {
  fixture f;
  // The WebTorrent seeder's first message is `completed`: a seeder, but no download.
  f.announce(announce_builder(1, 1).left(0).event(peer_event::completed), 0);
  CHECK(same(f.shard.scrape(hash_of(1)), {1, 0, 0}));

  f.announce(announce_builder(1, 2).event(peer_event::started), 0);
  f.announce(announce_builder(1, 2).left(0).event(peer_event::completed), 1);
  CHECK(same(f.shard.scrape(hash_of(1)), {2, 0, 1}));

  // A retry of `completed` by a seeder is not counted again.
  f.announce(announce_builder(1, 2).left(0).event(peer_event::completed), 2);
  CHECK(same(f.shard.scrape(hash_of(1)), {2, 0, 1}));

  // Nor by the same peer after it went back to leeching: once per peer.
  f.announce(announce_builder(1, 2).left(9), 3);
  CHECK(same(f.shard.scrape(hash_of(1)), {1, 1, 1}));
  f.announce(announce_builder(1, 2).left(0).event(peer_event::completed), 4);
  CHECK(same(f.shard.scrape(hash_of(1)), {2, 0, 1}));

  // Another leecher's completion counts.
  f.announce(announce_builder(1, 3), 5);
  f.announce(announce_builder(1, 3).left(std::nullopt).event(peer_event::completed), 6);
  CHECK(same(f.shard.scrape(hash_of(1)), {3, 0, 2}));
}

TEST_CASE("webtorrent: a torrent's downloaded count outlives its last peer for the retention time",
          "[core][webtorrent]") {
  webtorrent_rules rules = test_rules();  // peer timeout 100 s
  rules.completed_retention_seconds = 1000;
  fixture f(rules);
  // Peer n downloads torrent n at 0 (on connection n); it would expire at 100.
  const auto one_download = [&f](std::uint8_t n) {
    f.announce(announce_builder(n, n), 0);
    f.announce(announce_builder(n, n).left(0).event(peer_event::completed), 0);
  };
  for (std::uint8_t n = 1; n <= 3; ++n) one_download(n);
  // Torrent 1's peer stops, torrent 2's connection closes, torrent 3's peer expires.
  f.announce(announce_builder(1, 1).event(peer_event::stopped), 10);
  CHECK(same(f.shard.disconnect(connection_of(2), 30), {1, 0, 1}));
  CHECK(same(f.shard.clean(100), {1, 0, 1}));
  CHECK(f.shard.totals().torrents == 0);
  for (std::uint8_t n = 1; n <= 3; ++n) CHECK(same(f.shard.scrape(hash_of(n)), {0, 0, 1}));
  CHECK(f.shard.kept_completed_counts() == 3);

  // Torrent 1 back within the retention: it counts on from 1.
  f.announce(announce_builder(1, 4), 200);
  f.announce(announce_builder(1, 4).left(0).event(peer_event::completed), 201);
  CHECK(same(f.shard.scrape(hash_of(1)), {1, 0, 2}));
  CHECK(f.shard.kept_completed_counts() == 2);
  // Each count goes at its own time: torrent 2's at 30 + 1000, torrent 3's at 100 + 1000.
  f.shard.clean(1029);  // torrent 1's peer (last heard at 201) expires: its 2 are kept until 2029
  CHECK(same(f.shard.scrape(hash_of(1)), {0, 0, 2}));
  CHECK(same(f.shard.scrape(hash_of(2)), {0, 0, 1}));
  f.shard.clean(1030);
  CHECK(same(f.shard.scrape(hash_of(2)), {0, 0, 0}));
  CHECK(same(f.shard.scrape(hash_of(3)), {0, 0, 1}));
  f.shard.clean(1100);
  CHECK(same(f.shard.scrape(hash_of(3)), {0, 0, 0}));
  f.shard.clean(2028);
  CHECK(same(f.shard.scrape(hash_of(1)), {0, 0, 2}));
  f.shard.clean(2029);
  CHECK(same(f.shard.scrape(hash_of(1)), {0, 0, 0}));
  CHECK(f.shard.kept_completed_counts() == 0);

  rules.completed_retention_seconds = 0;
  fixture off(rules);
  off.announce(announce_builder(1, 1), 0);
  off.announce(announce_builder(1, 1).left(0).event(peer_event::completed), 0);
  off.announce(announce_builder(1, 1).event(peer_event::stopped), 0);
  CHECK(same(off.shard.scrape(hash_of(1)), {0, 0, 0}));
  CHECK(off.shard.kept_completed_counts() == 0);
}

TEST_CASE("webtorrent: stopped removes at once, relays nothing, and never creates", "[core][webtorrent]") {
  fixture f;
  f.announce(announce_builder(1, 1), 0);
  f.announce(announce_builder(1, 2).left(0), 0);
  f.announce(announce_builder(1, 3), 0);

  auto result = f.announce(announce_builder(1, 1).event(peer_event::stopped).offers(3), 1);
  CHECK(result.accepted());
  CHECK(result.deliveries.empty());
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 1);
  CHECK(f.shard.totals().peers == 2);
  CHECK(f.shard.totals().connections == 2);

  // A stop for an unknown torrent creates nothing.
  result = f.announce(announce_builder(9, 1).event(peer_event::stopped), 1);
  CHECK(result.accepted());
  CHECK(f.shard.totals().torrents == 1);
  CHECK(same(f.shard.scrape(hash_of(9)), {0, 0, 0}));

  // Another live connection cannot stop someone else's peer.
  result = f.announce(announce_builder(1, 2).on(77).event(peer_event::stopped), 1);
  CHECK(result.status == webtorrent_announce_status::peer_id_taken);
  CHECK(f.shard.totals().peers == 2);

  // The last peer out removes the torrent.
  f.announce(announce_builder(1, 2).event(peer_event::stopped), 2);
  result = f.announce(announce_builder(1, 3).event(peer_event::stopped), 2);
  CHECK(result.complete == 0);
  CHECK(result.incomplete == 0);
  const webtorrent_totals totals = f.shard.totals();
  CHECK(totals.torrents == 0);
  CHECK(totals.peers == 0);
  CHECK(totals.connections == 0);
}

TEST_CASE("webtorrent: offers go to distinct random other peers, never the offerer, capped", "[core][webtorrent]") {
  fixture f;
  constexpr std::uint32_t others = 20;
  for (std::uint32_t p = 2; p < 2 + others; ++p) f.announce(announce_builder(1, p), 0);

  std::set<std::uint64_t> ever_chosen;
  for (std::uint32_t round = 0; round < 50; ++round) {
    // 8 offers, max_offers_relayed 5.
    const auto result = f.announce(announce_builder(1, 1).offers(8, 100 * round), 1);
    REQUIRE(result.accepted());
    CHECK(result.offers_not_relayed == 3);
    REQUIRE(result.deliveries.size() == 5);
    std::set<std::uint64_t> targets;
    for (std::size_t i = 0; i < result.deliveries.size(); ++i) {
      const webtorrent_delivery& delivery = result.deliveries[i];
      CHECK(delivery.kind == relay_kind::offer);
      CHECK(delivery.hash == hash_of(1));
      CHECK(delivery.from == peer_of(1));
      // Offer i goes out with its own id and payload.
      const auto id = 100 * round + static_cast<std::uint32_t>(i);
      CHECK(delivery.offer == offer_of(id));
      CHECK(delivery.payload == payload_of("offer " + std::to_string(id)));
      CHECK(delivery.target != connection_of(1));
      CHECK(peer_number(delivery.target) >= 2);
      CHECK(peer_number(delivery.target) < 2 + others);
      targets.insert(peer_number(delivery.target));
    }
    CHECK(targets.size() == 5);  // distinct
    ever_chosen.insert(targets.begin(), targets.end());
  }
  CHECK(ever_chosen.size() == others);  // random: everybody's turn comes

  // Two different seeds choose differently.
  fixture g(test_rules(), 99);
  for (std::uint32_t p = 2; p < 2 + others; ++p) g.announce(announce_builder(1, p), 0);
  std::vector<connection_ref> from_f;
  std::vector<connection_ref> from_g;
  for (std::uint32_t round = 0; round < 5; ++round) {
    for (const auto& d : f.announce(announce_builder(1, 1).offers(5, 9000 + 10 * round), 2).deliveries) {
      from_f.push_back(d.target);
    }
    for (const auto& d : g.announce(announce_builder(1, 1).offers(5, 9000 + 10 * round), 2).deliveries) {
      from_g.push_back(d.target);
    }
  }
  CHECK(from_f != from_g);
}

TEST_CASE("webtorrent: offers go to everyone when there are few - numwant caps, seeders offer to leechers",
          "[core][webtorrent]") {
  fixture f;
  // Alone: nobody to send to.
  auto result = f.announce(announce_builder(1, 1).offers(3), 0);
  CHECK(result.deliveries.empty());
  CHECK(result.offers_not_relayed == 3);
  CHECK(f.shard.totals().pending_offers == 0);

  f.announce(announce_builder(1, 2), 0);
  f.announce(announce_builder(1, 3).left(0), 0);
  result = f.announce(announce_builder(1, 1).offers(5, 10), 1);
  REQUIRE(result.deliveries.size() == 2);
  CHECK(result.offers_not_relayed == 3);
  std::set<std::uint64_t> targets{peer_number(result.deliveries[0].target), peer_number(result.deliveries[1].target)};
  CHECK(targets == std::set<std::uint64_t>{2, 3});

  result = f.announce(announce_builder(1, 1).offers(5, 20).numwant(1), 2);
  CHECK(result.deliveries.size() == 1);
  CHECK(result.offers_not_relayed == 4);

  // Peer 3 is a seeder: its offers go to the leechers 1 and 2 only, never to seeder 4.
  f.announce(announce_builder(1, 4).left(0), 2);
  for (std::uint32_t round = 0; round < 20; ++round) {
    result = f.announce(announce_builder(1, 3).left(0).offers(5, 100 + 10 * round), 3);
    REQUIRE(result.deliveries.size() == 2);
    for (const auto& delivery : result.deliveries) {
      CHECK((peer_number(delivery.target) == 1 || peer_number(delivery.target) == 2));
    }
  }
  CHECK(f.shard.totals().pending_offers == 2 + 1 + 40);
}

TEST_CASE("webtorrent: an answer reaches only the offerer, once, within the offer's lifetime", "[core][webtorrent]") {
  fixture f;  // offer lifetime 20 s
  f.announce(announce_builder(1, 2), 0);
  auto result = f.announce(announce_builder(1, 1).offers(1, 7), 0);
  REQUIRE(result.deliveries.size() == 1);
  REQUIRE(result.deliveries[0].target == connection_of(2));
  CHECK(f.shard.totals().pending_offers == 1);

  SECTION("the target's answer goes to the offerer's connection and consumes the offer") {
    result = f.announce(announce_builder(1, 2).answer(1, 7, "sdp-answer"), 5);
    CHECK(result.accepted());
    CHECK(result.answers_dropped == 0);
    REQUIRE(result.deliveries.size() == 1);
    const webtorrent_delivery& delivery = result.deliveries[0];
    CHECK(delivery.kind == relay_kind::answer);
    CHECK(delivery.target == connection_of(1));
    CHECK(delivery.hash == hash_of(1));
    CHECK(delivery.from == peer_of(2));
    CHECK(delivery.offer == offer_of(7));
    CHECK(delivery.payload == payload_of("sdp-answer"));
    CHECK(f.shard.totals().pending_offers == 0);

    // Replayed: nothing left to answer.
    result = f.announce(announce_builder(1, 2).answer(1, 7), 6);
    CHECK(result.deliveries.empty());
    CHECK(result.answers_dropped == 1);
  }
  SECTION("an answer naming the wrong offerer is dropped") {
    f.announce(announce_builder(1, 3), 1);
    result = f.announce(announce_builder(1, 2).answer(3, 7), 5);
    CHECK(result.deliveries.empty());
    CHECK(result.answers_dropped == 1);
    CHECK(f.shard.totals().pending_offers == 1);
  }
  SECTION("an answer from a peer the offer did not go to is dropped, and does not spend the offer") {
    f.announce(announce_builder(1, 3), 1);
    result = f.announce(announce_builder(1, 3).answer(1, 7), 5);
    CHECK(result.deliveries.empty());
    CHECK(result.answers_dropped == 1);
    CHECK(f.shard.totals().pending_offers == 1);
    // The real target still can.
    result = f.announce(announce_builder(1, 2).answer(1, 7), 6);
    REQUIRE(result.deliveries.size() == 1);
    CHECK(result.deliveries[0].target == connection_of(1));
  }
  SECTION("an unknown offer id is dropped") {
    result = f.announce(announce_builder(1, 2).answer(1, 8), 5);
    CHECK(result.deliveries.empty());
    CHECK(result.answers_dropped == 1);
  }
  SECTION("an answer after the offer's lifetime is dropped") {
    result = f.announce(announce_builder(1, 2).answer(1, 7), 20);
    CHECK(result.deliveries.empty());
    CHECK(result.answers_dropped == 1);
    CHECK(f.shard.totals().pending_offers == 0);  // dead, so gone
  }
  SECTION("an answer to an offerer that has left is dropped") {
    f.announce(announce_builder(1, 1).event(peer_event::stopped), 2);
    CHECK(f.shard.totals().pending_offers == 0);
    result = f.announce(announce_builder(1, 2).answer(1, 7), 3);
    CHECK(result.deliveries.empty());
    CHECK(result.answers_dropped == 1);
  }
  SECTION("an answer for the same offer id in another torrent is dropped") {
    f.announce(announce_builder(2, 1), 1);
    result = f.announce(announce_builder(2, 2).answer(1, 7), 2);
    CHECK(result.deliveries.empty());
    CHECK(result.answers_dropped == 1);
    CHECK(f.shard.totals().pending_offers == 1);
  }
}

TEST_CASE("webtorrent: an answer is an announce, and without `left` keeps a seeder a seeder", "[core][webtorrent]") {
  fixture f;  // peer timeout 100 s
  f.announce(announce_builder(1, 1), 0);
  f.announce(announce_builder(1, 2).left(0), 0);
  const auto offers = f.announce(announce_builder(1, 1).offers(1, 5), 50);
  REQUIRE(offers.deliveries.size() == 1);

  // The seeder answers at t=60: still a seeder, and its expiry moves to 160.
  const auto result = f.announce(announce_builder(1, 2).answer(1, 5), 60);
  CHECK(result.deliveries.size() == 1);
  CHECK(result.complete == 1);
  CHECK(result.incomplete == 1);
  const webtorrent_removal removal = f.shard.clean(120);
  CHECK(same(removal, {0, 0, 0}));  // peer 1 announced at 50, peer 2 answered at 60
  CHECK(same(f.shard.clean(150), {1, 0, 0}));
  CHECK(same(f.shard.scrape(hash_of(1)), {1, 0, 0}));
  CHECK(same(f.shard.clean(160), {1, 0, 1}));
}

TEST_CASE("webtorrent: another connection cannot take a live peer id over", "[core][webtorrent]") {
  fixture f;  // peer timeout 100 s
  f.announce(announce_builder(1, 1), 0);
  f.announce(announce_builder(1, 2), 0);

  auto result = f.announce(announce_builder(1, 1).on(50).offers(2), 10);
  CHECK(result.status == webtorrent_announce_status::peer_id_taken);
  CHECK(result.deliveries.empty());
  CHECK(f.shard.totals().peers == 2);
  CHECK(f.shard.totals().pending_offers == 0);
  CHECK(!failure_reason(result.status).empty());
  CHECK(failure_reason(webtorrent_announce_status::accepted).empty());

  // Nor answer offers made to it.
  f.announce(announce_builder(1, 2).offers(1, 3), 20);
  result = f.announce(announce_builder(1, 1).on(50).answer(2, 3), 21);
  CHECK(result.status == webtorrent_announce_status::peer_id_taken);
  CHECK(result.deliveries.empty());
  CHECK(f.shard.totals().pending_offers == 1);

  // One connection, one peer id per torrent.
  result = f.announce(announce_builder(1, 3).on(1), 22);
  CHECK(result.status == webtorrent_announce_status::another_peer_id_on_connection);
  // ... but the same connection may use that other id in another torrent.
  result = f.announce(announce_builder(2, 3).on(1), 22);
  CHECK(result.accepted());

  // Once the holder has expired (even before cleaning), the id is free; its offers go with it.
  f.announce(announce_builder(1, 2), 99);
  result = f.announce(announce_builder(1, 1).on(50), 100);
  CHECK(result.accepted());
  CHECK(result.incomplete == 2);
  CHECK(f.shard.totals().pending_offers == 0);
  CHECK(f.shard.totals().peers == 3);
  // The old connection holds nothing in torrent 1 any more: its disconnect leaves peer 1 alone.
  const webtorrent_removal removal = f.shard.disconnect(connection_of(1), 0);
  CHECK(same(removal, {1, 0, 1}));  // only its peer in torrent 2, now empty
  CHECK(same(f.shard.scrape(hash_of(1)), {0, 2, 0}));
}

TEST_CASE("webtorrent: disconnect removes every peer and pending offer of a connection at once", "[core][webtorrent]") {
  fixture f;
  // Connection 1 holds peer 1 in torrents 1, 2, 3; peers 2 and 3 share torrents 1 and 2.
  for (std::uint8_t t = 1; t <= 3; ++t) f.announce(announce_builder(t, 1), 0);
  for (std::uint8_t t = 1; t <= 2; ++t) {
    f.announce(announce_builder(t, 2), 0);
    f.announce(announce_builder(t, 3), 0);
  }
  // Pending offers: 1 -> both others in torrent 1; 2 -> both others in torrent 2; 3 -> 2 in torrent 1.
  REQUIRE(f.announce(announce_builder(1, 1).offers(2, 10), 1).deliveries.size() == 2);
  REQUIRE(f.announce(announce_builder(2, 2).offers(2, 20), 1).deliveries.size() == 2);
  auto result = f.announce(announce_builder(1, 3).offers(1, 30), 1);
  REQUIRE(result.deliveries.size() == 1);
  const bool offer_30_went_to_2 = result.deliveries[0].target == connection_of(2);
  CHECK(f.shard.totals().pending_offers == 5);
  CHECK(f.shard.totals().connections == 3);

  const webtorrent_removal removal = f.shard.disconnect(connection_of(1), 0);
  // Peer 1 in three torrents; offers 10, 11 (made), the one of 20/21 it received, and 30 if it
  // went to peer 1; torrent 3 had no one else.
  CHECK(removal.peers == 3);
  CHECK(removal.pending_offers == (offer_30_went_to_2 ? 3u : 4u));
  CHECK(removal.torrents == 1);
  CHECK(f.shard.invariants_hold());
  const webtorrent_totals totals = f.shard.totals();
  CHECK(totals.torrents == 2);
  CHECK(totals.peers == 4);
  CHECK(totals.pending_offers == (offer_30_went_to_2 ? 2u : 1u));
  CHECK(totals.connections == 2);

  // Answers to peer 1's offers go nowhere.
  result = f.announce(announce_builder(1, 2).answer(1, 10), 2);
  result = f.announce(announce_builder(1, 3).answer(1, 11), 2);
  CHECK(result.deliveries.empty());
  // A second disconnect, or one of a stranger, removes nothing.
  CHECK(same(f.shard.disconnect(connection_of(1), 0), {0, 0, 0}));
  CHECK(same(f.shard.disconnect(connection_of(42), 0), {0, 0, 0}));
  // Connection ids are per socket worker: the same id on another worker is another connection.
  CHECK(same(f.shard.disconnect(connection_ref{7, connection_of(2).connection_id}, 0), {0, 0, 0}));
  CHECK(f.shard.totals().peers == 4);
}

TEST_CASE("webtorrent: IPv4 and IPv6 peers never meet - announce counts are per family", "[core][webtorrent]") {
  fixture f;
  for (std::uint32_t p = 1; p <= 3; ++p) f.announce(announce_builder(1, p).family(address_family::ipv4), 0);
  f.announce(announce_builder(1, 4).family(address_family::ipv4).left(0), 0);
  for (std::uint32_t p = 11; p <= 12; ++p) f.announce(announce_builder(1, p).family(address_family::ipv6), 0);

  for (std::uint32_t round = 0; round < 20; ++round) {
    auto result = f.announce(announce_builder(1, 11).family(address_family::ipv6).offers(5, 100 * round), 1);
    REQUIRE(result.deliveries.size() == 1);
    CHECK(result.deliveries[0].target == connection_of(12));
    CHECK(result.complete == 0);
    CHECK(result.incomplete == 2);
    result = f.announce(announce_builder(1, 1).family(address_family::ipv4).offers(5, 100 * round + 50), 1);
    REQUIRE(result.deliveries.size() == 3);
    for (const auto& delivery : result.deliveries) CHECK(peer_number(delivery.target) <= 4);
    CHECK(result.complete == 1);
    CHECK(result.incomplete == 3);
  }
  // Scrape describes the torrent: both families, or one when asked.
  CHECK(same(f.shard.scrape(hash_of(1)), {1, 5, 0}));
  CHECK(same(f.shard.scrape(hash_of(1), address_family::ipv4), {1, 3, 0}));
  CHECK(same(f.shard.scrape(hash_of(1), address_family::ipv6), {0, 2, 0}));

  // A peer id is one per torrent whatever the family: an IPv6 connection cannot take an IPv4 one.
  const auto result = f.announce(announce_builder(1, 1).on(60).family(address_family::ipv6), 2);
  CHECK(result.status == webtorrent_announce_status::peer_id_taken);
}

TEST_CASE("webtorrent: clean(now) drops expired peers, expired offers and empty torrents", "[core][webtorrent]") {
  fixture f;  // peer timeout 100 s, offer lifetime 20 s
  f.announce(announce_builder(1, 1), 0);
  f.announce(announce_builder(1, 2), 50);
  f.announce(announce_builder(2, 1), 10);
  f.announce(announce_builder(3, 3), 80);
  REQUIRE(f.announce(announce_builder(1, 2).offers(1, 1), 60).deliveries.size() == 1);  // expires 80
  REQUIRE(f.announce(announce_builder(1, 1).offers(1, 2), 70).deliveries.size() == 1);  // expires 90

  CHECK(same(f.shard.clean(79), {0, 0, 0}));
  CHECK(f.shard.totals().pending_offers == 2);
  CHECK(same(f.shard.clean(80), {0, 1, 0}));
  CHECK(same(f.shard.clean(90), {0, 1, 0}));
  CHECK(f.shard.totals().pending_offers == 0);

  // Peer 1 announced torrent 1 at 70 (expires 170), torrent 2 at 10 (expires 110).
  CHECK(same(f.shard.clean(110), {1, 0, 1}));
  CHECK(f.shard.totals().torrents == 2);
  CHECK(f.shard.totals().connections == 3);
  CHECK(same(f.shard.clean(160), {1, 0, 0}));  // peer 2 (at 60)
  CHECK(same(f.shard.clean(179), {1, 0, 1}));  // peer 1 (at 70)
  CHECK(same(f.shard.clean(180), {1, 0, 1}));  // peer 3 (at 80)
  const webtorrent_totals totals = f.shard.totals();
  CHECK(totals.torrents == 0);
  CHECK(totals.peers == 0);
  CHECK(totals.connections == 0);
  CHECK(f.shard.invariants_hold());

  // A peer with pending offers that expires takes them along.
  f.announce(announce_builder(1, 1), 200);
  f.announce(announce_builder(1, 2), 290);
  REQUIRE(f.announce(announce_builder(1, 2).offers(1, 3), 295).deliveries.size() == 1);
  CHECK(same(f.shard.clean(300), {1, 1, 0}));
}

TEST_CASE("webtorrent: bounds on torrents per connection, peers per torrent, pending offers", "[core][webtorrent]") {
  webtorrent_rules rules = test_rules();
  rules.max_torrents_per_connection = 2;
  rules.max_peers_per_torrent = 3;
  rules.max_pending_offers_per_torrent = 4;
  rules.max_offers_relayed = 10;
  fixture f(rules);

  SECTION("torrents per connection") {
    CHECK(f.announce(announce_builder(1, 1), 0).accepted());
    CHECK(f.announce(announce_builder(2, 1), 0).accepted());
    auto result = f.announce(announce_builder(3, 1).offers(1), 0);
    CHECK(result.status == webtorrent_announce_status::too_many_torrents_on_connection);
    CHECK(f.shard.totals().torrents == 2);
    // Re-announcing a held torrent is fine; after a stop there is room again.
    CHECK(f.announce(announce_builder(2, 1), 1).accepted());
    f.announce(announce_builder(2, 1).event(peer_event::stopped), 1);
    CHECK(f.announce(announce_builder(3, 1), 1).accepted());
  }
  SECTION("peers per torrent") {
    for (std::uint32_t p = 1; p <= 3; ++p) CHECK(f.announce(announce_builder(1, p), 0).accepted());
    auto result = f.announce(announce_builder(1, 4), 0);
    CHECK(result.status == webtorrent_announce_status::torrent_full);
    CHECK(f.shard.totals().peers == 3);
    CHECK(f.announce(announce_builder(1, 3), 1).accepted());  // members still announce
    CHECK(f.announce(announce_builder(2, 4), 1).accepted());  // other torrents have room
    // An expired holder's id can be taken over even when the torrent is full.
    CHECK(f.announce(announce_builder(1, 3).on(99), 101).accepted());
  }
  SECTION("pending offers: at the bound the oldest goes") {
    for (std::uint32_t p = 1; p <= 3; ++p) f.announce(announce_builder(1, p), 0);
    REQUIRE(f.announce(announce_builder(1, 1).offers(2, 10), 1).deliveries.size() == 2);  // 10, 11
    REQUIRE(f.announce(announce_builder(1, 2).offers(2, 20), 2).deliveries.size() == 2);  // 20, 21
    CHECK(f.shard.totals().pending_offers == 4);
    auto result = f.announce(announce_builder(1, 3).offers(2, 30), 3);
    CHECK(result.deliveries.size() == 2);
    CHECK(result.pending_offers_evicted == 2);
    CHECK(f.shard.totals().pending_offers == 4);
    // 10 and 11 are gone; 20 and 21 are still answerable by whoever got them.
    std::uint32_t delivered = 0;
    for (std::uint32_t p = 2; p <= 3; ++p) {
      delivered += static_cast<std::uint32_t>(f.announce(announce_builder(1, p).answer(1, 10), 5).deliveries.size());
      delivered += static_cast<std::uint32_t>(f.announce(announce_builder(1, p).answer(1, 11), 5).deliveries.size());
    }
    CHECK(delivered == 0);
    for (std::uint32_t p : {1u, 3u}) {
      delivered += static_cast<std::uint32_t>(f.announce(announce_builder(1, p).answer(2, 20), 5).deliveries.size());
      delivered += static_cast<std::uint32_t>(f.announce(announce_builder(1, p).answer(2, 21), 5).deliveries.size());
    }
    CHECK(delivered == 2);
  }
  SECTION("pending offers of one peer: at the bound its own oldest goes, nobody else's") {
    rules.max_peers_per_torrent = 100;
    rules.max_pending_offers_per_torrent = 100;
    rules.max_pending_offers_per_peer = 3;
    fixture g(rules);
    for (std::uint32_t p = 1; p <= 4; ++p) g.announce(announce_builder(1, p), 0);
    REQUIRE(g.announce(announce_builder(1, 2).offers(1, 90), 1).deliveries.size() == 1);  // peer 2's
    REQUIRE(g.announce(announce_builder(1, 1).offers(2, 10), 1).deliveries.size() == 2);  // 10, 11
    auto result = g.announce(announce_builder(1, 1).offers(2, 20), 2);                     // 20, 21
    REQUIRE(result.deliveries.size() == 2);
    CHECK(result.pending_offers_evicted == 1);  // 10
    CHECK(g.shard.totals().pending_offers == 4);
    CHECK(g.shard.invariants_hold());
    // 10 is gone; 11, 20, 21 and peer 2's offer 90 are still answerable by whoever got them.
    const auto answered = [&](std::uint32_t offerer, std::uint32_t id) {
      std::size_t delivered = 0;
      for (std::uint32_t p = 1; p <= 4; ++p) {
        if (p != offerer) delivered += g.announce(announce_builder(1, p).answer(offerer, id), 3).deliveries.size();
      }
      return delivered;
    };
    CHECK(answered(1, 10) == 0);
    CHECK(answered(1, 11) == 1);
    CHECK(answered(1, 20) == 1);
    CHECK(answered(1, 21) == 1);
    CHECK(answered(2, 90) == 1);
    // An announce never relays more offers than its peer may have pending.
    result = g.announce(announce_builder(1, 1).offers(5, 30), 4);
    CHECK(result.deliveries.size() == 3);
    CHECK(result.offers_not_relayed == 2);
    CHECK(g.shard.invariants_hold());
  }
  SECTION("never more offers relayed than pending slots: an announce cannot evict its own") {
    rules.max_peers_per_torrent = 100;
    rules.max_pending_offers_per_torrent = 3;
    fixture g(rules);
    for (std::uint32_t p = 1; p <= 8; ++p) g.announce(announce_builder(1, p), 0);
    auto result = g.announce(announce_builder(1, 1).offers(10, 40), 1);
    CHECK(result.deliveries.size() == 3);
    CHECK(result.offers_not_relayed == 7);
    CHECK(result.pending_offers_evicted == 0);
    for (const auto& delivery : result.deliveries) {
      const auto answerer = static_cast<std::uint32_t>(peer_number(delivery.target));
      const std::uint32_t id = static_cast<std::uint32_t>(delivery.offer.bytes[2]);
      CHECK(g.announce(announce_builder(1, answerer).answer(1, id), 2).deliveries.size() == 1);
    }
  }
  SECTION("the same offer id again replaces the earlier pending offer") {
    for (std::uint32_t p = 1; p <= 2; ++p) f.announce(announce_builder(1, p), 0);
    f.announce(announce_builder(1, 1).offers(1, 10), 1);
    f.announce(announce_builder(1, 1).offers(1, 10), 2);
    CHECK(f.shard.totals().pending_offers == 1);
    CHECK(f.announce(announce_builder(1, 2).answer(1, 10), 3).deliveries.size() == 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Randomized run against a reference model: a plain, obviously-correct restatement of the rules.

namespace {

struct model_peer {
  std::uint64_t owner = 0;  // connection number
  address_family family = address_family::ipv4;
  bool seeder = false;
  bool counted = false;
  std::uint32_t expires_at = 0;
};

struct model_offer {
  std::uint32_t offerer = 0;
  std::uint32_t id = 0;
  std::uint32_t target = 0;
  std::uint64_t offerer_connection = 0;
  std::uint64_t target_connection = 0;
  std::uint32_t expires_at = 0;
};

struct model_torrent {
  std::map<std::uint32_t, model_peer> peers;
  std::uint32_t downloaded = 0;
  std::vector<model_offer> pending;  // oldest first
};

struct model_kept_count {
  std::uint32_t downloaded = 0;
  std::uint32_t until = 0;
};

struct model {
  webtorrent_rules rules;
  std::map<std::uint8_t, model_torrent> torrents;
  std::map<std::uint8_t, model_kept_count> kept;  // downloaded counts of torrents without peers

  // The torrent `key` lost its last peer at `now`.
  void keep(std::uint8_t key, std::uint32_t downloaded, std::uint32_t now) {
    if (downloaded == 0 || (kept.size() >= rules.max_torrents && kept.count(key) == 0)) return;
    kept[key] = model_kept_count{downloaded, now + rules.completed_retention_seconds};
  }

  std::uint64_t offers_involving(model_torrent& t, std::uint32_t peer) const {
    return static_cast<std::uint64_t>(std::count_if(t.pending.begin(), t.pending.end(), [&](const model_offer& o) {
      return o.offerer == peer || o.target == peer;
    }));
  }
  // Removes a peer and its offers; returns the number of offers removed.
  std::uint64_t remove_peer(model_torrent& t, std::uint32_t peer) {
    const std::uint64_t offers = offers_involving(t, peer);
    std::erase_if(t.pending, [&](const model_offer& o) { return o.offerer == peer || o.target == peer; });
    t.peers.erase(peer);
    return offers;
  }
  std::size_t peer_count() const {
    std::size_t peers = 0;
    for (const auto& [hash, t] : torrents) peers += t.peers.size();
    return peers;
  }
  std::size_t torrents_held(std::uint64_t connection) const {
    std::size_t held = 0;
    for (const auto& [hash, t] : torrents) {
      for (const auto& [id, p] : t.peers) held += p.owner == connection ? 1 : 0;
    }
    return held;
  }
  std::optional<std::uint32_t> peer_of_connection(const model_torrent& t, std::uint64_t connection) const {
    for (const auto& [id, p] : t.peers) {
      if (p.owner == connection) return id;
    }
    return std::nullopt;
  }
};

std::uint32_t offer_number(const offer_id& id) {
  return static_cast<std::uint32_t>(id.bytes[0]) << 16 | static_cast<std::uint32_t>(id.bytes[1]) << 8 | id.bytes[2];
}

std::uint32_t peer_id_number(const peer_id& id) { return static_cast<std::uint32_t>(id.bytes[0]) << 8 | id.bytes[1]; }

address_family family_of_connection(std::uint64_t connection) {
  return connection % 3 == 2 ? address_family::ipv6 : address_family::ipv4;
}

}  // namespace

TEST_CASE("webtorrent: randomized announces, stops, answers, disconnects and cleaning match a model",
          "[core][webtorrent][model]") {
  const std::uint64_t seed = GENERATE(1u, 2u, 3u, 4u);
  webtorrent_rules rules;
  rules.peer_timeout_seconds = 30;
  rules.offer_lifetime_seconds = 10;
  rules.max_offers_relayed = 3;
  rules.max_pending_offers_per_torrent = 6;
  rules.max_pending_offers_per_peer = 4;  // both bounds are reached: 3 offers per announce
  rules.max_torrents_per_connection = 2;
  rules.max_peers_per_torrent = 5;
  rules.max_torrents = 2;  // of the 3 torrents used, and of their kept downloaded counts
  rules.max_peers = 8;
  rules.completed_retention_seconds = 3;

  webtorrent_shard shard(rules, siphash_key{seed, ~seed});
  std::mt19937_64 shard_random(seed);
  std::mt19937 driver(static_cast<std::uint32_t>(seed * 7919));
  const auto pick = [&](std::uint32_t below) {
    return std::uniform_int_distribution<std::uint32_t>(0, below - 1)(driver);
  };

  model m{rules, {}, {}};
  constexpr std::uint32_t connections = 9;
  constexpr std::uint32_t peer_ids = 10;
  constexpr std::uint8_t torrent_count = 3;
  std::uint32_t now = 0;
  std::uint32_t next_offer = 1;
  std::vector<model_offer> delivered_offers;  // (for answers) every offer ever delivered
  std::vector<std::uint8_t> delivered_offer_torrent;
  std::uint64_t deliveries_seen = 0;
  std::uint64_t answers_delivered = 0;
  std::uint64_t refusals = 0;
  std::uint64_t tracker_full_refusals = 0;
  std::uint64_t counts_taken_back = 0;

  for (int step = 0; step < 6000; ++step) {
    now += pick(4) == 0 ? pick(8) : 0;
    const std::uint32_t action = pick(100);

    if (action < 5) {
      // A connection closes.
      const std::uint64_t connection = pick(connections);
      webtorrent_removal expected;
      for (auto it = m.torrents.begin(); it != m.torrents.end();) {
        if (const auto peer = m.peer_of_connection(it->second, connection)) {
          expected.pending_offers += m.remove_peer(it->second, *peer);
          ++expected.peers;
        }
        if (it->second.peers.empty()) {
          m.keep(it->first, it->second.downloaded, now);
          it = m.torrents.erase(it);
          ++expected.torrents;
        } else {
          ++it;
        }
      }
      REQUIRE(same(shard.disconnect(connection_of(connection), now), expected));
    } else if (action < 9) {
      webtorrent_removal expected;
      for (auto it = m.torrents.begin(); it != m.torrents.end();) {
        model_torrent& t = it->second;
        const auto before = t.pending.size();
        std::erase_if(t.pending, [&](const model_offer& o) { return o.expires_at <= now; });
        expected.pending_offers += before - t.pending.size();
        std::vector<std::uint32_t> expired;
        for (const auto& [id, p] : t.peers) {
          if (p.expires_at <= now) expired.push_back(id);
        }
        for (const std::uint32_t id : expired) {
          expected.pending_offers += m.remove_peer(t, id);
          ++expected.peers;
        }
        if (t.peers.empty()) {
          m.keep(it->first, t.downloaded, now);
          it = m.torrents.erase(it);
          ++expected.torrents;
        } else {
          ++it;
        }
      }
      std::erase_if(m.kept, [&](const auto& k) { return k.second.until <= now; });
      REQUIRE(same(shard.clean(now), expected));
    } else {
      // An announce: mostly from the connection that owns the peer id, sometimes a stranger.
      [&] {
        webtorrent_announce input;
        const auto torrent = static_cast<std::uint8_t>(1 + pick(torrent_count));
        std::uint32_t peer = pick(peer_ids);
        std::uint64_t connection = pick(4) == 0 ? pick(connections) : peer % connections;
        const bool answering = action < 30 && !delivered_offers.empty();
        std::optional<model_offer> answered;
        std::uint8_t answer_torrent = torrent;
        if (answering) {
          // Mostly an offer still pending (as a real answerer would), else any offer ever relayed:
          // consumed, expired, evicted or of a peer that left.
          std::vector<std::pair<std::uint8_t, model_offer>> live;
          for (const auto& [hash, mt] : m.torrents) {
            for (const model_offer& o : mt.pending) live.emplace_back(hash, o);
          }
          if (!live.empty() && pick(3) != 0) {
            const auto& chosen = live[pick(static_cast<std::uint32_t>(live.size()))];
            answered = chosen.second;
            answer_torrent = chosen.first;
          } else {
            const std::size_t which = pick(static_cast<std::uint32_t>(delivered_offers.size()));
            answered = delivered_offers[which];
            answer_torrent = delivered_offer_torrent[which];
          }
          if (pick(5) != 0) {
            peer = answered->target;
            connection = answered->target_connection;
          }
        }
        input.hash = hash_of(answering ? answer_torrent : torrent);
        input.peer = peer_of(peer);
        input.connection = connection_of(connection);
        input.family = family_of_connection(connection);
        if (answering) {
          std::uint32_t to = answered->offerer;
          if (pick(6) == 0) to = pick(peer_ids);
          input.answer =
              webtorrent_answer{peer_of(to), offer_of(answered->id), payload_of("answer " + std::to_string(step))};
          input.left = std::nullopt;
        } else {
          const std::uint32_t e = pick(12);
          input.event = e == 0   ? peer_event::stopped
                        : e == 1 ? peer_event::completed
                        : e == 2 ? peer_event::started
                        : e == 3 ? peer_event::paused
                                 : peer_event::none;
          const std::uint32_t l = pick(4);
          input.left = l == 0   ? std::optional<std::uint64_t>{}
                       : l == 1 ? std::optional<std::uint64_t>{0}
                                : std::optional<std::uint64_t>{l * 100};
          if (pick(8) == 0) input.numwant = pick(3);
          const std::uint32_t offer_count = pick(3) == 0 ? 0 : pick(6);
          for (std::uint32_t i = 0; i < offer_count; ++i) {
            // Now and then an offer id is reused.
            const std::uint32_t id = pick(10) == 0 && next_offer > 3 ? next_offer - 1 - pick(3) : next_offer++;
            input.offers.push_back(webtorrent_offer{offer_of(id), payload_of("offer " + std::to_string(id))});
          }
        }
        const webtorrent_announce copy = input;
        const webtorrent_announce_result result = shard.announce(input, now, shard_random);
        deliveries_seen += result.deliveries.size();

        // The model's verdict.
        const std::uint8_t key = answering ? answer_torrent : torrent;
        model_torrent* t = m.torrents.count(key) != 0 ? &m.torrents[key] : nullptr;
        const address_family family = family_of_connection(connection);
        const auto family_counts = [&](const model_torrent* mt) {
          std::pair<std::uint32_t, std::uint32_t> counts{0, 0};
          if (mt == nullptr) return counts;
          for (const auto& [id, p] : mt->peers) {
            if (p.family != family) continue;
            ++(p.seeder ? counts.first : counts.second);
          }
          return counts;
        };

        if (copy.event == peer_event::stopped) {
          REQUIRE(result.deliveries.empty());
          if (t == nullptr) {
            REQUIRE(result.accepted());
            return;
          }
          const auto it = t->peers.find(peer);
          if (it != t->peers.end() && it->second.owner != connection) {
            if (it->second.expires_at > now) {
              REQUIRE(result.status == webtorrent_announce_status::peer_id_taken);
              ++refusals;
            } else {
              REQUIRE(result.accepted());
            }
            return;
          }
          REQUIRE(result.accepted());
          if (it != t->peers.end()) m.remove_peer(*t, peer);
          const auto counts = family_counts(t);
          REQUIRE(result.complete == counts.first);
          REQUIRE(result.incomplete == counts.second);
          if (t->peers.empty()) {
            m.keep(key, t->downloaded, now);
            m.torrents.erase(key);
          }
          return;
        }

        const model_peer* existing = nullptr;
        if (t != nullptr && t->peers.count(peer) != 0) existing = &t->peers[peer];
        const bool own = existing != nullptr && existing->owner == connection;
        std::optional<webtorrent_announce_status> refusal;
        if (existing != nullptr && !own && existing->expires_at > now) {
          refusal = webtorrent_announce_status::peer_id_taken;
        } else if (!own) {
          if (t != nullptr && m.peer_of_connection(*t, connection)) {
            refusal = webtorrent_announce_status::another_peer_id_on_connection;
          } else if (m.torrents_held(connection) >= rules.max_torrents_per_connection) {
            refusal = webtorrent_announce_status::too_many_torrents_on_connection;
          } else if (t != nullptr && t->peers.size() - (existing != nullptr ? 1 : 0) >= rules.max_peers_per_torrent) {
            refusal = webtorrent_announce_status::torrent_full;
          } else if ((t == nullptr && m.torrents.size() >= rules.max_torrents) ||
                     (existing == nullptr && m.peer_count() >= rules.max_peers)) {
            refusal = webtorrent_announce_status::tracker_full;
            ++tracker_full_refusals;
          }
        }
        if (refusal) {
          REQUIRE(result.status == *refusal);
          REQUIRE(result.deliveries.empty());
          ++refusals;
          return;
        }
        REQUIRE(result.accepted());

        if (existing != nullptr && !own) m.remove_peer(*t, peer);  // an expired holder's id taken over
        if (t == nullptr) {
          t = &m.torrents[key];
          if (const auto k = m.kept.find(key); k != m.kept.end()) {
            t->downloaded = k->second.downloaded;  // back within the retention: counts on from it
            m.kept.erase(k);
            ++counts_taken_back;
          }
        }
        bool seeder = copy.event == peer_event::completed || copy.left == std::uint64_t{0};
        model_peer updated;
        if (own) {
          updated = t->peers[peer];
          if (!copy.left && !seeder) seeder = updated.seeder;  // unknown left: as it was
          if (copy.event == peer_event::completed && !updated.seeder && !updated.counted) {
            updated.counted = true;
            ++t->downloaded;
          }
        }
        updated.owner = connection;
        updated.family = family;
        updated.seeder = seeder;
        updated.expires_at = now + rules.peer_timeout_seconds;
        t->peers[peer] = updated;

        const auto answers = of_kind(result, relay_kind::answer);
        const auto offers = of_kind(result, relay_kind::offer);
        REQUIRE(result.deliveries.size() == answers.size() + offers.size());
        if (copy.answer) {
          const std::uint32_t to = peer_id_number(copy.answer->to_peer_id);
          const auto pending = std::find_if(t->pending.begin(), t->pending.end(), [&](const model_offer& o) {
            return o.offerer == to && offer_of(o.id) == copy.answer->id;
          });
          bool expect_delivery = false;
          if (pending != t->pending.end() && pending->target == peer && pending->target_connection == connection) {
            expect_delivery = pending->expires_at > now;
            if (expect_delivery) {
              REQUIRE(answers.size() == 1);
              REQUIRE(answers[0].target == connection_of(pending->offerer_connection));
              REQUIRE(answers[0].from == peer_of(peer));
              REQUIRE(answers[0].offer == copy.answer->id);
              REQUIRE(answers[0].payload == copy.answer->payload);
              // The offerer is a live peer of this torrent on that connection.
              REQUIRE(t->peers.count(to) == 1);
              REQUIRE(t->peers[to].owner == pending->offerer_connection);
              ++answers_delivered;
            }
            t->pending.erase(pending);
          }
          if (!expect_delivery) {
            REQUIRE(answers.empty());
            REQUIRE(result.answers_dropped == 1);
          }
        } else {
          REQUIRE(answers.empty());
        }

        std::size_t candidates = 0;
        for (const auto& [id, p] : t->peers) {
          if (id != peer && p.family == family && !(seeder && p.seeder)) ++candidates;
        }
        std::size_t wanted = std::min<std::size_t>(copy.offers.size(), rules.max_offers_relayed);
        if (copy.numwant) wanted = std::min<std::size_t>(wanted, *copy.numwant);
        wanted = std::min<std::size_t>(wanted, rules.max_pending_offers_per_torrent);
        wanted = std::min<std::size_t>(wanted, rules.max_pending_offers_per_peer);
        const std::size_t expected_offers = std::min(wanted, candidates);
        REQUIRE(offers.size() == expected_offers);
        REQUIRE(result.offers_not_relayed == copy.offers.size() - expected_offers);
        std::set<std::uint32_t> targets;
        std::uint32_t evicted = 0;
        for (std::size_t i = 0; i < offers.size(); ++i) {
          const webtorrent_delivery& delivery = offers[i];
          REQUIRE(delivery.from == peer_of(peer));
          REQUIRE(delivery.offer == copy.offers[i].id);
          REQUIRE(delivery.payload == copy.offers[i].payload);
          REQUIRE(delivery.hash == hash_of(key));
          // The target is a live peer of this torrent and family, not the offerer, not a seeder
          // when the offerer is one, and no peer gets two offers.
          const auto target_connection = delivery.target.connection_id - 1000;
          REQUIRE(delivery.target == connection_of(target_connection));
          const auto target = m.peer_of_connection(*t, target_connection);
          REQUIRE(target);
          REQUIRE(*target != peer);
          REQUIRE(t->peers[*target].family == family);
          REQUIRE(!(seeder && t->peers[*target].seeder));
          REQUIRE(targets.insert(*target).second);

          const std::uint32_t id = offer_number(delivery.offer);
          const model_offer recorded{
              peer, id, *target, connection, target_connection, now + rules.offer_lifetime_seconds};
          std::erase_if(t->pending, [&](const model_offer& o) { return o.offerer == peer && o.id == id; });
          const auto made_by_peer = [&](const model_offer& o) { return o.offerer == peer; };
          if (static_cast<std::size_t>(std::count_if(t->pending.begin(), t->pending.end(), made_by_peer)) >=
              rules.max_pending_offers_per_peer) {
            t->pending.erase(std::find_if(t->pending.begin(), t->pending.end(), made_by_peer));  // its oldest
            ++evicted;
          }
          while (t->pending.size() >= rules.max_pending_offers_per_torrent) {
            t->pending.erase(t->pending.begin());
            ++evicted;
          }
          t->pending.push_back(recorded);
          delivered_offers.push_back(recorded);
          delivered_offer_torrent.push_back(key);
        }
        REQUIRE(result.pending_offers_evicted == evicted);
        const auto counts = family_counts(t);
        REQUIRE(result.complete == counts.first);
        REQUIRE(result.incomplete == counts.second);
      }();
    }

    // After every step: totals, scrapes and the shard's own invariants agree with the model.
    REQUIRE(shard.invariants_hold());
    webtorrent_totals expected;
    std::set<std::uint64_t> owners;
    for (const auto& [hash, t] : m.torrents) {
      ++expected.torrents;
      expected.pending_offers += t.pending.size();
      webtorrent_scrape_counts counts;
      counts.downloaded = t.downloaded;
      for (const auto& [id, p] : t.peers) {
        ++(p.seeder ? expected.seeders : expected.leechers);
        ++(p.seeder ? counts.complete : counts.incomplete);
        owners.insert(p.owner);
      }
      REQUIRE(same(shard.scrape(hash_of(hash)), counts));
    }
    for (std::uint8_t hash = 1; hash <= torrent_count; ++hash) {
      if (m.torrents.count(hash) != 0) continue;
      const auto k = m.kept.find(hash);
      REQUIRE(same(shard.scrape(hash_of(hash)), {0, 0, k != m.kept.end() ? k->second.downloaded : 0}));
    }
    REQUIRE(shard.kept_completed_counts() == m.kept.size());
    expected.peers = expected.seeders + expected.leechers;
    const webtorrent_totals totals = shard.totals();
    REQUIRE(totals.torrents == expected.torrents);
    REQUIRE(totals.peers == expected.peers);
    REQUIRE(totals.seeders == expected.seeders);
    REQUIRE(totals.leechers == expected.leechers);
    REQUIRE(totals.pending_offers == expected.pending_offers);
    REQUIRE(totals.connections == owners.size());
  }
  // The run exercised what it claims to.
  CHECK(deliveries_seen > 500);
  CHECK(answers_delivered > 50);
  CHECK(refusals > 50);
  CHECK(tracker_full_refusals > 10);
  CHECK(counts_taken_back >= 2);
}

TEST_CASE("webtorrent: once a flood of connections has gone, the maps give their room back", "[core][webtorrent]") {
  fixture f;
  const auto many_hash = [](std::uint32_t n) {
    info_hash hash{};
    for (std::size_t i = 0; i < 4; ++i) hash.bytes[i] = static_cast<std::uint8_t>(n >> (8 * i));
    return hash;
  };
  // 20,000 connections, each with its own torrent; then all but 100 close.
  for (std::uint32_t n = 0; n < 20000; ++n) {
    announce_builder announce(1, n);
    announce.value.hash = many_hash(n);
    REQUIRE(f.shard.announce(announce, 0, f.random).accepted());
  }
  const std::size_t torrents_flooded = f.shard.torrent_capacity();
  const std::size_t connections_flooded = f.shard.connection_capacity();
  REQUIRE(torrents_flooded >= 20000);
  REQUIRE(connections_flooded >= 20000);
  for (std::uint32_t n = 100; n < 20000; ++n) f.shard.disconnect(connection_of(n), 0);
  f.shard.clean(1);
  CHECK(f.shard.torrent_capacity() < torrents_flooded / 16);
  CHECK(f.shard.connection_capacity() < connections_flooded / 16);
  CHECK(f.shard.invariants_hold());
  CHECK(f.shard.totals().torrents == 100);
  CHECK(f.shard.totals().connections == 100);
  // A survivor is still found: a newcomer's offer reaches it.
  for (std::uint32_t n = 0; n < 100; n += 33) {
    CHECK(same(f.shard.scrape(many_hash(n), address_family::ipv4), {0, 1, 0}));
    announce_builder newcomer(1, 50000 + n);
    newcomer.value.hash = many_hash(n);
    const auto result = f.announce(newcomer.offers(1), 2);
    REQUIRE(result.deliveries.size() == 1);
    CHECK(result.deliveries[0].target == connection_of(n));
  }
}

