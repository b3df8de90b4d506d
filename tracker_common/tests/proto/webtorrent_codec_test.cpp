// WebTorrent codec: binary strings (every byte value), golden messages as real clients send them,
// every failure kind, caps, seeded random round trips of every message type, and a never-crash
// sweep over random text and mutations of valid messages.

#include "tracker/proto/webtorrent_codec.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wt = riptide::proto::webtorrent;
using riptide::proto::info_hash;
using riptide::proto::peer_id;
using wt::offer_id;

namespace {

// --- Helpers independent of the codec (so golden texts do not merely echo the encoder) ---

// Used by namespace-scope constants too, so no REQUIRE here: callers pass exactly 20 characters.
template <typename Id>
Id id_of(std::string_view ascii20) {
  Id id;
  for (std::size_t i = 0; i < 20 && i < ascii20.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(ascii20[i]);
  return id;
}

template <typename Id>
Id filled(std::uint8_t value) {
  Id id;
  id.bytes.fill(value);
  return id;
}

// A JSON string literal for free text, as JSON.stringify writes it: `"`, `\`, \n, \r, \t and other
// control characters escaped, the rest copied.
std::string quoted(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<std::uint8_t>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0x0f];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// True when `text` is well-formed UTF-8 (what a WebSocket text frame must be).
bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<std::uint8_t>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (b0 < 0x80) {
      length = 1;
      code = b0;
    } else if ((b0 & 0xe0) == 0xc0) {
      length = 2;
      code = b0 & 0x1fU;
    } else if ((b0 & 0xf0) == 0xe0) {
      length = 3;
      code = b0 & 0x0fU;
    } else if ((b0 & 0xf8) == 0xf0) {
      length = 4;
      code = b0 & 0x07U;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<std::uint8_t>(text[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      code = (code << 6) | (b & 0x3fU);
    }
    static constexpr std::uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < minimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

wt::json_text object_text(std::string_view text) {
  auto parsed = wt::json_text::parse_object(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

// --- Result unpacking (copies: callers pass temporaries) ---

template <typename Message>
Message require_client(const wt::client_decode_result& result) {
  if (const auto* failure = std::get_if<wt::decode_failure>(&result)) {
    FAIL("decode failed: " << failure->message);
  }
  const auto& message = std::get<wt::client_message>(result);
  REQUIRE(std::holds_alternative<Message>(message));
  return std::get<Message>(message);
}

wt::announce_message require_announce(std::string_view text, const wt::decode_limits& limits = {}) {
  INFO(text);
  return require_client<wt::announce_message>(wt::decode_client_message(text, limits));
}

wt::scrape_message require_scrape(std::string_view text, const wt::decode_limits& limits = {}) {
  INFO(text);
  return require_client<wt::scrape_message>(wt::decode_client_message(text, limits));
}

wt::decode_failure require_failure(std::string_view text, const wt::decode_limits& limits = {}) {
  INFO(text);
  const auto result = wt::decode_client_message(text, limits);
  REQUIRE(std::holds_alternative<wt::decode_failure>(result));
  return std::get<wt::decode_failure>(result);
}

template <typename Message>
Message require_tracker(std::string_view text) {
  INFO(text);
  const auto result = wt::decode_tracker_message(text);
  if (const auto* failure = std::get_if<wt::decode_failure>(&result)) {
    FAIL("decode failed: " << failure->message);
  }
  const auto& message = std::get<wt::tracker_message>(result);
  REQUIRE(std::holds_alternative<Message>(message));
  return std::get<Message>(message);
}

wt::decode_failure require_tracker_failure(std::string_view text) {
  INFO(text);
  const auto result = wt::decode_tracker_message(text);
  REQUIRE(std::holds_alternative<wt::decode_failure>(result));
  return std::get<wt::decode_failure>(result);
}

// --- Fixtures ---

// ASCII ids keep golden texts readable; other tests cover every byte value.
const std::string hash_text = "HHHHHHHHHHHHHHHHHHHH";
const std::string peer_text = "-WW0208-PPPPPPPPPPPP";
const std::string other_peer_text = "-WW0208-QQQQQQQQQQQQ";
const std::string offer_a_text = "AAAAAAAAAAAAAAAAAAAA";
const std::string offer_b_text = "BBBBBBBBBBBBBBBBBBBB";
const info_hash the_hash = id_of<info_hash>(hash_text);
const peer_id the_peer = id_of<peer_id>(peer_text);
const peer_id other_peer = id_of<peer_id>(other_peer_text);

// A plain valid announce, with `extra` members inserted before the closing brace.
std::string announce_with(std::string_view extra) {
  std::string text = R"({"action":"announce","info_hash":")" + hash_text + R"(","peer_id":")" + peer_text + "\"";
  if (!extra.empty()) text += "," + std::string(extra);
  return text + "}";
}

std::string offer_entry(std::string_view id_text, std::string_view sdp) {
  return R"({"offer":{"type":"offer","sdp":)" + quoted(sdp) + R"(},"offer_id":")" + std::string(id_text) + "\"}";
}

template <typename Random>
std::size_t uniform(Random& random, std::size_t low, std::size_t high) {
  return std::uniform_int_distribution<std::size_t>(low, high)(random);
}

template <typename Id, typename Random>
Id random_id(Random& random) {
  Id id;
  for (auto& byte : id.bytes) byte = static_cast<std::uint8_t>(random());
  return id;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// Random valid UTF-8 text: ASCII (controls, quotes and backslashes included), 2-, 3- and 4-byte
// characters, never a surrogate.
template <typename Random>
std::string random_text(Random& random, std::size_t max_chars) {
  std::string out;
  const std::size_t count = uniform(random, 0, max_chars);
  for (std::size_t i = 0; i < count; ++i) {
    switch (uniform(random, 0, 5)) {
      case 0: out += static_cast<char>(uniform(random, 0, 0x1f)); break;
      case 1: out += "\"\\/"[uniform(random, 0, 2)]; break;
      case 2: append_utf8(out, static_cast<std::uint32_t>(uniform(random, 0x80, 0x7ff))); break;
      case 3: {
        std::uint32_t code = static_cast<std::uint32_t>(uniform(random, 0x800, 0xfffd));
        if (code >= 0xd800 && code <= 0xdfff) code = 0x20ac;
        append_utf8(out, code);
        break;
      }
      case 4: append_utf8(out, static_cast<std::uint32_t>(uniform(random, 0x10000, 0x10ffff))); break;
      default: out += static_cast<char>(uniform(random, 0x20, 0x7e)); break;
    }
  }
  return out;
}

template <typename Random>
wt::json_text random_sdp(Random& random, std::string_view type) {
  std::string text = R"({"type":")" + std::string(type) + R"(","sdp":)" + quoted(random_text(random, 60));
  if (uniform(random, 0, 3) == 0) text += R"(,"extra":[1,-2.5,true,null,{"x":"y"}])";
  return object_text(text + "}");
}

// The golden SDP of a real browser offer, shortened (CRLF line ends, as WebRTC writes them).
const std::string offer_sdp =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Yx3C\r\na=ice-pwd:bCTmm3P6aBWeu4GxD7U9mV2C\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 4A:79:94:16:44:3F:BD:05:41:5A:C7:20:F3:12:54:70:00:73:5D:33:00:2D:2C:80\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Binary strings
// ---------------------------------------------------------------------------------------------

TEST_CASE("webtorrent codec: binary strings: special bytes, written by hand", "[proto][webtorrent][golden]") {
  // bytes: 00 1f 22 5c 7f 80 ff, then 13 x 'a'
  //   00 -> \u0000 (control: escaped)    1f -> \u001f    22 -> \"    5c -> \\ (escaped)
  //   7f -> raw DEL (JSON allows it)     80 -> C2 80     ff -> C3 BF (two UTF-8 bytes each)
  const std::string json_hash = "\"\\u0000\\u001f\\\"\\\\\x7f\xc2\x80\xc3\xbf" + std::string(13, 'a') + "\"";
  info_hash expected;
  const std::array<std::uint8_t, 7> head = {0x00, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xff};
  std::copy(head.begin(), head.end(), expected.bytes.begin());
  std::fill(expected.bytes.begin() + 7, expected.bytes.end(), std::uint8_t{'a'});

  const std::string text = R"({"action":"scrape","info_hash":)" + json_hash + "}";
  const auto scrape = require_scrape(text);
  REQUIRE(scrape.hashes.size() == 1);
  CHECK(scrape.hashes[0] == expected);
  CHECK(wt::encode_scrape(std::span(&expected, 1)) == text);

  // Some clients escape everything outside ASCII: \u00ff is the same byte as raw C3 BF.
  const std::string escaped = R"({"action":"scrape","info_hash":"\u00ff\u00FF\u0080)" + std::string(17, 'b') + "\"}";
  const auto scrape2 = require_scrape(escaped);
  CHECK(scrape2.hashes[0].bytes[0] == 0xff);
  CHECK(scrape2.hashes[0].bytes[1] == 0xff);
  CHECK(scrape2.hashes[0].bytes[2] == 0x80);
  CHECK(scrape2.hashes[0].bytes[3] == 'b');
}

TEST_CASE("webtorrent codec: binary strings: every byte value round-trips", "[proto][webtorrent][roundtrip]") {
  for (unsigned value = 0; value <= 255; ++value) {
    INFO("byte " << value);
    const auto b = static_cast<std::uint8_t>(value);
    // The byte everywhere, and at each position among other bytes.
    info_hash hash = filled<info_hash>(b);
    peer_id peer;
    offer_id offer;
    for (std::size_t i = 0; i < 20; ++i) {
      peer.bytes[i] = static_cast<std::uint8_t>(value + i);
      offer.bytes[i] = static_cast<std::uint8_t>(255 - value + 7 * i);
    }
    peer.bytes[value % 20] = b;
    offer.bytes[(value * 7) % 20] = b;

    const std::string raw = wt::encode_binary_string(std::span<const std::uint8_t, 20>(hash.bytes));
    CHECK(raw.size() == (b < 0x80 ? 20U : 40U));
    CHECK(wt::decode_binary_string(raw) == hash.bytes);

    wt::announce_message announce;
    announce.hash = hash;
    announce.peer = peer;
    announce.offers.push_back({offer, object_text(R"({"type":"offer","sdp":"x"})")});
    announce.answer = wt::announce_answer{peer, offer, object_text(R"({"type":"answer","sdp":"y"})")};
    const std::string text = wt::encode_announce(announce);
    CHECK(valid_utf8(text));
    const auto decoded = require_announce(text);
    CHECK(decoded.hash == hash);
    CHECK(decoded.peer == peer);
    REQUIRE(decoded.offers.size() == 1);
    CHECK(decoded.offers[0].id == offer);
    REQUIRE(decoded.answer.has_value());
    CHECK(decoded.answer->to_peer == peer);
    CHECK(decoded.answer->id == offer);

    const auto relay = require_tracker<wt::offer_relay>(
        wt::encode_offer_relay({hash, peer, offer, object_text(R"({"type":"offer","sdp":"x"})")}));
    CHECK(relay.hash == hash);
    CHECK(relay.offerer == peer);
    CHECK(relay.id == offer);

    const auto scrape = require_tracker<wt::scrape_response>(wt::encode_scrape_response({{{hash, {1, 2, 3}}}}));
    REQUIRE(scrape.files.size() == 1);
    CHECK(scrape.files[0].hash == hash);
  }
}

TEST_CASE("webtorrent codec: binary strings: wrong lengths, code points > U+00FF", "[proto][webtorrent][failure]") {
  CHECK_FALSE(wt::decode_binary_string(std::string(19, 'a')));
  CHECK_FALSE(wt::decode_binary_string(std::string(21, 'a')));
  CHECK_FALSE(wt::decode_binary_string(""));
  CHECK(wt::decode_binary_string(std::string(20, 'a')));
  // 19 characters in 38 bytes, and 21 in 40 bytes (the byte count alone would pass).
  std::string two_byte_19;
  for (int i = 0; i < 19; ++i) two_byte_19 += "\xc3\xa9";
  CHECK_FALSE(wt::decode_binary_string(two_byte_19));
  CHECK_FALSE(wt::decode_binary_string(two_byte_19 + "a"  + "a"));  // 21 characters, 40 bytes
  CHECK(wt::decode_binary_string(two_byte_19 + "a"));
  // U+0100 (C4 80), U+20AC euro (E2 82 AC), U+1F600 (F0 9F 98 80): above 0xFF.
  CHECK_FALSE(wt::decode_binary_string(std::string(19, 'a') + "\xc4\x80"));
  CHECK_FALSE(wt::decode_binary_string(std::string(18, 'a') + "\xe2\x82\xac"));
  CHECK_FALSE(wt::decode_binary_string(std::string(17, 'a') + "\xf0\x9f\x98\x80"));
  // Not UTF-8: a lone continuation byte, a truncated sequence, an overlong form of 'a'.
  CHECK_FALSE(wt::decode_binary_string(std::string(19, 'a') + "\x80"));
  CHECK_FALSE(wt::decode_binary_string(std::string(19, 'a') + "\xc3"));
  CHECK_FALSE(wt::decode_binary_string(std::string(19, 'a') + "\xc1\xa1"));

  // The same inside messages, for every binary field.
  const std::string short_id = std::string(19, 'x');
  const std::string long_id = std::string(21, 'x');
  const std::string wide_id = std::string(19, 'x') + "\\u0100";
  for (const std::string& bad : {short_id, long_id, wide_id}) {
    INFO(bad);
    const std::string value = "\"" + bad + "\"";
    auto failure = require_failure(R"({"action":"announce","info_hash":)" + value + R"(,"peer_id":")" + peer_text +
                                   "\"}");
    CHECK(failure.error == wt::decode_error::bad_binary_string);
    CHECK(failure.message == "invalid info_hash");
    CHECK_FALSE(failure.hash);

    failure = require_failure(announce_with("").replace(announce_with("").find(peer_text) - 1, 22, value));
    CHECK(failure.error == wt::decode_error::bad_binary_string);
    CHECK(failure.message == "invalid peer_id");

    failure = require_failure(announce_with(R"("answer":{"type":"answer"},"offer_id":")" + offer_a_text +
                                            R"(","to_peer_id":)" + value));
    CHECK(failure.message == "invalid to_peer_id");
    failure = require_failure(announce_with(R"("answer":{"type":"answer"},"to_peer_id":")" + other_peer_text +
                                            R"(","offer_id":)" + value));
    CHECK(failure.message == "invalid offer_id");

    failure = require_failure(R"({"action":"scrape","info_hash":[")" + hash_text + "\"," + value + "]}");
    CHECK(failure.error == wt::decode_error::bad_binary_string);

    // In offers, a bad offer_id only skips that entry.
    const auto announce = require_announce(announce_with(R"("offers":[{"offer":{},"offer_id":)" + value + "}]"));
    CHECK(announce.offers.empty());
    CHECK(announce.offers_invalid == 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Golden client messages
// ---------------------------------------------------------------------------------------------

TEST_CASE("webtorrent codec: golden: a webtorrent announce with 2 offers", "[proto][webtorrent][golden]") {
  // As bittorrent-tracker's websocket client writes it (JSON.stringify of its params).
  const std::string text = R"({"numwant":2,"uploaded":0,"downloaded":16384,"left":1032192,"event":"started",)"
                           R"("action":"announce","info_hash":")" + hash_text + R"(","peer_id":")" + peer_text +
                           R"(","offers":[)" + offer_entry(offer_a_text, offer_sdp) + "," +
                           offer_entry(offer_b_text, "v=0\r\n") + "]}";
  const auto announce = require_announce(text);
  CHECK(announce.hash == the_hash);
  CHECK(announce.peer == the_peer);
  CHECK(announce.event == wt::announce_event::started);
  CHECK(announce.left == 1032192U);
  CHECK(announce.uploaded == 0U);
  CHECK(announce.downloaded == 16384U);
  CHECK(announce.numwant == 2U);
  CHECK_FALSE(announce.answer);
  REQUIRE(announce.offers.size() == 2);
  CHECK(announce.offers[0].id == id_of<offer_id>(offer_a_text));
  CHECK(announce.offers[0].offer.text() == R"({"type":"offer","sdp":)" + quoted(offer_sdp) + "}");
  CHECK(announce.offers[1].id == id_of<offer_id>(offer_b_text));
  CHECK(announce.offers[1].offer.text() == R"({"type":"offer","sdp":"v=0\r\n"})");
  CHECK(announce.offers_invalid == 0);
  CHECK(announce.offers_oversized == 0);
  CHECK(announce.offers_dropped == 0);

  // The offer is kept as compact JSON: whitespace of the client is not.
  const auto spaced = require_announce(announce_with(R"( "offers" : [ { "offer" : { "type" : "offer" , "sdp" : "s" } ,)"
                                                     R"( "offer_id" : ")" + offer_a_text + "\" } ]"));
  REQUIRE(spaced.offers.size() == 1);
  CHECK(spaced.offers[0].offer.text() == R"({"type":"offer","sdp":"s"})");
}

TEST_CASE("webtorrent codec: golden: an answer message has no event and no counters", "[proto][webtorrent][golden]") {
  const std::string text = R"({"action":"announce","info_hash":")" + hash_text + R"(","peer_id":")" + peer_text +
                           R"(","to_peer_id":")" + other_peer_text +
                           R"(","answer":{"type":"answer","sdp":"v=0\r\na=setup:active\r\n"},"offer_id":")" +
                           offer_a_text + R"(","trackerid":"abc"})";
  const auto announce = require_announce(text);
  CHECK(announce.event == wt::announce_event::none);
  CHECK_FALSE(announce.left);
  CHECK_FALSE(announce.uploaded);
  CHECK_FALSE(announce.downloaded);
  CHECK_FALSE(announce.numwant);
  CHECK(announce.offers.empty());
  REQUIRE(announce.answer.has_value());
  CHECK(announce.answer->to_peer == other_peer);
  CHECK(announce.answer->id == id_of<offer_id>(offer_a_text));
  CHECK(announce.answer->answer.text() == R"({"type":"answer","sdp":"v=0\r\na=setup:active\r\n"})");
}

