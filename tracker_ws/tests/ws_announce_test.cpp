// Announce responses and failure replies, over IPv4 and IPv6.

#include "ws_integration_support.hpp"

namespace riptide::test {
namespace {

// Two torrents per connection, peers that time out after 2 s, and a cleaning every `cleaning_seconds`.
std::string two_torrents_expiring_config(int cleaning_seconds) {
  return ws_config("max_torrents_per_connection = 2\n",
                   "[protocol]\nannounce_interval_seconds = 1\npeer_timeout_seconds = 2\n[cleaning]\ninterval_seconds = " +
                       std::to_string(cleaning_seconds) + "\n");
}

// Announces torrents 0 to count - 1 (seeding) as `peer`, each answered with an announce response.
void announce_torrents(ws_test_client& client, const proto::peer_id& peer, std::uint8_t count) {
  for (std::uint8_t i = 0; i < count; ++i) {
    client.send(announce(make_id<proto::info_hash>(i), peer, 0));
    expect_message<wt::announce_response>(client.receive());
  }
}

TEST_CASE("announce gets interval, complete and incomplete of its swarm", "[announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  REQUIRE(tracker.has_ipv4());
  REQUIRE(tracker.has_ipv6());
  std::uint8_t seed = 1;
  for (const char* host : loopback_hosts) {
    INFO("host " << host);
    const auto hash = make_id<proto::info_hash>(seed++);
    ws_test_client leecher(host, tracker.port());
    leecher.send(announce(hash, make_id<proto::peer_id>(seed++), 100, wt::announce_event::started));
    const auto first = expect_message<wt::announce_response>(leecher.receive());
    CHECK(first.hash == hash);
    CHECK(first.interval == 120);
    CHECK(first.complete == 0);
    CHECK(first.incomplete == 1);

    ws_test_client seeder(host, tracker.port());
    seeder.send(announce(hash, make_id<proto::peer_id>(seed++), 0, wt::announce_event::started));
    const auto second = expect_message<wt::announce_response>(seeder.receive());
    CHECK(second.complete == 1);
    CHECK(second.incomplete == 1);
  }
  CHECK(tracker.stop() == 0);
}

TEST_CASE("the interval is the configured one", "[announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config("", "[protocol]\nannounce_interval_seconds = 30\n"));
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(announce(make_id<proto::info_hash>(3), make_id<proto::peer_id>(4), std::nullopt));
  CHECK(expect_message<wt::announce_response>(client.receive()).interval == 30);
}

TEST_CASE("left as real clients send it: -1 from a magnet link and none after completed", "[announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  const std::string hash(20, 'h');
  const auto message = [&](const std::string& peer, const std::string& rest) {
    return R"({"action":"announce","info_hash":")" + hash + R"(","peer_id":")" + peer + "\"" + rest + "}";
  };
  // bittorrent-tracker's client unless told how much is left: started, completed, then regular
  // announces, none with `left`. The peer stays a seeder.
  ws_test_client seeder("127.0.0.1", tracker.port());
  seeder.send(message(std::string(20, 's'), R"(,"event":"started","numwant":0)"));
  CHECK(expect_message<wt::announce_response>(seeder.receive()).incomplete == 1);
  seeder.send(message(std::string(20, 's'), R"(,"event":"completed","numwant":0)"));
  CHECK(expect_message<wt::announce_response>(seeder.receive()).complete == 1);
  seeder.send(message(std::string(20, 's'), R"(,"numwant":0)"));
  const auto regular = expect_message<wt::announce_response>(seeder.receive());
  CHECK(regular.complete == 1);
  CHECK(regular.incomplete == 0);
  // anacrolix/torrent without the metainfo yet: `left` -1, a leecher whose offer is relayed.
  ws_test_client magnet("127.0.0.1", tracker.port());
  magnet.send(message(std::string(20, 'm'),
                      R"(,"numwant":1,"uploaded":0,"downloaded":0,"left":-1,"event":"started",)"
                      R"("offers":[{"offer_id":")" + std::string(20, 'o') + R"(","offer":{"type":"offer","sdp":"v=0"}}])"));
  const auto response = expect_message<wt::announce_response>(magnet.receive());
  CHECK(response.complete == 1);
  CHECK(response.incomplete == 1);
  const auto relayed = expect_message<wt::offer_relay>(seeder.receive());
  std::array<std::uint8_t, 20> magnet_peer;
  magnet_peer.fill('m');
  CHECK(relayed.offerer.bytes == magnet_peer);
}

TEST_CASE("a malformed message gets a failure reply with action and info_hash", "[announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  ws_test_client client("127.0.0.1", tracker.port());
  const std::string hash_text(20, 'a');
  client.send(R"({"action":"announce","info_hash":")" + hash_text + R"(","peer_id":"too short"})");
  const auto failure = expect_message<wt::failure_reply>(client.receive());
  CHECK_FALSE(failure.reason.empty());
  REQUIRE(failure.action);
  CHECK(*failure.action == wt::message_action::announce);
  REQUIRE(failure.hash);
  CHECK(failure.hash->bytes == std::array<std::uint8_t, 20>{'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
                                                             'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'});

  SECTION("not JSON at all: the failure still names an action, and the connection stays usable") {
    client.send("this is not json");
    const auto garbage = expect_message<wt::failure_reply>(client.receive());
    CHECK(garbage.action);
    client.send(announce(make_id<proto::info_hash>(5), make_id<proto::peer_id>(6), 0));
    CHECK(expect_message<wt::announce_response>(client.receive()).complete == 1);
  }
}

TEST_CASE("an info hash outside the access list is refused with action and info_hash", "[announce]") {
  const auto allowed = make_id<proto::info_hash>(7);
  temporary_file list(proto::to_hex(allowed) + "\n");
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "[access_list]\nmode = \"allow\"\npath = \"" + list.path() + "\"\n"));
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(announce(allowed, make_id<proto::peer_id>(1), 0));
  CHECK(expect_message<wt::announce_response>(client.receive()).complete == 1);

  const auto refused = make_id<proto::info_hash>(8);
  client.send(announce(refused, make_id<proto::peer_id>(1), 0));
  const auto failure = expect_message<wt::failure_reply>(client.receive());
  REQUIRE(failure.hash);
  CHECK(*failure.hash == refused);
  CHECK(failure.action == wt::message_action::announce);
}

