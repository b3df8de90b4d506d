#pragma once
// Shared by the tracker_ws integration tests: the tracker's config, ids, message builders and
// reply parsing over the project's WebTorrent codec. Header-only.

#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <optional>
#include <string>
#include <variant>

#include "tracker/proto/webtorrent_codec.hpp"
#include "tracker_process.hpp"
#include "ws_test_client.hpp"

#ifndef TRACKER_WS_PATH
#error "TRACKER_WS_PATH must name the tracker_ws executable (set by tracker_ws/tests/CMakeLists.txt)"
#endif

namespace riptide::test {

namespace wt = proto::webtorrent;

// The [workers] section of every tracker a test starts. RIPTIDE_TEST_WS_WORKERS="S,R" runs the
// tests with S socket workers and R request workers (CMakeLists.txt runs them once that way);
// unset, the default layout (one socket worker owning the swarms).
inline std::string workers_section() {
  const char* layout = std::getenv("RIPTIDE_TEST_WS_WORKERS");
  if (layout == nullptr) return "";
  const std::string text = layout;
  const auto comma = text.find(',');
  REQUIRE(comma != std::string::npos);
  return "[workers]\nsocket_workers = " + text.substr(0, comma) + "\nrequest_workers = " + text.substr(comma + 1) +
         "\n";
}

// Loopback only, a port the kernel picks, no statistics line; `extra` adds sections or keys of
// sections not named here (TOML forbids a section twice).
// `network`: more keys of [network].
inline std::string ws_config(const std::string& limits = "", const std::string& extra = "",
                             const std::string& network = "") {
  return "[network]\nipv4_address = \"127.0.0.1\"\nipv6_address = \"::1\"\nport = 0\n" + network +
         "[statistics]\ninterval_seconds = 0\n" +
         workers_section() + "[limits]\n" + limits + "\n" + extra;
}

inline std::string tracker_ws_path() { return TRACKER_WS_PATH; }

// The loopback host of each family, to run a test over both.
inline const char* const loopback_hosts[] = {"127.0.0.1", "::1"};

// Bytes >= 0x80 on purpose: they travel as two UTF-8 bytes (docs/protocols.md).
template <typename Id>
Id make_id(std::uint8_t seed) {
  Id id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(seed * 7 + i * 13 + 0x80);
  return id;
}

inline wt::json_text sdp(const std::string& type, const std::string& text) {
  auto parsed = wt::json_text::parse_object(R"({"type":")" + type + R"(","sdp":")" + text + R"("})");
  REQUIRE(parsed);
  return *parsed;
}

inline std::string announce(const proto::info_hash& hash, const proto::peer_id& peer, std::optional<std::uint64_t> left,
                            wt::announce_event event = wt::announce_event::none) {
  wt::announce_message message;
  message.hash = hash;
  message.peer = peer;
  message.left = left;
  message.event = event;
  return wt::encode_announce(message);
}

inline std::string announce_with_offer(const proto::info_hash& hash, const proto::peer_id& peer,
                                       const proto::offer_id& offer, const std::string& sdp_text) {
  wt::announce_message message;
  message.hash = hash;
  message.peer = peer;
  message.left = 100;
  message.offers.push_back({offer, sdp("offer", sdp_text)});
  return wt::encode_announce(message);
}

inline std::string answer(const proto::info_hash& hash, const proto::peer_id& answerer, const proto::peer_id& offerer,
                          const proto::offer_id& offer, const std::string& sdp_text) {
  wt::announce_message message;
  message.hash = hash;
  message.peer = answerer;
  message.left = 100;
  message.answer = wt::announce_answer{offerer, offer, sdp("answer", sdp_text)};
  return wt::encode_announce(message);
}

// Polls GET /stats until its JSON contains `needle`, e.g. R"("idle_timeouts":1)": a counter is
// written by the thread that saw the event, which may run a moment after the client noticed it.
// A request refused at accept (its connection closed: a limit, while an earlier connection's
// place is still held) is tried again.
inline bool stats_show(const std::string& host, std::uint16_t port, const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string body;
  do {
    try {
      body = http_get(host, port, "/stats").body;
      if (body.find(needle) != std::string::npos) return true;
    } catch (const boost::system::system_error& error) {
      body = std::string("(no response: ") + error.what() + ")";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  UNSCOPED_INFO("stats: " << body);
  return false;
}

// The message decoded as T; fails the test otherwise.
template <typename T>
T expect_message(const std::optional<std::string>& text) {
  REQUIRE(text);
  INFO("message: " << *text);
  auto decoded = wt::decode_tracker_message(*text);
  REQUIRE(std::holds_alternative<wt::tracker_message>(decoded));
  auto& message = std::get<wt::tracker_message>(decoded);
  REQUIRE(std::holds_alternative<T>(message));
  return std::get<T>(message);
}

}  // namespace riptide::test