TEST_CASE("webtorrent codec: golden: left null, absent, zero", "[proto][webtorrent][golden]") {
  CHECK_FALSE(require_announce(announce_with(R"("left":null)")).left);  // magnet leecher
  CHECK_FALSE(require_announce(announce_with("")).left);
  CHECK(require_announce(announce_with(R"("left":0)")).left == 0U);
  CHECK_FALSE(require_announce(announce_with(R"("uploaded":null,"downloaded":null,"numwant":null)")).numwant);
}

TEST_CASE("webtorrent codec: golden: every event real clients send", "[proto][webtorrent][golden]") {
  using event = wt::announce_event;
  CHECK(require_announce(announce_with("")).event == event::none);
  CHECK(require_announce(announce_with(R"("event":null)")).event == event::none);
  CHECK(require_announce(announce_with(R"("event":"")")).event == event::none);
  CHECK(require_announce(announce_with(R"("event":"update")")).event == event::none);
  CHECK(require_announce(announce_with(R"("event":"empty")")).event == event::none);  // anacrolix
  CHECK(require_announce(announce_with(R"("event":"started")")).event == event::started);
  CHECK(require_announce(announce_with(R"("event":"stopped")")).event == event::stopped);
  CHECK(require_announce(announce_with(R"("event":"paused")")).event == event::paused);  // libtorrent
  // The webtorrent seeder: "completed" first, then "started": each decodes on its own.
  CHECK(require_announce(announce_with(R"("event":"completed","left":0)")).event == event::completed);
  CHECK(require_announce(announce_with(R"("event":"started","left":0)")).event == event::started);

  for (const char* bad : {R"("event":"Started")", R"("event":"start")", R"("event":" started")", R"("event":1)",
                          R"("event":true)", R"("event":["started"])", R"("event":{})"}) {
    const auto failure = require_failure(announce_with(bad));
    CHECK(failure.error == wt::decode_error::bad_event);
    CHECK(failure.message == "invalid event");
  }
}