TEST_CASE("a connection announcing more than max_torrents_per_connection torrents is refused", "[announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_torrents_per_connection = 2\n"));
  ws_test_client client("127.0.0.1", tracker.port());
  const auto peer = make_id<proto::peer_id>(1);
  announce_torrents(client, peer, 2);
  const auto third = make_id<proto::info_hash>(2);
  client.send(announce(third, peer, 0));
  const auto failure = expect_message<wt::failure_reply>(client.receive());
  CHECK(failure.hash == third);
  CHECK(failure.action == wt::message_action::announce);
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("too_many_torrents":1)"));  // (a second one follows)
  // Another connection has its own budget.
  ws_test_client other("127.0.0.1", tracker.port());
  other.send(announce(third, make_id<proto::peer_id>(2), 0));
  CHECK(expect_message<wt::announce_response>(other.receive()).complete == 1);
  // A `stopped` under a made-up peer id removes nothing, so it frees no place either.
  client.send(announce(make_id<proto::info_hash>(0), make_id<proto::peer_id>(99), 0, wt::announce_event::stopped));
  expect_message<wt::announce_response>(client.receive());
  client.send(announce(third, peer, 0));
  CHECK(expect_message<wt::failure_reply>(client.receive()).hash == third);
  // Leaving a torrent with `stopped` frees its place (the torrents may live on different shards:
  // the connection's socket worker keeps this count).
  client.send(announce(make_id<proto::info_hash>(0), peer, 0, wt::announce_event::stopped));
  expect_message<wt::announce_response>(client.receive());
  client.send(announce(third, peer, 0));
  CHECK(expect_message<wt::announce_response>(client.receive()).complete == 2);
}

