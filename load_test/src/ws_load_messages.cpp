#include "ws_load_messages.hpp"

#include <algorithm>
#include <variant>

namespace riptide::load_test {

wt::json_text make_sdp_object(std::string_view type, std::uint32_t sdp_bytes) {
  // Only [a-z=\r\n] characters: nothing needs escaping, so the text is exactly sdp_bytes long.
  const std::size_t length = std::max<std::uint32_t>(sdp_bytes, 1);
  std::string sdp = length >= 5 ? "v=0\r\n" : "";
  sdp.resize(length, 'a');
  std::string escaped;
  for (const char c : sdp) {
    if (c == '\r') escaped += "\\r";
    else if (c == '\n') escaped += "\\n";
    else escaped += c;
  }
  auto object = wt::json_text::parse_object(R"({"type":")" + std::string(type) + R"(","sdp":")" + escaped + "\"}");
  return std::move(*object);  // always a valid object: the text above is JSON by construction
}

std::string make_offer_announce(const proto::info_hash& hash, const proto::peer_id& peer, bool first,
                                std::uint32_t offers, const wt::json_text& offer, std::mt19937_64& random) {
  wt::announce_message message;
  message.hash = hash;
  message.peer = peer;
  message.event = first ? wt::announce_event::started : wt::announce_event::none;
  message.left = 1000;
  message.uploaded = 0;
  message.downloaded = 0;
  message.numwant = offers;
  for (std::uint32_t i = 0; i < offers; ++i) {
    proto::offer_id id;
    for (auto& byte : id.bytes) byte = static_cast<std::uint8_t>(random());
    message.offers.push_back(wt::announce_offer{id, offer});
  }
  return wt::encode_announce(message);
}

std::string make_answer(const proto::peer_id& peer, const wt::offer_relay& relay, const wt::json_text& answer) {
  wt::announce_message message;
  message.hash = relay.hash;
  message.peer = peer;
  message.answer = wt::announce_answer{relay.offerer, relay.id, answer};
  return wt::encode_announce(message);
}

ws_received kind_of(const wt::tracker_message& message) {
  switch (message.index()) {
    case 0: return ws_received::announce_response;
    case 1: return ws_received::offer;
    case 2: return ws_received::answer;
    case 3: return ws_received::scrape_response;
    default: return ws_received::failure;
  }
}

}  // namespace riptide::load_test