TEST_CASE("webtorrent codec: golden: unknown keys ignored, last duplicate wins", "[proto][webtorrent][golden]") {
  const auto announce = require_announce(announce_with(
      R"("key":"a1b2c3","corrupt":0,"trackerid":"x","supportsWebRTC":true,"ip":"1.2.3.4",)"
      R"("nested":{"a":[1,{"b":null}]},)"
      R"("numwant":5,"numwant":7)"));
  CHECK(announce.numwant == 7U);
  CHECK(announce.hash == the_hash);

  const std::string twice = R"({"action":"scrape","info_hash":")" + std::string(20, 'z') + R"(","info_hash":")" +
                            hash_text + "\"}";
  const auto scrape = require_scrape(twice);
  REQUIRE(scrape.hashes.size() == 1);
  CHECK(scrape.hashes[0] == the_hash);
}

TEST_CASE("webtorrent codec: golden: scrape forms", "[proto][webtorrent][golden]") {
  const std::string other(20, 'o');
  auto scrape = require_scrape(R"({"action":"scrape","info_hash":")" + hash_text + "\"}");
  REQUIRE(scrape.hashes.size() == 1);
  CHECK(scrape.hashes[0] == the_hash);

  scrape = require_scrape(R"({"action":"scrape","info_hash":[")" + hash_text + R"(",")" + other + R"("]})");
  REQUIRE(scrape.hashes.size() == 2);
  CHECK(scrape.hashes[0] == the_hash);
  CHECK(scrape.hashes[1] == id_of<info_hash>(other));

  // Full-scrape forms: no hashes. Serving them is the tracker's decision.
  CHECK(require_scrape(R"({"action":"scrape","info_hash":[]})").hashes.empty());
  CHECK(require_scrape(R"({"action":"scrape"})").hashes.empty());
  CHECK(require_scrape(R"({"action":"scrape","info_hash":null})").hashes.empty());

  for (const char* bad : {R"({"action":"scrape","info_hash":1})", R"({"action":"scrape","info_hash":{}})",
                          R"({"action":"scrape","info_hash":[1]})", R"({"action":"scrape","info_hash":[null]})",
                          R"({"action":"scrape","info_hash":[[]]})"}) {
    const auto failure = require_failure(bad);
    CHECK(failure.error == wt::decode_error::bad_binary_string);
    CHECK(failure.action == wt::message_action::scrape);
  }
}

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

TEST_CASE("webtorrent codec: malformed JSON and non-object top levels", "[proto][webtorrent][failure]") {
  for (const std::string& bad :
       {std::string(""), std::string(" "), std::string("{"), std::string("}"), std::string(R"({"action":})"),
        std::string(R"({"action":"announce",})"), std::string(R"({"action" "announce"})"), std::string("{} {}"),
        std::string("{}x"), std::string(R"({'action':'announce'})"), std::string(R"({"a":NaN})"),
        std::string(R"({"a":Infinity})"), std::string(R"({"a":01})"), std::string(R"({"a":1e99999999999999999999})"),
        std::string("{\"a\":\"\xff\"}"), std::string("{\"a\":\"\xc3\"}"), std::string("{\"a\":\"\xed\xa0\x80\"}"),
        std::string(R"({"a":"\ud800"})"), std::string(R"({"a":"\udc00"})"), std::string(R"({"a":"\x41"})"),
        std::string(R"({"a":1} // comment)"), std::string("{\"a\":\"line\nbreak\"}"), std::string("\xef\xbb\xbf{}"),
        std::string("{\"a\":1}\0", 8)}) {
    INFO(bad);
    CHECK(require_failure(bad).error == wt::decode_error::invalid_json);
    CHECK(require_tracker_failure(bad).error == wt::decode_error::invalid_json);
  }
  for (const char* top : {"[]", "[{}]", "\"announce\"", "1", "-1.5", "null", "true", "false"}) {
    INFO(top);
    const auto failure = require_failure(top);
    CHECK(failure.error == wt::decode_error::not_an_object);
    CHECK_FALSE(failure.action);
    CHECK(require_tracker_failure(top).error == wt::decode_error::not_an_object);
  }
}

TEST_CASE("webtorrent codec: actions: missing, unknown, wrong type", "[proto][webtorrent][failure]") {
  CHECK(require_failure("{}").error == wt::decode_error::missing_action);
  CHECK(require_failure(R"({"action":null})").error == wt::decode_error::missing_action);
  for (const char* bad : {R"({"action":"Announce"})", R"({"action":"connect"})", R"({"action":""})",
                          R"({"action":1})", R"({"action":["announce"]})", R"({"action":{"announce":1}})"}) {
    INFO(bad);
    const auto failure = require_failure(bad);
    CHECK(failure.error == wt::decode_error::unknown_action);
    CHECK_FALSE(failure.action);
  }
}

