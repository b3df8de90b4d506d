// Offer and answer relay between connections.

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

}  // namespace
}  // namespace riptide::test
