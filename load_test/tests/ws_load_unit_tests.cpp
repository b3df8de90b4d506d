// Unit tests of the pure parts of `load_test ws`: the messages it sends (checked by decoding them with
// the tracker's own decoder), reply classification, counters and configuration rules.
#define CATCH_CONFIG_MAIN
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <variant>

#include "ws_load_counters.hpp"
#include "ws_load_messages.hpp"
#include "ws_load_options.hpp"

using namespace riptide;
using namespace riptide::load_test;
namespace wt = proto::webtorrent;

namespace {

template <typename Id>
Id id_of(std::uint8_t fill) {
  Id id;
  id.bytes.fill(fill);
  return id;
}

wt::announce_message decode_announce(const std::string& text) {
  auto decoded = wt::decode_client_message(text);
  REQUIRE(std::holds_alternative<wt::client_message>(decoded));
  auto& message = std::get<wt::client_message>(decoded);
  REQUIRE(std::holds_alternative<wt::announce_message>(message));
  return std::get<wt::announce_message>(message);
}

}  // namespace

TEST_CASE("ws sdp object: the requested type and an sdp text of exactly sdp_bytes", "[load_test][ws]") {
  for (const std::uint32_t bytes : {1U, 4U, 5U, 1000U, 16000U}) {
    const auto offer = make_sdp_object("offer", bytes);
    // {"type":"offer","sdp":"..."}: 22 characters around the sdp, \r and \n each escaped to two.
    const auto text = offer.text();
    const auto escapes = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\\'));
    CHECK(offer.size() == std::string_view(R"({"type":"offer","sdp":""})").size() + bytes + escapes);
    CHECK(text.starts_with(R"({"type":"offer","sdp":"v)"));
    // Browser-like: CRLF-terminated lines, none longer than 100 characters.
    if (bytes >= 1000) CHECK(escapes >= 2 * (bytes / 100));
  }
}

TEST_CASE("ws announce with offers: the tracker's decoder reads back every field", "[load_test][ws]") {
  std::mt19937_64 random(7);
  const auto hash = id_of<proto::info_hash>(0xab);
  const auto peer = id_of<proto::peer_id>(0x80);  // bytes >= 0x80 travel as two UTF-8 bytes
  const auto offer = make_sdp_object("offer", 1000);
  const auto message = decode_announce(make_offer_announce(hash, peer, true, 5, offer, random));
  CHECK(message.hash == hash);
  CHECK(message.peer == peer);
  CHECK(message.event == wt::announce_event::started);
  CHECK(message.numwant == 5U);
  CHECK(message.left == 1000U);
  REQUIRE(message.offers.size() == 5);
  std::set<std::array<std::uint8_t, 20>> ids;
  for (const auto& o : message.offers) {
    CHECK(o.offer == offer);
    ids.insert(o.id.bytes);
  }
  CHECK(ids.size() == 5);
  CHECK_FALSE(message.answer.has_value());
  CHECK(decode_announce(make_offer_announce(hash, peer, false, 0, offer, random)).event == wt::announce_event::none);
}

TEST_CASE("ws answer: addressed to the offerer, for its offer id, with the answer payload", "[load_test][ws]") {
  const wt::offer_relay relay{id_of<proto::info_hash>(1), id_of<proto::peer_id>(2), id_of<wt::offer_id>(3),
                              make_sdp_object("offer", 10)};
  const auto answer = make_sdp_object("answer", 10);
  const auto message = decode_announce(make_answer(id_of<proto::peer_id>(4), relay, answer));
  CHECK(message.hash == relay.hash);
  CHECK(message.peer == id_of<proto::peer_id>(4));
  REQUIRE(message.answer.has_value());
  CHECK(message.answer->to_peer == relay.offerer);
  CHECK(message.answer->id == relay.id);
  CHECK(message.answer->answer == answer);
  CHECK(message.offers.empty());
}

TEST_CASE("ws replies: each tracker message is counted as its kind", "[load_test][ws]") {
  const auto kind = [](const std::string& text) {
    auto decoded = wt::decode_tracker_message(text);
    REQUIRE(std::holds_alternative<wt::tracker_message>(decoded));
    return kind_of(std::get<wt::tracker_message>(decoded));
  };
  const auto hash = id_of<proto::info_hash>(1);
  CHECK(kind(wt::encode_announce_response({hash, 120, 1, 2, std::nullopt})) == ws_received::announce_response);
  CHECK(kind(wt::encode_offer_relay({hash, id_of<proto::peer_id>(2), id_of<wt::offer_id>(3),
                                     make_sdp_object("offer", 10)})) == ws_received::offer);
  CHECK(kind(wt::encode_answer_relay({hash, id_of<proto::peer_id>(2), id_of<wt::offer_id>(3),
                                      make_sdp_object("answer", 10)})) == ws_received::answer);
  CHECK(kind(wt::encode_scrape_response({{{hash, {1, 2, 3}}}})) == ws_received::scrape_response);
  CHECK(kind(wt::encode_failure({"nope", wt::message_action::scrape, hash})) == ws_received::failure);
}

TEST_CASE("ws counts: sums and differences are per counter", "[load_test][ws]") {
  ws_live_counters live;
  live.add(ws_sent::announce);
  const ws_counts before = live.snapshot();
  live.add(ws_sent::announce);
  live.add(ws_received::offer);
  live.add_malformed();
  const ws_counts delta = live.snapshot() - before;
  CHECK(delta.of(ws_sent::announce) == 1);
  CHECK(delta.of(ws_received::offer) == 1);
  CHECK(delta.malformed == 1);
  CHECK(delta.closed == 0);
  ws_counts sum = before;
  sum += delta;
  CHECK(sum.of(ws_sent::announce) == 2);
}

TEST_CASE("ws config: defaults are valid, a bad address or nothing to send is refused", "[load_test][ws]") {
  ws_load_config config;
  CHECK_FALSE(validate_ws_load_config(config).has_value());
  config.target.address = "localhost";
  CHECK(validate_ws_load_config(config).has_value());
  config = {};
  config.run.first_source_address = "::1";
  CHECK(validate_ws_load_config(config).has_value());
  config = {};
  config.requests.announce_weight = 0;
  config.requests.scrape_weight = 0;
  CHECK(validate_ws_load_config(config).has_value());
}