TEST_CASE("webtorrent codec: wrong types for every field", "[proto][webtorrent][failure]") {
  struct bad_case {
    std::string member;
    wt::decode_error error;
    std::string_view message;
  };
  const std::string valid_answer_rest =
      R"(,"to_peer_id":")" + other_peer_text + R"(","offer_id":")" + offer_a_text + "\"";
  const std::vector<bad_case> cases = {
      {R"("left":"100")", wt::decode_error::bad_number, "invalid left"},
      {R"("left":true)", wt::decode_error::bad_number, "invalid left"},
      {R"("left":[0])", wt::decode_error::bad_number, "invalid left"},
      {R"("left":{})", wt::decode_error::bad_number, "invalid left"},
      {R"("uploaded":"0")", wt::decode_error::bad_number, "invalid uploaded"},
      {R"("uploaded":false)", wt::decode_error::bad_number, "invalid uploaded"},
      {R"("downloaded":"0")", wt::decode_error::bad_number, "invalid downloaded"},
      {R"("downloaded":[])", wt::decode_error::bad_number, "invalid downloaded"},
      {R"("numwant":"50")", wt::decode_error::bad_number, "invalid numwant"},
      {R"("numwant":{})", wt::decode_error::bad_number, "invalid numwant"},
      {R"("event":5)", wt::decode_error::bad_event, "invalid event"},
      {R"("offers":{})", wt::decode_error::bad_type, "invalid offers"},
      {R"("offers":"[]")", wt::decode_error::bad_type, "invalid offers"},
      {R"("offers":1)", wt::decode_error::bad_type, "invalid offers"},
      {R"("answer":"v=0")" + valid_answer_rest, wt::decode_error::bad_answer, "invalid answer"},
      {R"("answer":[])" + valid_answer_rest, wt::decode_error::bad_answer, "invalid answer"},
      {R"("answer":1)" + valid_answer_rest, wt::decode_error::bad_answer, "invalid answer"},
      {R"("answer":{},"to_peer_id":1,"offer_id":")" + offer_a_text + "\"", wt::decode_error::bad_binary_string,
       "invalid to_peer_id"},
      {R"("answer":{},"to_peer_id":")" + other_peer_text + R"(","offer_id":[])", wt::decode_error::bad_binary_string,
       "invalid offer_id"},
      {R"("answer":{},"offer_id":")" + offer_a_text + "\"", wt::decode_error::missing_field, "missing to_peer_id"},
      {R"("answer":{},"to_peer_id":")" + other_peer_text + "\"", wt::decode_error::missing_field, "missing offer_id"},
  };
  for (const auto& c : cases) {
    INFO(c.member);
    const auto failure = require_failure(announce_with(c.member));
    CHECK(failure.error == c.error);
    CHECK(failure.message == c.message);
    // The reply can still name the announce and its torrent.
    CHECK(failure.action == wt::message_action::announce);
    CHECK(failure.hash == the_hash);
  }

  // info_hash and peer_id: missing, null, or not a string.
  auto failure = require_failure(R"({"action":"announce","peer_id":")" + peer_text + "\"}");
  CHECK(failure.error == wt::decode_error::missing_field);
  CHECK(failure.message == "missing info_hash");
  failure = require_failure(R"({"action":"announce","info_hash":null,"peer_id":")" + peer_text + "\"}");
  CHECK(failure.message == "missing info_hash");
  for (const char* value : {"1", "[]", "{}", "true"}) {
    failure = require_failure(R"({"action":"announce","info_hash":)" + std::string(value) + "}");
    CHECK(failure.error == wt::decode_error::bad_binary_string);
    CHECK(failure.message == "invalid info_hash");
    CHECK_FALSE(failure.hash);
    failure = require_failure(R"({"action":"announce","info_hash":")" + hash_text + R"(","peer_id":)" + value + "}");
    CHECK(failure.message == "invalid peer_id");
    CHECK(failure.hash == the_hash);
  }
  failure = require_failure(R"({"action":"announce","info_hash":")" + hash_text + "\"}");
  CHECK(failure.error == wt::decode_error::missing_field);
  CHECK(failure.message == "missing peer_id");
  // An announce's info_hash is one string, never the scrape's array.
  failure = require_failure(R"({"action":"announce","info_hash":[")" + hash_text + R"("],"peer_id":")" + peer_text +
                            "\"}");
  CHECK(failure.message == "invalid info_hash");
}

TEST_CASE("webtorrent codec: numbers: doubles, negatives, fractions, huge", "[proto][webtorrent][failure]") {
  // Counters: a non-negative integer below 2^64, also as an integral double.
  CHECK(require_announce(announce_with(R"("left":18446744073709551615)")).left == 18446744073709551615ULL);
  CHECK(require_announce(announce_with(R"("left":9223372036854775807)")).left == 9223372036854775807ULL);
  CHECK(require_announce(announce_with(R"("left":1e3)")).left == 1000U);
  CHECK(require_announce(announce_with(R"("left":5.0)")).left == 5U);
  CHECK(require_announce(announce_with(R"("left":-0)")).left == 0U);
  CHECK(require_announce(announce_with(R"("uploaded":1.8e19)")).uploaded == 18000000000000000000ULL);
  for (const char* bad : {"-1", "-9223372036854775808", "0.5", "-0.5", "1e400", "-1e400", "18446744073709551616",
                          "1e20", "99999999999999999999999999999", "1.0000001"}) {
    INFO(bad);
    const bool negative_integer = bad == std::string("-1") || bad == std::string("-9223372036854775808");
    for (const char* field : {"left", "uploaded", "downloaded"}) {
      if (negative_integer && field == std::string("left")) continue;  // unknown: below
      const auto failure = require_failure(announce_with("\"" + std::string(field) + "\":" + bad));
      CHECK(failure.error == wt::decode_error::bad_number);
      CHECK(failure.message == "invalid " + std::string(field));
    }
  }

  // A negative integral `left` is unknown, as anacrolix/torrent's -1 for a magnet link means.
  for (const char* unknown : {"-1", "-1.0", "-1e3", "-9223372036854775808", "-1e20"}) {
    INFO(unknown);
    CHECK_FALSE(require_announce(announce_with(R"("left":)" + std::string(unknown))).left);
  }

  // numwant: clamped to [0, max_numwant]; fractional or non-finite is an error.
  wt::decode_limits limits;
  limits.max_numwant = 80;
  const auto numwant = [&](const std::string& value) {
    return require_announce(announce_with(R"("numwant":)" + value), limits).numwant;
  };
  CHECK(numwant("0") == 0U);
  CHECK(numwant("50") == 50U);
  CHECK(numwant("80") == 80U);
  CHECK(numwant("81") == 80U);
  CHECK(numwant("-1") == 0U);
  CHECK(numwant("-9223372036854775808") == 0U);
  CHECK(numwant("18446744073709551615") == 80U);
  CHECK(numwant("18446744073709551616") == 80U);
  CHECK(numwant("1e20") == 80U);
  CHECK(numwant("-1e20") == 0U);
  CHECK(numwant("2e1") == 20U);
  for (const char* bad : {"0.5", "1e400", "-1e400", "49.9"}) {
    INFO(bad);
    CHECK(require_failure(announce_with(R"("numwant":)" + std::string(bad)), limits).message == "invalid numwant");
  }
}

TEST_CASE("webtorrent codec: nesting deeper than max_depth", "[proto][webtorrent][failure]") {
  const auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  // The top-level object is one level: 31 more fit in the default 32.
  CHECK(require_announce(announce_with(R"("deep":)" + nested(31))).hash == the_hash);
  CHECK(require_failure(announce_with(R"("deep":)" + nested(32))).error == wt::decode_error::too_deep);
  wt::decode_limits limits;
  limits.max_depth = 4;
  CHECK(require_failure(announce_with(R"("offers":[{"offer":{"a":[]},"offer_id":")" + offer_a_text + "\"}]"), limits)
            .error == wt::decode_error::too_deep);
  // Far too deep, and never closed: no recursion, no stack overflow.
  CHECK(require_failure(std::string(200000, '[')).error == wt::decode_error::too_deep);
  CHECK(require_failure("{\"a\":" + std::string(200000, '{')).error == wt::decode_error::invalid_json);
  CHECK(require_tracker_failure(std::string(200000, '[')).error == wt::decode_error::too_deep);
  CHECK_FALSE(wt::json_text::parse_object("{\"a\":" + nested(40) + "}"));
}

TEST_CASE("webtorrent codec: failures carry action and info_hash when readable", "[proto][webtorrent][failure]") {
  auto failure = require_failure(announce_with(R"("left":0.5)"));
  CHECK(failure.action == wt::message_action::announce);
  CHECK(failure.hash == the_hash);
  auto reply = wt::to_failure_reply(failure);
  CHECK(reply.reason == "invalid left");
  CHECK(wt::encode_failure(reply) ==
        R"({"failure reason":"invalid left","action":"announce","info_hash":")" + hash_text + "\"}");

  failure = require_failure(R"({"action":"scrape","info_hash":")" + hash_text + R"(","info_hash":5})");
  CHECK(failure.action == wt::message_action::scrape);
  CHECK_FALSE(failure.hash);

  // Before action was read: no action; the reply defaults to "announce" (see to_failure_reply).
  failure = require_failure(R"({"action":7,"info_hash":")" + hash_text + "\"}");
  CHECK_FALSE(failure.action);
  reply = wt::to_failure_reply(failure);
  CHECK(reply.action == wt::message_action::announce);
  CHECK(wt::encode_failure(reply) == R"({"failure reason":"unknown action","action":"announce"})");

  failure = require_failure("not json");
  CHECK(failure.error == wt::decode_error::invalid_json);
  CHECK(failure.message == "invalid JSON");
  CHECK_FALSE(failure.action);
  CHECK_FALSE(failure.hash);
}

