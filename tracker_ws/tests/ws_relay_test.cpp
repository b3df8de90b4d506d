// Offer and answer relay between connections.

#include <memory>
#include <set>
#include <vector>

#include "ws_integration_support.hpp"

namespace riptide::test {
namespace {

TEST_CASE("an offer reaches the other peer and only the matching answer comes back", "[relay]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  INFO("host " << host);
  tracker_process tracker(tracker_ws_path(), ws_config());
  std::uint8_t seed = 10;
  {
    const auto hash = make_id<proto::info_hash>(seed++);
    const auto peer_a = make_id<proto::peer_id>(seed++);
    const auto peer_b = make_id<proto::peer_id>(seed++);
    const auto offer = make_id<proto::offer_id>(seed++);
    ws_test_client a(host, tracker.port());
    ws_test_client b(host, tracker.port());

    b.send(announce(hash, peer_b, 100, wt::announce_event::started));
    expect_message<wt::announce_response>(b.receive());

    a.send(announce_with_offer(hash, peer_a, offer, "offer of a"));
    CHECK(expect_message<wt::announce_response>(a.receive()).incomplete == 2);
    const auto relayed = expect_message<wt::offer_relay>(b.receive());
    CHECK(relayed.hash == hash);
    CHECK(relayed.offerer == peer_a);
    CHECK(relayed.id == offer);
    CHECK(relayed.offer == sdp("offer", "offer of a"));

    SECTION("a forged answer (wrong offer id) is not relayed") {
      b.send(answer(hash, peer_b, peer_a, make_id<proto::offer_id>(99), "forged"));
      CHECK_FALSE(a.receive(std::chrono::milliseconds(300)));
    }
    SECTION("an answer from a peer the offer was not made to is not relayed") {
      ws_test_client c(host, tracker.port());
      c.send(answer(hash, make_id<proto::peer_id>(77), peer_a, offer, "intruder"));
      CHECK_FALSE(a.receive(std::chrono::milliseconds(300)));
      // The real answer still goes through: the intruder did not consume the offer.
      b.send(answer(hash, peer_b, peer_a, offer, "answer of b"));
      CHECK(expect_message<wt::answer_relay>(a.receive()).answerer == peer_b);
    }
    SECTION("the matching answer goes to the offerer only, without an announce response") {
      b.send(answer(hash, peer_b, peer_a, offer, "answer of b"));
      const auto answered = expect_message<wt::answer_relay>(a.receive());
      CHECK(answered.hash == hash);
      CHECK(answered.answerer == peer_b);
      CHECK(answered.id == offer);
      CHECK(answered.answer == sdp("answer", "answer of b"));
      CHECK_FALSE(b.receive(std::chrono::milliseconds(300)));
      // One answer per offer: a second is dropped.
      b.send(answer(hash, peer_b, peer_a, offer, "again"));
      CHECK_FALSE(a.receive(std::chrono::milliseconds(300)));
    }
  }
  CHECK(tracker.stop() == 0);
}

TEST_CASE("offers reach every other peer and their answers come back, across connections and workers", "[relay]") {
  // With several socket workers the kernel spreads these connections over them: relays then cross
  // from one worker's connection to another's (through a request worker when there are some).
  tracker_process tracker(tracker_ws_path(), ws_config());
  constexpr std::uint8_t peers = 8;
  const auto hash = make_id<proto::info_hash>(1);
  std::vector<std::unique_ptr<ws_test_client>> clients;
  for (std::uint8_t i = 1; i < peers; ++i) {
    clients.push_back(std::make_unique<ws_test_client>("127.0.0.1", tracker.port()));
    clients.back()->send(announce(hash, make_id<proto::peer_id>(i), 100, wt::announce_event::started));
    expect_message<wt::announce_response>(clients.back()->receive());
  }
  ws_test_client offerer("127.0.0.1", tracker.port());
  const auto offerer_id = make_id<proto::peer_id>(0);
  wt::announce_message message;
  message.hash = hash;
  message.peer = offerer_id;
  message.left = 100;
  for (std::uint8_t i = 0; i < peers - 1; ++i) {
    message.offers.push_back({make_id<proto::offer_id>(i), sdp("offer", "offer " + std::to_string(i))});
  }
  offerer.send(wt::encode_announce(message));
  CHECK(expect_message<wt::announce_response>(offerer.receive()).incomplete == peers);

  // Each other peer gets exactly one of the offers, and answers it.
  std::set<std::string> offers_seen;
  for (std::uint8_t i = 1; i < peers; ++i) {
    const auto relayed = expect_message<wt::offer_relay>(clients[i - 1]->receive());
    CHECK(relayed.offerer == offerer_id);
    offers_seen.insert(std::string(relayed.offer.text()));
    clients[i - 1]->send(answer(hash, make_id<proto::peer_id>(i), offerer_id, relayed.id, "answer " + std::to_string(i)));
  }
  CHECK(offers_seen.size() == peers - 1);
  std::set<proto::peer_id> answerers;
  for (std::uint8_t i = 1; i < peers; ++i) answerers.insert(expect_message<wt::answer_relay>(offerer.receive()).answerer);
  CHECK(answerers.size() == peers - 1);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("a peer that keeps announcing offers holds at most 3 x max_offers_relayed of them pending", "[relay]") {
  // max_offers_relayed 2: at most 6 pending offers per peer and torrent, however often it announces.
  tracker_process tracker(tracker_ws_path(), ws_config("", "[protocol]\nmax_offers_relayed = 2\n"));
  const auto hash = make_id<proto::info_hash>(3);
  std::vector<std::unique_ptr<ws_test_client>> others;
  for (std::uint8_t i = 1; i <= 4; ++i) {
    others.push_back(std::make_unique<ws_test_client>("127.0.0.1", tracker.port()));
    others.back()->send(announce(hash, make_id<proto::peer_id>(i), 100));
    expect_message<wt::announce_response>(others.back()->receive());
  }
  ws_test_client flooder("127.0.0.1", tracker.port());
  wt::announce_message message;
  message.hash = hash;
  message.peer = make_id<proto::peer_id>(0);
  message.left = 100;
  for (std::uint8_t round = 0; round < 20; ++round) {
    message.offers.clear();
    for (std::uint8_t i = 0; i < 2; ++i) {
      message.offers.push_back({make_id<proto::offer_id>(static_cast<std::uint8_t>(2 * round + i)), sdp("offer", "o")});
    }
    flooder.send(wt::encode_announce(message));
    expect_message<wt::announce_response>(flooder.receive());
  }
  // 40 offers relayed, 6 still pending: the flooder's newest.
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("pending_offers":6,)"));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("relayed":{"offers":40,)"));
}

}  // namespace
}  // namespace riptide::test
