#pragma once
// WebTorrent tracker protocol (JSON text frames over WebSocket): pure codecs.
// Text in, values out, and back. No sockets, no clock, no logging. See docs/protocols.md.
//
// Binary strings: a 20-byte value (info_hash, peer_id, offer_id) travels as a JSON string of
// exactly 20 characters, each a code point U+0000..U+00FF standing for one byte (JavaScript's
// "binary string"). Bytes >= 0x80 are two UTF-8 bytes in the frame; control characters, `"` and
// `\` are JSON-escaped. Anything else (19 or 21 characters, a code point > 0xFF) is an error.
//
// Client -> tracker                                  Tracker -> client
//   announce {action:"announce", info_hash, peer_id,   announce response {action:"announce",
//             uploaded, downloaded, left, event,         interval, info_hash, complete, incomplete}
//             numwant, offers:[{offer:{..}, offer_id}]}  offer relay  {action:"announce", info_hash,
//   answer   {action:"announce", info_hash, peer_id,     peer_id (offerer), offer_id, offer:{..}}
//             to_peer_id, offer_id, answer:{..}}        answer relay {action:"announce", info_hash,
//   scrape   {action:"scrape", info_hash: H | [H,..]}    peer_id (answerer), offer_id, answer:{..}}
//                                                      scrape response {action:"scrape",
//                                                        files:{H:{complete,incomplete,downloaded}}}
//                                                      failure {"failure reason", action, info_hash}
//
// Decisions where the protocol is silent (each one tested):
// - Duplicate keys: the last one wins (as in JavaScript's JSON.parse and Boost.JSON).
// - Unknown keys are ignored everywhere; `null` reads as absent for every optional field.
// - uploaded/downloaded/left: a non-negative integer below 2^64. JavaScript numbers are doubles,
//   so an integral double (1e3, 5.0) is accepted; a negative, fractional or larger value (1e400,
//   2^64) is an error: a counter the tracker cannot read is not silently turned into another.
//   Except a negative integral `left`, which reads as unknown, like null: anacrolix/torrent sends
//   -1 for a torrent whose metainfo it has not got yet.
// - numwant: any integral number, clamped to [0, decode_limits::max_numwant]; fractional or
//   non-finite is an error.
// - event: absent, null, "", "update" and "empty" all mean a regular announce.
// - offers: absent or null means none; any other non-array is an error. Entries that are not an
//   object with a valid `offer_id` and an object `offer` are skipped and counted; so are offers
//   whose compact text exceeds max_sdp_bytes, and those past max_offers.
// - answer: `answer` present (not null) makes the message an answer; then `to_peer_id` and
//   `offer_id` must be valid and `answer` an object no longer than max_sdp_bytes, or it is an error.
// - scrape: an absent, null or empty-array info_hash decodes to no hashes, which the reference
//   tracker treats as "all torrents" (a full scrape): whether to serve it is the tracker's choice.
//   More than max_scrape_hashes is an error.
// - Offers and answers are relayed as the client wrote them, compacted: whitespace outside strings
//   removed and a repeated key written once, at its first place with its last value (as
//   JSON.parse reads it). Escapes and numbers stay as written
//   (1e400 is valid JSON, which a browser reads as Infinity).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tracker/proto/types.hpp"
#include "tracker/proto/webtorrent_types.hpp"

namespace riptide::proto::webtorrent {

// The strong type of offer ids is shared with the swarm rules (core/webtorrent_shard.hpp).
using proto::offer_id;
using proto::offer_id_tag;

// A JSON object in compact text form (an SDP offer or answer), opaque to the tracker and inserted
// verbatim into relayed messages. Invariant: the text is one valid JSON object, UTF-8, without
// whitespace outside strings and without repeated keys: the client's own text of an object in a
// message the parser accepted whole, compacted (json_value::append_compact), so inserting it
// cannot inject anything. Only the decoders and parse_object create one.
class json_text {
 public:
  // Parses `text` (at most `max_depth` levels of nesting) and keeps it compacted.
  // nullopt unless `text` is a single JSON object. For the load tester and the tests.
  static std::optional<json_text> parse_object(std::string_view text, std::size_t max_depth = 32);