TEST_CASE("webtorrent codec: every decode_error has its own message", "[proto][webtorrent]") {
  std::vector<std::string_view> messages;
  for (unsigned e = 0; e <= static_cast<unsigned>(wt::decode_error::too_many_info_hashes); ++e) {
    messages.push_back(wt::to_string(static_cast<wt::decode_error>(e)));
  }
  for (std::size_t i = 0; i < messages.size(); ++i) {
    CHECK_FALSE(messages[i].empty());
    for (std::size_t j = i + 1; j < messages.size(); ++j) CHECK(messages[i] != messages[j]);
  }
}

// ---------------------------------------------------------------------------------------------
// Offers, answers and caps
// ---------------------------------------------------------------------------------------------

TEST_CASE("webtorrent codec: offers: entries that are not offers are skipped and counted", "[proto][webtorrent]") {
  const std::string id = "\"" + offer_a_text + "\"";
  const auto announce = require_announce(announce_with(
      R"("offers":[1,"x",null,[],{},)"                               // not objects, empty object
      R"({"offer_id":)" + id + "},"                                 // no offer
      R"({"offer":{"type":"offer","sdp":"s"}},)"                     // no offer_id
      R"({"offer":"v=0","offer_id":)" + id + "},"                   // offer not an object
      R"({"offer":null,"offer_id":)" + id + "},"                    // offer null
      R"({"offer":{},"offer_id":"short"},)"                          // bad offer_id
      + offer_entry(offer_b_text, "kept") + "]"));
  REQUIRE(announce.offers.size() == 1);
  CHECK(announce.offers[0].id == id_of<offer_id>(offer_b_text));
  CHECK(announce.offers[0].offer.text() == R"({"type":"offer","sdp":"kept"})");
  CHECK(announce.offers_invalid == 10);
  CHECK(announce.offers_dropped == 0);
  CHECK(announce.offers_oversized == 0);

  CHECK(require_announce(announce_with(R"("offers":[])")).offers.empty());
  CHECK(require_announce(announce_with(R"("offers":null)")).offers.empty());
}

TEST_CASE("webtorrent codec: offers and answers are relayed as the client wrote them, compacted",
          "[proto][webtorrent]") {
  const auto offers_of = [](const std::string& offers, const wt::decode_limits& limits = {}) {
    return require_announce(announce_with(R"("offers":)" + offers), limits).offers;
  };
  const auto entry = [](const std::string& object, const std::string& id) {
    return R"({"offer":)" + object + R"(,"offer_id":")" + id + R"("})";
  };
  const auto one_offer = [&](const std::string& object) {
    const auto offers = offers_of("[" + entry(object, offer_a_text) + "]");
    REQUIRE(offers.size() == 1);
    return std::string(offers[0].offer.text());
  };
  // Escapes and numbers as written, a number past the double range too (valid JSON; a browser
  // reads it as Infinity).
  CHECK(one_offer(R"({"type":"offer","sdp":"\u0041","n":0.5})") == R"({"type":"offer","sdp":"\u0041","n":0.5})");
  CHECK(one_offer(R"({"type":"offer","\u0073dp":"\u0041"})") == R"({"type":"offer","\u0073dp":"\u0041"})");
  CHECK(one_offer(R"({"n":[1e400,-1e999,1E+2]})") == R"({"n":[1e400,-1e999,1E+2]})");
  // Whitespace outside strings goes; a repeated key (at any depth, also spelled with escapes)
  // stays once, at its first place with its last value, as every JSON reader keeps it.
  CHECK(one_offer(" {\"type\" :\t\"offer\",\r\n \"sdp\":\"s \\n\"} ") == R"({"type":"offer","sdp":"s \n"})");
  CHECK(one_offer(R"({"type":"offer","sdp":"A","sdp":"B"})") == R"({"type":"offer","sdp":"B"})");
  CHECK(one_offer(R"({"type":"offer","x":{"k":1,"k":2}})") == R"({"type":"offer","x":{"k":2}})");
  CHECK(one_offer(R"({"sdp":"A","\u0073dp":"B","type":"offer"})") == R"({"sdp":"B","type":"offer"})");
  // The key that leads to it may be written with escapes.
  const auto escaped_key = offers_of(R"([{"\u006fffer":{"sdp":"\u0041"},"offer_id":")" + offer_a_text + R"("}])");
  REQUIRE(escaped_key.size() == 1);
  CHECK(escaped_key[0].offer.text() == R"({"sdp":"\u0041"})");
  // Of two "offers" arrays, the last counts (as the parser keeps it), with its own texts.
  const auto last = require_announce(announce_with(R"("offers":[)" + entry(R"({"a":1})", offer_a_text) +
                                                   R"(],"offers":[)" + entry(R"({"b":"\u0042"})", offer_b_text) +
                                                   "," + entry(R"({"c":3})", offer_a_text) + "]"));
  REQUIRE(last.offers.size() == 2);
  CHECK(last.offers[0].offer.text() == R"({"b":"\u0042"})");
  CHECK(last.offers[1].offer.text() == R"({"c":3})");
  // Non-objects in the array keep the indexes lined up: the next offer is still the client's text.
  const auto mixed = offers_of("[1," + entry(R"({"d":"\u0044"})", offer_a_text) + "]");
  REQUIRE(mixed.size() == 1);
  CHECK(mixed[0].offer.text() == R"({"d":"\u0044"})");
  // max_sdp_bytes measures what is relayed: the client's 9 bytes fit 9; 10 bytes do not.
  wt::decode_limits nine;
  nine.max_sdp_bytes = 9;
  CHECK(offers_of("[" + entry(R"({"n":0.5})", offer_a_text) + "]", nine).size() == 1);
  const auto oversized = require_announce(announce_with(R"("offers":[)" + entry(R"({"n":0.25})", offer_a_text) + "]"),
                                          nine);
  CHECK(oversized.offers.empty());
  CHECK(oversized.offers_oversized == 1);
  // The answer too.
  const auto answered = require_announce(announce_with(R"("answer":{"type":"answer","sdp":"\u0041"},"to_peer_id":")" +
                                                       other_peer_text + R"(","offer_id":")" + offer_a_text + R"(")"));
  REQUIRE(answered.answer);
  CHECK(answered.answer->answer.text() == R"({"type":"answer","sdp":"\u0041"})");
}

TEST_CASE("webtorrent codec: offers: max_offers and max_sdp_bytes", "[proto][webtorrent]") {
  wt::decode_limits limits;
  limits.max_offers = 2;
  // {"type":"offer","sdp":"…"} is 25 bytes plus the SDP.
  limits.max_sdp_bytes = 25 + 10;
  std::string offers = R"("offers":[)";
  offers += offer_entry(std::string(20, '1'), std::string(11, 's')) + ",";  // 36 bytes: oversized
  offers += offer_entry(std::string(20, '2'), std::string(10, 's')) + ",";  // exactly the limit: kept
  offers += R"({"offer_id":"x"},)";                                          // invalid
  offers += offer_entry(std::string(20, '3'), "") + ",";                     // kept
  offers += offer_entry(std::string(20, '4'), "") + ",";                     // dropped (cap)
  offers += offer_entry(std::string(20, '5'), std::string(500, 's')) + "]";  // dropped (cap first)
  const auto announce = require_announce(announce_with(offers), limits);
  REQUIRE(announce.offers.size() == 2);
  CHECK(announce.offers[0].id == id_of<offer_id>(std::string(20, '2')));
  CHECK(announce.offers[0].offer.size() == 35);
  CHECK(announce.offers[1].id == id_of<offer_id>(std::string(20, '3')));
  CHECK(announce.offers_oversized == 1);
  CHECK(announce.offers_invalid == 1);
  CHECK(announce.offers_dropped == 2);

  limits.max_offers = 0;
  const auto none = require_announce(announce_with(offers), limits);
  CHECK(none.offers.empty());
  CHECK(none.offers_dropped == 5);
}

TEST_CASE("webtorrent codec: answers: present together, or not an answer", "[proto][webtorrent]") {
  // to_peer_id and offer_id without an answer: an ordinary announce.
  auto announce = require_announce(announce_with(R"("to_peer_id":")" + other_peer_text + R"(","offer_id":")" +
                                                 offer_a_text + "\""));
  CHECK_FALSE(announce.answer);
  announce = require_announce(announce_with(R"("answer":null,"to_peer_id":1)"));
  CHECK_FALSE(announce.answer);

  // An answer longer than max_sdp_bytes is refused (unlike an offer, there is nothing else to keep).
  wt::decode_limits limits;
  limits.max_sdp_bytes = 31;
  const std::string rest = R"(,"to_peer_id":")" + other_peer_text + R"(","offer_id":")" + offer_a_text + "\"";
  announce = require_announce(announce_with(R"("answer":{"type":"answer","sdp":"12345"})" + rest), limits);
  REQUIRE(announce.answer);
  CHECK(announce.answer->answer.size() == 31);
  const auto failure =
      require_failure(announce_with(R"("answer":{"type":"answer","sdp":"123456"})" + rest), limits);
  CHECK(failure.error == wt::decode_error::answer_too_large);
  CHECK(failure.message == "answer too large");
  CHECK(require_failure(announce_with(R"("answer":[{"type":"answer"}])" + rest)).message == "invalid answer");
  CHECK(require_failure(announce_with(R"("answer":"v=0")" + rest)).message == "invalid answer");
}

