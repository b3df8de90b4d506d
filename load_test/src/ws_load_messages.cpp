#include "ws_load_messages.hpp"

#include <algorithm>
#include <variant>

namespace riptide::load_test {

namespace {

// The lines of a browser's data-channel offer (Chromium), repeated from the candidate on: a real
// SDP is CRLF-terminated lines of 10 to 100 characters, so its JSON form has an escape pair every
// 40 bytes or so, which is what a JSON decoder really spends its time on.
constexpr std::string_view browser_sdp_lines[] = {
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:Xk3b",
    "a=ice-pwd:2hOCvS1j8hmWUO9yWNtJYxPg",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CD:87:32:BE:DD:8C:66:A5:8E:50:55:EA:2C:D3:8A:BC",
    "a=setup:actpass",
    "a=mid:0",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
    "a=candidate:842163049 1 udp 1677729535 203.0.113.7 54400 typ srflx raddr 0.0.0.0 rport 0 generation 0",
};

}  // namespace

wt::json_text make_sdp_object(std::string_view type, std::uint32_t sdp_bytes) {
  const std::size_t length = std::max<std::uint32_t>(sdp_bytes, 1);
  std::string sdp;
  for (std::size_t line = 0; sdp.size() < length; ++line) {
    sdp += browser_sdp_lines[std::min(line, std::size(browser_sdp_lines) - 1)];  // then candidates
    sdp += "\r\n";
  }
  sdp.resize(length);  // the last line cut short: the text is exactly sdp_bytes long
  // Nothing in the lines needs escaping but the line ends.
  std::string escaped;
  for (const char c : sdp) {
    if (c == '\r') {
      escaped += "\\r";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
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