  json_text() : text_("{}") {}  // the empty object

  std::string_view text() const { return text_; }
  std::size_t size() const { return text_.size(); }
  friend bool operator==(const json_text&, const json_text&) = default;

 private:
  explicit json_text(std::string text) : text_(std::move(text)) {}
  friend struct json_text_access;  // defined in webtorrent_codec.cpp only
  std::string text_;
};

enum class message_action : std::uint8_t { announce, scrape };
std::string_view to_string(message_action action);

// "update", "empty", "" and an absent event are all `none` (a regular announce).
enum class announce_event : std::uint8_t { none, started, completed, stopped, paused };
std::string_view to_string(announce_event event);

struct decode_limits {
  std::size_t max_message_bytes = 256 * 1024;  // a backstop: the WebSocket layer limits first
  std::size_t max_depth = 32;                  // JSON nesting; real messages use 3 levels
  std::size_t max_offers = 10;                 // offers kept per announce; the rest are dropped
  std::size_t max_sdp_bytes = 16 * 1024;       // compact text of one offer/answer object
  std::size_t max_scrape_hashes = 64;
  std::uint32_t max_numwant = 100;  // numwant is clamped to [0, max_numwant]
};

// --- Client -> tracker ---

struct announce_offer {
  offer_id id;
  json_text offer;  // {"type":"offer","sdp":"..."}
};

// An answer message: the answerer (announce_message::peer) answers offer `id` of `to_peer`.
struct announce_answer {
  peer_id to_peer;
  offer_id id;
  json_text answer;  // {"type":"answer","sdp":"..."}
};

struct announce_message {
  info_hash hash;
  peer_id peer;
  announce_event event = announce_event::none;
  std::optional<std::uint64_t> left;  // nullopt: absent or null (a magnet leecher); not a seeder
  std::optional<std::uint64_t> uploaded;
  std::optional<std::uint64_t> downloaded;
  std::optional<std::uint32_t> numwant;  // clamped to [0, max_numwant]
  std::vector<announce_offer> offers;    // at most max_offers, in message order
  std::size_t offers_invalid = 0;        // entries that were not an offer (skipped)
  std::size_t offers_oversized = 0;      // offers longer than max_sdp_bytes (skipped)
  std::size_t offers_dropped = 0;        // valid offers past max_offers
  std::optional<announce_answer> answer;
};

struct scrape_message {
  std::vector<info_hash> hashes;  // in message order; empty: a full scrape was asked for
};

using client_message = std::variant<announce_message, scrape_message>;

enum class decode_error : std::uint8_t {
  message_too_large,  // longer than decode_limits::max_message_bytes
  invalid_json,       // not JSON, invalid UTF-8, or trailing garbage
  too_deep,           // nesting deeper than decode_limits::max_depth
  not_an_object,      // the top level is not an object
  missing_action,
  unknown_action,     // not "announce" or "scrape" (or not a string)
  missing_field,      // a required field is absent (see decode_failure::message)
  bad_binary_string,  // info_hash, peer_id, offer_id, to_peer_id: not 20 code points <= 0xFF
  bad_number,         // wrong type or out of range
  bad_event,
  bad_type,           // any other field of the wrong type
  bad_answer,         // `answer` not an object
  answer_too_large,   // `answer` longer than decode_limits::max_sdp_bytes
  too_many_info_hashes,
};

std::string_view to_string(decode_error error);

// What a failure reply needs: the error, a short text naming the field, and what could be read of
// the action and info hash (a failure reply must carry both, see to_failure_reply).
struct decode_failure {
  decode_error error = decode_error::invalid_json;
  std::string_view message;  // static text, e.g. "invalid left"
  std::optional<message_action> action;
  std::optional<info_hash> hash;  // only when info_hash was a single valid binary string
};

using client_decode_result = std::variant<client_message, decode_failure>;

// Total: any text gives a message or a failure; no exception escapes. Text that decodes is
// well-formed UTF-8 (json_document checks every string, and outside strings JSON is ASCII), so a
// WebSocket server need check only the text that fails (RFC 6455 8.1 wants it closed with 1007).
client_decode_result decode_client_message(std::string_view text, const decode_limits& limits = {});

// --- Tracker -> client ---

struct announce_response {
  info_hash hash;
  std::uint32_t interval = 0;
  std::uint32_t complete = 0;    // seeders
  std::uint32_t incomplete = 0;  // leechers
  std::optional<std::string> warning;  // "warning message"
};

struct offer_relay {
  info_hash hash;
  peer_id offerer;  // sent as peer_id
  offer_id id;
  json_text offer;
};

struct answer_relay {
  info_hash hash;
  peer_id answerer;  // sent as peer_id
  offer_id id;
  json_text answer;
};

struct scrape_stats {
  std::uint32_t complete = 0;
  std::uint32_t incomplete = 0;
  std::uint32_t downloaded = 0;
  friend constexpr bool operator==(const scrape_stats&, const scrape_stats&) = default;
};

struct scrape_file {
  info_hash hash;
  scrape_stats stats;
};

struct scrape_response {
  std::vector<scrape_file> files;  // hashes should be distinct: they become object keys
};

struct failure_reply {
  std::string reason;  // "failure reason"
  std::optional<message_action> action;
  std::optional<info_hash> hash;
};

// The reply to a message that could not be decoded. An unreadable action becomes "announce": the
// reference client treats a message without action as a broken socket and reconnects with a long
// backoff, while an announce failure for an info hash it does not know is simply ignored.
failure_reply to_failure_reply(const decode_failure& failure);

// Encoders return compact JSON text. Free text (reason, warning) is escaped, and invalid UTF-8 in
// it is replaced by U+FFFD, so the result is always a valid WebSocket text frame.
std::string encode_announce_response(const announce_response& response);
std::string encode_offer_relay(const offer_relay& relay);
std::string encode_answer_relay(const answer_relay& relay);
// The same, written in the offer's or answer's own buffer (a decoded one has room in front for
// the rest of the message): no allocation and no copy of the SDP, at the tracker's busiest spot.
std::string encode_offer_relay(offer_relay&& relay);
std::string encode_answer_relay(answer_relay&& relay);
std::string encode_scrape_response(const scrape_response& response);
std::string encode_failure(const failure_reply& failure);

// --- Client side (load tester and tests) ---

// Writes the fields an announce_message holds; `left` nullopt is sent as null (as magnet leechers
// do), other nullopt fields and an empty offer list are left out, an event of none too.
// The offers_* counters are not sent.
std::string encode_announce(const announce_message& message);
// One hash is sent as a string, any other count as an array (empty: a full scrape).
std::string encode_scrape(std::span<const info_hash> hashes);

using tracker_message = std::variant<announce_response, offer_relay, answer_relay, scrape_response, failure_reply>;
using tracker_decode_result = std::variant<tracker_message, decode_failure>;

// Total, like decode_client_message. A message with "failure reason" is a failure_reply; an
// announce with `offer` an offer_relay, with `answer` an answer_relay. Absent counts read as 0;
// counts above 2^32 - 1 are bad_number. Only max_message_bytes and max_depth of `limits` apply.
tracker_decode_result decode_tracker_message(std::string_view text, const decode_limits& limits = {});

// Binary string helpers, exposed for tests and other JSON users: `text` is the JSON string's value
// (UTF-8, after unescaping). nullopt unless it is exactly 20 code points, each <= 0xFF.
std::optional<std::array<std::uint8_t, 20>> decode_binary_string(std::string_view text);
// The UTF-8 value (not yet JSON-escaped) standing for `bytes`.
std::string encode_binary_string(std::span<const std::uint8_t, 20> bytes);

}  // namespace riptide::proto::webtorrent