TEST_CASE("webtorrent codec: caps: scrape hashes and message size", "[proto][webtorrent]") {
  wt::decode_limits limits;
  limits.max_scrape_hashes = 3;
  std::vector<info_hash> hashes;
  for (std::uint8_t i = 0; i < 4; ++i) hashes.push_back(filled<info_hash>(static_cast<std::uint8_t>(0x80 + i)));
  CHECK(require_scrape(wt::encode_scrape(std::span(hashes).first(3)), limits).hashes.size() == 3);
  const auto failure = require_failure(wt::encode_scrape(hashes), limits);
  CHECK(failure.error == wt::decode_error::too_many_info_hashes);
  CHECK(failure.action == wt::message_action::scrape);

  const std::string message = announce_with(R"("pad":")" + std::string(1000, 'p') + "\"");
  limits.max_message_bytes = message.size();
  CHECK(require_announce(message, limits).hash == the_hash);
  limits.max_message_bytes = message.size() - 1;
  CHECK(require_failure(message, limits).error == wt::decode_error::message_too_large);
  const auto result = wt::decode_tracker_message(message, limits);
  REQUIRE(std::holds_alternative<wt::decode_failure>(result));
  CHECK(std::get<wt::decode_failure>(result).error == wt::decode_error::message_too_large);
}

TEST_CASE("webtorrent codec: json_text::parse_object keeps one compact object", "[proto][webtorrent]") {
  CHECK(wt::json_text::parse_object(R"( { "type" : "offer" , "sdp" : "a\u0041\n" } )")->text() ==
        R"({"type":"offer","sdp":"a\u0041\n"})");
  CHECK(wt::json_text::parse_object("{}")->text() == "{}");
  CHECK(wt::json_text::parse_object(R"({"n":1e400,"a":1,"a":[-1e999]})")->text() == R"({"n":1e400,"a":[-1e999]})");
  for (const char* bad : {"", "[]", "1", "\"{}\"", "null", "{} {}", "{\"a\":}", "{\"a\":\"\\ud800\"}", "{\"a\":1e2147483648}",
                          "{\"a\":\"\xff\"}"}) {
    INFO(bad);
    CHECK_FALSE(wt::json_text::parse_object(bad));
  }
}

// ---------------------------------------------------------------------------------------------
// Golden tracker messages (encoders) and their decoding
// ---------------------------------------------------------------------------------------------

TEST_CASE("webtorrent codec: golden: tracker messages", "[proto][webtorrent][golden]") {
  const std::string h = "\"" + hash_text + "\"";

  wt::announce_response response{the_hash, 120, 3, 7, std::nullopt};
  std::string text = wt::encode_announce_response(response);
  CHECK(text == R"({"action":"announce","info_hash":)" + h + R"(,"interval":120,"complete":3,"incomplete":7})");
  auto decoded_response = require_tracker<wt::announce_response>(text);
  CHECK(decoded_response.hash == the_hash);
  CHECK(decoded_response.interval == 120);
  CHECK(decoded_response.complete == 3);
  CHECK(decoded_response.incomplete == 7);
  CHECK_FALSE(decoded_response.warning);

  response.warning = "slow down\n\"now\"";
  text = wt::encode_announce_response(response);
  CHECK(text == R"({"action":"announce","info_hash":)" + h +
                    R"(,"interval":120,"complete":3,"incomplete":7,"warning message":"slow down\n\"now\""})");
  CHECK(require_tracker<wt::announce_response>(text).warning == response.warning);

  const auto offer = object_text(R"({"type":"offer","sdp":"v=0\r\n"})");
  text = wt::encode_offer_relay({the_hash, the_peer, id_of<offer_id>(offer_a_text), offer});
  CHECK(text == R"({"action":"announce","info_hash":)" + h + R"(,"peer_id":")" + peer_text + R"(","offer_id":")" +
                    offer_a_text + R"(","offer":{"type":"offer","sdp":"v=0\r\n"}})");
  const auto relay = require_tracker<wt::offer_relay>(text);
  CHECK(relay.offerer == the_peer);
  CHECK(relay.offer == offer);

  const auto answer = object_text(R"({"type":"answer","sdp":"v=0"})");
  text = wt::encode_answer_relay({the_hash, other_peer, id_of<offer_id>(offer_b_text), answer});
  CHECK(text == R"({"action":"announce","info_hash":)" + h + R"(,"peer_id":")" + other_peer_text +
                    R"(","offer_id":")" + offer_b_text + R"(","answer":{"type":"answer","sdp":"v=0"}})");
  const auto answer_relay = require_tracker<wt::answer_relay>(text);
  CHECK(answer_relay.answerer == other_peer);
  CHECK(answer_relay.id == id_of<offer_id>(offer_b_text));
  CHECK(answer_relay.answer == answer);

  const std::string other(20, 'o');
  text = wt::encode_scrape_response({{{the_hash, {5, 6, 7}}, {id_of<info_hash>(other), {0, 0, 0}}}});
  CHECK(text == R"({"action":"scrape","files":{)" + h + R"(:{"complete":5,"incomplete":6,"downloaded":7},")" + other +
                    R"(":{"complete":0,"incomplete":0,"downloaded":0}}})");
  const auto scrape = require_tracker<wt::scrape_response>(text);
  REQUIRE(scrape.files.size() == 2);
  CHECK(scrape.files[0].hash == the_hash);
  CHECK(scrape.files[0].stats == wt::scrape_stats{5, 6, 7});
  CHECK(scrape.files[1].hash == id_of<info_hash>(other));
  CHECK(wt::encode_scrape_response({}) == R"({"action":"scrape","files":{}})");

  text = wt::encode_failure({"unregistered torrent", wt::message_action::scrape, the_hash});
  CHECK(text == R"({"failure reason":"unregistered torrent","action":"scrape","info_hash":)" + h + "}");
  const auto failure = require_tracker<wt::failure_reply>(text);
  CHECK(failure.reason == "unregistered torrent");
  CHECK(failure.action == wt::message_action::scrape);
  CHECK(failure.hash == the_hash);
  CHECK(wt::encode_failure({"x", std::nullopt, std::nullopt}) == R"({"failure reason":"x"})");
}

TEST_CASE("webtorrent codec: golden: client encoders", "[proto][webtorrent][golden]") {
  wt::announce_message announce;
  announce.hash = the_hash;
  announce.peer = the_peer;
  CHECK(wt::encode_announce(announce) == R"({"action":"announce","info_hash":")" + hash_text + R"(","peer_id":")" +
                                             peer_text + R"(","left":null})");
  announce.uploaded = 1;
  announce.downloaded = 2;
  announce.left = 3;
  announce.event = wt::announce_event::completed;
  announce.numwant = 4;
  announce.offers.push_back({id_of<offer_id>(offer_a_text), object_text(R"({"type":"offer"})")});
  CHECK(wt::encode_announce(announce) ==
        R"({"action":"announce","info_hash":")" + hash_text + R"(","peer_id":")" + peer_text +
            R"(","uploaded":1,"downloaded":2,"left":3,"event":"completed","numwant":4,)"
            R"("offers":[{"offer":{"type":"offer"},"offer_id":")" +
            offer_a_text + R"("}]})");

  const std::vector<info_hash> none;
  CHECK(wt::encode_scrape(none) == R"({"action":"scrape","info_hash":[]})");
  const std::vector<info_hash> two = {the_hash, the_hash};
  CHECK(wt::encode_scrape(two) == R"({"action":"scrape","info_hash":[")" + hash_text + R"(",")" + hash_text + R"("]})");
}

TEST_CASE("webtorrent codec: free text is escaped and made valid UTF-8", "[proto][webtorrent]") {
  const std::string reason = std::string("a\0b\x01\x1f\"\\/\x7f", 9) + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" +
                             "\xff\xc3\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf";
  const std::string text = wt::encode_failure({reason, wt::message_action::announce, std::nullopt});
  CHECK(valid_utf8(text));
  // Valid characters pass through; each invalid byte is U+FFFD (EF BF BD).
  const std::string replacement = "\xef\xbf\xbd";
  std::string expected_reason = std::string("a\0b\x01\x1f\"\\/\x7f", 9) + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  for (int i = 0; i < 1 + 1 + 3 + 4 + 2; ++i) expected_reason += replacement;
  CHECK(text.substr(0, 47) == std::string(R"({"failure reason":"a\u0000b\u0001\u001f\"\\/)") + "\x7f" + "\xc3\xa9");
  CHECK(require_tracker<wt::failure_reply>(text).reason == expected_reason);
}