TEST_CASE("a refused announce takes no place of max_torrents_per_connection", "[announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_torrents_per_connection = 2\n"));
  ws_test_client holder("127.0.0.1", tracker.port());
  ws_test_client client("127.0.0.1", tracker.port());
  const auto taken = make_id<proto::peer_id>(1);
  const auto own = make_id<proto::peer_id>(2);
  for (std::uint8_t round = 0; round < 3; ++round) {
    // `holder` has peer `taken` in torrent T; `client` tries that peer id there (refused), joins T
    // with its own, then stops `taken` (not its peer: nothing is removed).
    const auto torrent = make_id<proto::info_hash>(round);
    holder.send(announce(torrent, taken, 0));
    expect_message<wt::announce_response>(holder.receive());
    client.send(announce(torrent, taken, 0));
    expect_message<wt::failure_reply>(client.receive());
    client.send(announce(torrent, own, 0));
    if (round < 2) {
      expect_message<wt::announce_response>(client.receive());
    } else {
      // The third torrent is one too many, whatever was refused or stopped before.
      CHECK(expect_message<wt::failure_reply>(client.receive()).hash == torrent);
    }
    client.send(announce(torrent, taken, 0, wt::announce_event::stopped));
    client.receive();
    holder.send(announce(torrent, taken, 0, wt::announce_event::stopped));
    expect_message<wt::announce_response>(holder.receive());
  }
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("peers":2,)"));
}