TEST_CASE("webtorrent codec: decode_tracker_message: failures", "[proto][webtorrent][failure]") {
  const std::string h = "\"" + hash_text + "\"";
  struct bad_case {
    std::string text;
    wt::decode_error error;
  };
  const std::vector<bad_case> cases = {
      {"{}", wt::decode_error::missing_action},
      {R"({"action":"connect"})", wt::decode_error::unknown_action},
      {R"({"failure reason":1,"action":"announce"})", wt::decode_error::bad_type},
      {R"({"action":"announce"})", wt::decode_error::missing_field},
      {R"({"action":"announce","info_hash":"x"})", wt::decode_error::bad_binary_string},
      {R"({"action":"announce","info_hash":)" + h + R"(,"interval":-1})", wt::decode_error::bad_number},
      {R"({"action":"announce","info_hash":)" + h + R"(,"complete":4294967296})", wt::decode_error::bad_number},
      {R"({"action":"announce","info_hash":)" + h + R"(,"incomplete":"1"})", wt::decode_error::bad_number},
      {R"({"action":"announce","info_hash":)" + h + R"(,"warning message":1})", wt::decode_error::bad_type},
      {R"({"action":"announce","info_hash":)" + h + R"(,"offer":{},"offer_id":")" + offer_a_text + "\"}",
       wt::decode_error::missing_field},
      {R"({"action":"announce","info_hash":)" + h + R"(,"offer":{},"peer_id":")" + peer_text + "\"}",
       wt::decode_error::missing_field},
      {R"({"action":"announce","info_hash":)" + h + R"(,"offer":"x","peer_id":")" + peer_text +
           R"(","offer_id":")" + offer_a_text + "\"}",
       wt::decode_error::bad_type},
      {R"({"action":"announce","info_hash":)" + h + R"(,"answer":[],"peer_id":")" + peer_text +
           R"(","offer_id":")" + offer_a_text + "\"}",
       wt::decode_error::bad_answer},
      {R"({"action":"scrape","files":[]})", wt::decode_error::bad_type},
      {R"({"action":"scrape","files":{"short":{}}})", wt::decode_error::bad_binary_string},
      {R"({"action":"scrape","files":{)" + h + ":1}}", wt::decode_error::bad_type},
      {R"({"action":"scrape","files":{)" + h + R"(:{"downloaded":0.5}}})", wt::decode_error::bad_number},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(require_tracker_failure(c.text).error == c.error);
  }
  // Absent counts are 0; absent files is an empty scrape; a failure needs no action.
  const auto response = require_tracker<wt::announce_response>(R"({"action":"announce","info_hash":)" + h + "}");
  CHECK(response.interval == 0);
  CHECK(require_tracker<wt::scrape_response>(R"({"action":"scrape"})").files.empty());
  const auto failure = require_tracker<wt::failure_reply>(R"({"failure reason":"no"})");
  CHECK_FALSE(failure.action);
  CHECK_FALSE(failure.hash);
  // A repeated info hash in files: its last entry counts, even when an earlier one is not valid.
  const auto repeated = require_tracker<wt::scrape_response>(R"({"action":"scrape","files":{)" + h + ":5," + h +
                                                             R"(:{"complete":2}}})");
  REQUIRE(repeated.files.size() == 1);
  CHECK(repeated.files[0].stats == wt::scrape_stats{2, 0, 0});
}

// ---------------------------------------------------------------------------------------------
// Seeded random round trips
// ---------------------------------------------------------------------------------------------

TEST_CASE("webtorrent codec: round trip: client messages", "[proto][webtorrent][roundtrip]") {
  std::mt19937_64 random(0x7e6'70c0);
  const auto maybe = [&](auto value) { return uniform(random, 0, 3) == 0 ? std::nullopt : std::optional(value); };
  for (int iteration = 0; iteration < 500; ++iteration) {
    INFO("iteration " << iteration);
    wt::announce_message announce;
    announce.hash = random_id<info_hash>(random);
    announce.peer = random_id<peer_id>(random);
    announce.event = static_cast<wt::announce_event>(uniform(random, 0, 4));
    announce.left = maybe(iteration % 3 == 0 ? std::uint64_t{0} : random());
    announce.uploaded = maybe(random());
    announce.downloaded = maybe(random() >> uniform(random, 0, 63));
    announce.numwant = maybe(static_cast<std::uint32_t>(uniform(random, 0, 100)));
    const std::size_t offers = uniform(random, 0, 10);
    for (std::size_t i = 0; i < offers; ++i) {
      announce.offers.push_back({random_id<offer_id>(random), random_sdp(random, "offer")});
    }
    if (uniform(random, 0, 2) == 0) {
      announce.answer =
          wt::announce_answer{random_id<peer_id>(random), random_id<offer_id>(random), random_sdp(random, "answer")};
    }
    const std::string text = wt::encode_announce(announce);
    CHECK(valid_utf8(text));
    const auto decoded = require_announce(text);
    CHECK(decoded.hash == announce.hash);
    CHECK(decoded.peer == announce.peer);
    CHECK(decoded.event == announce.event);
    CHECK(decoded.left == announce.left);
    CHECK(decoded.uploaded == announce.uploaded);
    CHECK(decoded.downloaded == announce.downloaded);
    CHECK(decoded.numwant == announce.numwant);
    REQUIRE(decoded.offers.size() == announce.offers.size());
    for (std::size_t i = 0; i < offers; ++i) {
      CHECK(decoded.offers[i].id == announce.offers[i].id);
      CHECK(decoded.offers[i].offer == announce.offers[i].offer);
    }
    REQUIRE(decoded.answer.has_value() == announce.answer.has_value());
    if (announce.answer) {
      CHECK(decoded.answer->to_peer == announce.answer->to_peer);
      CHECK(decoded.answer->id == announce.answer->id);
      CHECK(decoded.answer->answer == announce.answer->answer);
    }
    // Encoding what was decoded gives the same text.
    CHECK(wt::encode_announce(decoded) == text);

    std::vector<info_hash> hashes(uniform(random, 0, 64));
    for (auto& hash : hashes) hash = random_id<info_hash>(random);
    const auto scrape = require_scrape(wt::encode_scrape(hashes));
    CHECK(scrape.hashes == hashes);
  }
}

TEST_CASE("webtorrent codec: round trip: tracker messages", "[proto][webtorrent][roundtrip]") {
  std::mt19937_64 random(0x7ac'4e75);
  const auto u32 = [&] { return static_cast<std::uint32_t>(random()); };
  for (int iteration = 0; iteration < 500; ++iteration) {
    INFO("iteration " << iteration);

    wt::announce_response response{random_id<info_hash>(random), u32(), u32(), u32(), std::nullopt};
    if (uniform(random, 0, 1) == 0) response.warning = random_text(random, 40);
    std::string text = wt::encode_announce_response(response);
    CHECK(valid_utf8(text));
    const auto response2 = require_tracker<wt::announce_response>(text);
    CHECK(response2.hash == response.hash);
    CHECK(response2.interval == response.interval);
    CHECK(response2.complete == response.complete);
    CHECK(response2.incomplete == response.incomplete);
    CHECK(response2.warning == response.warning);

    const wt::offer_relay offer{random_id<info_hash>(random), random_id<peer_id>(random),
                                random_id<offer_id>(random), random_sdp(random, "offer")};
    text = wt::encode_offer_relay(offer);
    // Written in the offer's own buffer: the same text.
    CHECK(wt::encode_offer_relay(wt::offer_relay(offer)) == text);
    CHECK(valid_utf8(text));
    const auto offer2 = require_tracker<wt::offer_relay>(text);
    CHECK(offer2.hash == offer.hash);
    CHECK(offer2.offerer == offer.offerer);
    CHECK(offer2.id == offer.id);
    CHECK(offer2.offer == offer.offer);

    const wt::answer_relay answer{random_id<info_hash>(random), random_id<peer_id>(random),
                                  random_id<offer_id>(random), random_sdp(random, "answer")};
    text = wt::encode_answer_relay(answer);
    CHECK(wt::encode_answer_relay(wt::answer_relay(answer)) == text);
    CHECK(valid_utf8(text));
    const auto answer2 = require_tracker<wt::answer_relay>(text);
    CHECK(answer2.hash == answer.hash);
    CHECK(answer2.answerer == answer.answerer);
    CHECK(answer2.id == answer.id);
    CHECK(answer2.answer == answer.answer);

    wt::scrape_response scrape;
    const std::size_t files = uniform(random, 0, 20);
    for (std::size_t i = 0; i < files; ++i) {
      info_hash hash = random_id<info_hash>(random);
      hash.bytes[0] = static_cast<std::uint8_t>(i);  // distinct keys
      scrape.files.push_back({hash, {u32(), u32(), u32()}});
    }
    text = wt::encode_scrape_response(scrape);
    CHECK(valid_utf8(text));
    const auto scrape2 = require_tracker<wt::scrape_response>(text);
    REQUIRE(scrape2.files.size() == files);
    for (std::size_t i = 0; i < files; ++i) {
      CHECK(scrape2.files[i].hash == scrape.files[i].hash);
      CHECK(scrape2.files[i].stats == scrape.files[i].stats);
    }

    wt::failure_reply failure{random_text(random, 40), std::nullopt, std::nullopt};
    if (uniform(random, 0, 2) != 0) failure.action = static_cast<wt::message_action>(uniform(random, 0, 1));
    if (uniform(random, 0, 1) == 0) failure.hash = random_id<info_hash>(random);
    text = wt::encode_failure(failure);
    CHECK(valid_utf8(text));
    const auto failure2 = require_tracker<wt::failure_reply>(text);
    CHECK(failure2.reason == failure.reason);
    CHECK(failure2.action == failure.action);
    CHECK(failure2.hash == failure.hash);
  }
}

// ---------------------------------------------------------------------------------------------
// Never crash
// ---------------------------------------------------------------------------------------------

namespace {

struct sweep_counts {
  std::size_t announces = 0;
  std::size_t scrapes = 0;
  std::size_t failures = 0;
  std::size_t tracker_messages = 0;
};

// Decodes `text` both ways. Whatever decodes must re-encode to valid UTF-8 that decodes to the same
// values: the json_text invariant (valid JSON, safe to insert) is checked on every offer and answer.
void sweep(std::string_view text, sweep_counts& counts) {
  wt::decode_limits limits;
  limits.max_offers = 3;
  limits.max_sdp_bytes = 200;
  const auto result = wt::decode_client_message(text, limits);
  if (const auto* message = std::get_if<wt::client_message>(&result)) {
    if (const auto* announce = std::get_if<wt::announce_message>(message)) {
      ++counts.announces;
      CHECK(announce->offers.size() <= limits.max_offers);
      const std::string again = wt::encode_announce(*announce);
      REQUIRE(valid_utf8(again));
      const auto decoded = require_announce(again, limits);
      CHECK(decoded.offers.size() == announce->offers.size());
      for (const auto& offer : announce->offers) {
        CHECK(offer.offer.size() <= limits.max_sdp_bytes);
        const auto relay = wt::encode_offer_relay({announce->hash, announce->peer, offer.id, offer.offer});
        CHECK(require_tracker<wt::offer_relay>(relay).offer == offer.offer);
      }
      if (announce->answer) {
        CHECK(decoded.answer->answer == announce->answer->answer);
      }
    } else {
      ++counts.scrapes;
      CHECK(std::get<wt::scrape_message>(*message).hashes.size() <= limits.max_scrape_hashes);
    }
  } else {
    ++counts.failures;
    const auto& failure = std::get<wt::decode_failure>(result);
    CHECK_FALSE(failure.message.empty());
    CHECK(valid_utf8(wt::encode_failure(wt::to_failure_reply(failure))));
  }
  const auto tracker = wt::decode_tracker_message(text, limits);
  if (std::holds_alternative<wt::tracker_message>(tracker)) ++counts.tracker_messages;
}

}  // namespace

TEST_CASE("webtorrent codec: a relay written in a decoded offer's buffer, with the longest head",
          "[proto][webtorrent]") {
  // Control bytes are written \u00XX: three ids of 122 quoted bytes, the most a head can take.
  const auto id_of_ones = [](auto id) {
    id.bytes.fill(0x01);
    return id;
  };
  const std::string sdp(3000, 'v');
  const std::string announce = R"({"action":"announce","info_hash":"aaaaaaaaaaaaaaaaaaaa","peer_id":"bbbbbbbbbbbbbbbbbbbb",)"
                               R"("numwant":1,"offers":[{"offer_id":"cccccccccccccccccccc","offer":{"type":"offer","sdp":")" +
                               sdp + R"("}}]})";
  // Unpacked in place: a copy of the offer would not keep the room its buffer was decoded with.
  auto decoded = wt::decode_client_message(announce, wt::decode_limits{});
  REQUIRE(std::holds_alternative<wt::client_message>(decoded));
  auto* message = std::get_if<wt::announce_message>(&std::get<wt::client_message>(decoded));
  REQUIRE(message != nullptr);
  REQUIRE(message->offers.size() == 1);
  const wt::offer_relay relay{id_of_ones(info_hash{}), id_of_ones(peer_id{}), id_of_ones(offer_id{}),
                              message->offers[0].offer};
  const std::string copied = wt::encode_offer_relay(relay);
  const std::string in_place =
      wt::encode_offer_relay(wt::offer_relay{relay.hash, relay.offerer, relay.id, std::move(message->offers[0].offer)});
  CHECK(in_place == copied);
  const auto back = require_tracker<wt::offer_relay>(in_place);
  CHECK(back.hash == relay.hash);
  CHECK(back.offer == relay.offer);
  CHECK(in_place.find(R"(\u0001\u0001)") != std::string::npos);
}

TEST_CASE("webtorrent codec: never crash: random bytes of every length 0..300", "[proto][webtorrent][sweep]") {
  std::mt19937_64 random(0x5eed'0001);
  sweep_counts counts;
  const std::string alphabet = "{}[]\":,0123456789-+.eE \\unlltrfa";
  for (std::size_t size = 0; size <= 300; ++size) {
    INFO("size " << size);
    for (int i = 0; i < 4; ++i) {
      std::string bytes(size, '\0');
      for (auto& c : bytes) c = static_cast<char>(random());
      sweep(bytes, counts);
      // JSON-ish noise reaches deeper into the parser than uniform bytes.
      for (auto& c : bytes) c = alphabet[uniform(random, 0, alphabet.size() - 1)];
      sweep(bytes, counts);
    }
  }
  CHECK(counts.failures > 2000);
}

TEST_CASE("webtorrent codec: never crash: random mutations of valid messages", "[proto][webtorrent][sweep]") {
  std::mt19937_64 random(0x5eed'0002);
  const std::string offers = R"("offers":[)" + offer_entry(offer_a_text, offer_sdp) + "," +
                             offer_entry(offer_b_text, "v=0\r\n") +
                             R"(,{"offer_id":1},{"offer":{"a":[1,2,{}]},"offer_id":")" +
                             std::string(20, 'c') + R"("}])";
  std::vector<std::string> seeds = {
      announce_with(R"("numwant":2,"uploaded":0,"downloaded":16384,"left":null,"event":"started",)" + offers),
      announce_with(R"("to_peer_id":")" + other_peer_text + R"(","offer_id":")" + offer_a_text +
                    R"(","answer":{"type":"answer","sdp":"v=0"})"),
      R"({"action":"scrape","info_hash":[")" + hash_text + R"(","\u0000\u00ff\u0080)" + std::string(17, 'x') + R"("]})",
      wt::encode_announce_response({the_hash, 120, 1, 2, std::string("warn")}),
      wt::encode_offer_relay({the_hash, the_peer, id_of<offer_id>(offer_a_text), object_text(R"({"sdp":"x"})")}),
      wt::encode_scrape_response({{{the_hash, {1, 2, 3}}}}),
      wt::encode_failure({"no", wt::message_action::announce, the_hash}),
  };
  // Binary ids with every byte class in the seeds as well.
  wt::announce_message binary;
  binary.hash = filled<info_hash>(0xc3);
  binary.peer = filled<peer_id>(0x00);
  binary.offers.push_back({filled<offer_id>(0x22), object_text(R"({"type":"offer","sdp":"\u0000"})")});
  seeds.push_back(wt::encode_announce(binary));

  const std::string inserts = "{}[]\":,\\0-1e9\x80\xc3\xff\xed nul";
  sweep_counts counts;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string text = seeds[uniform(random, 0, seeds.size() - 1)];
    const std::size_t mutations = uniform(random, 1, 4);
    for (std::size_t m = 0; m < mutations && !text.empty(); ++m) {
      const std::size_t at = uniform(random, 0, text.size() - 1);
      switch (uniform(random, 0, 4)) {
        case 0: text[at] = static_cast<char>(random()); break;
        case 1: text.erase(at, uniform(random, 1, 8)); break;
        case 2: text.insert(at, 1, inserts[uniform(random, 0, inserts.size() - 1)]); break;
        case 3: text.resize(at); break;
        default: text.insert(at, text.substr(uniform(random, 0, text.size() - 1), uniform(random, 1, 30))); break;
      }
    }
    INFO(text);
    sweep(text, counts);
  }
  // The mutations reach every outcome.
  CHECK(counts.announces > 500);
  CHECK(counts.scrapes > 100);
  CHECK(counts.failures > 5000);
  CHECK(counts.tracker_messages > 500);
}