TEST_CASE("a torrent whose peer expired no longer counts against max_torrents_per_connection", "[announce]") {
  tracker_process tracker(tracker_ws_path(), two_torrents_expiring_config(1));
  ws_test_client client("127.0.0.1", tracker.port());
  const auto peer = make_id<proto::peer_id>(1);
  announce_torrents(client, peer, 2);
  // Silent on both until the cleaning has dropped both peers; the connection stays open.
  REQUIRE(stats_show("127.0.0.1", tracker.port(), R"("peers":0,)", std::chrono::seconds(8)));
  // With request workers the socket worker gives the places back a cleaning interval (and 2 s)
  // after the peers' timeout, when the shards have surely dropped them: by 5 s from the last
  // announce here. Asked again until then.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  bool accepted = false;
  while (!accepted && std::chrono::steady_clock::now() < deadline) {
    client.send(announce(make_id<proto::info_hash>(2), peer, 0));
    const auto reply = wt::decode_tracker_message(*client.receive());
    const auto* message = std::get_if<wt::tracker_message>(&reply);
    accepted = message != nullptr && std::holds_alternative<wt::announce_response>(*message);
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  CHECK(accepted);
}

TEST_CASE("a silent torrent counts against max_torrents_per_connection until the cleaning drops its peer", "[announce]") {
  // The peers time out after 2 s, but the cleaning runs only every 60 s: until then they are in
  // their swarms, so new torrents are refused, in whichever shard they fall.
  tracker_process tracker(tracker_ws_path(), two_torrents_expiring_config(60));
  ws_test_client client("127.0.0.1", tracker.port());
  const auto peer = make_id<proto::peer_id>(1);
  announce_torrents(client, peer, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  for (std::uint8_t i = 2; i < 10; ++i) {
    client.send(announce(make_id<proto::info_hash>(i), peer, 0));
    CHECK(expect_message<wt::failure_reply>(client.receive()).hash == make_id<proto::info_hash>(i));
  }
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("peers":2,)"));
}

TEST_CASE("beyond max_torrents or max_peers a new torrent or peer gets \"tracker is full\"", "[announce]") {
  const std::string limit = GENERATE(std::string("max_torrents = 10\n"), std::string("max_peers = 10\n"));
  INFO(limit);
  tracker_process tracker(tracker_ws_path(), ws_config(limit));
  ws_test_client client("127.0.0.1", tracker.port());
  const auto peer = make_id<proto::peer_id>(1);
  std::vector<proto::info_hash> accepted;
  std::uint32_t refused = 0;
  // 50 torrents of one peer each. With request workers each shard has its share of the limit;
  // the keyed hash gives each of two shards far more than 5 of the 50, so both fill.
  for (std::uint8_t i = 0; i < 50; ++i) {
    const auto hash = make_id<proto::info_hash>(i);
    client.send(announce(hash, peer, 0));
    const auto reply = wt::decode_tracker_message(*client.receive());
    REQUIRE(std::holds_alternative<wt::tracker_message>(reply));
    const auto& message = std::get<wt::tracker_message>(reply);
    if (std::holds_alternative<wt::announce_response>(message)) {
      accepted.push_back(hash);
    } else {
      REQUIRE(std::holds_alternative<wt::failure_reply>(message));
      CHECK(std::get<wt::failure_reply>(message).reason == "tracker is full");
      ++refused;
    }
  }
  CHECK(accepted.size() == 10);
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("tracker_full":)" + std::to_string(refused) + "}"));
  // The peers already in keep announcing.
  for (const auto& hash : accepted) {
    client.send(announce(hash, peer, 0));
    CHECK(expect_message<wt::announce_response>(client.receive()).complete == 1);
  }
}

TEST_CASE("offers past max_offers, longer than max_sdp_bytes or malformed are skipped and counted, long answers refused", "[announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_offers = 2\nmax_sdp_bytes = 300\n"));
  const auto hash = make_id<proto::info_hash>(5);
  ws_test_client target("127.0.0.1", tracker.port());
  target.send(announce(hash, make_id<proto::peer_id>(1), 100));
  expect_message<wt::announce_response>(target.receive());

  // Entries: one not an offer, one too long, then three good ones of which two fit max_offers.
  wt::announce_message message;
  message.hash = hash;
  message.peer = make_id<proto::peer_id>(2);
  message.left = 100;
  message.offers.push_back({make_id<proto::offer_id>(9), sdp("offer", std::string(400, 'z'))});
  for (std::uint8_t id = 10; id < 13; ++id) message.offers.push_back({make_id<proto::offer_id>(id), sdp("offer", "x")});
  std::string text = wt::encode_announce(message);
  const auto offers_at = text.find(R"("offers":[)");
  REQUIRE(offers_at != std::string::npos);
  text.insert(offers_at + 10, R"({"offer_id":"short"},)");
  ws_test_client offerer("127.0.0.1", tracker.port());
  offerer.send(text);
  expect_message<wt::announce_response>(offerer.receive());
  // One other peer: one of the kept offers reaches it.
  const auto relayed = expect_message<wt::offer_relay>(target.receive());
  CHECK(relayed.offer == sdp("offer", "x"));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("offers_over_limit":1,"oversized_offers":1,"oversized_answers":0,"invalid_offers":1)"));

  // An answer longer than max_sdp_bytes is refused: there is nothing in it to keep.
  target.send(answer(hash, make_id<proto::peer_id>(1), relayed.offerer, relayed.id, std::string(400, 'z')));
  const auto failure = expect_message<wt::failure_reply>(target.receive());
  CHECK(failure.reason == "answer too large");
  CHECK(failure.action == wt::message_action::announce);
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("oversized_answers":1)"));
  target.send(answer(hash, make_id<proto::peer_id>(1), relayed.offerer, relayed.id, "x"));
  CHECK(expect_message<wt::answer_relay>(offerer.receive()).answer == sdp("answer", "x"));
}

}  // namespace
}  // namespace riptide::test
