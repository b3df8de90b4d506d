#include "tracker/proto/webtorrent_codec.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>

#include "tracker/proto/json_document.hpp"
#include "tracker/proto/utf8.hpp"

namespace riptide::proto::webtorrent {

// The only way, besides json_text::parse_object, to make a json_text: from a parsed object.
struct json_text_access {
  static json_text make(std::string text) { return json_text(std::move(text)); }
  static std::string take(json_text&& text) { return std::move(text.text_); }
};

namespace {

// ------------------------------------------------------------------------------------------------
// Writing JSON text. The encoders write the few fixed shapes of the protocol directly into one
// string: no intermediate document, one allocation per message in the common case.
// ------------------------------------------------------------------------------------------------

constexpr char hex_digits[] = "0123456789abcdef";

// One ASCII byte as it appears inside a JSON string, written at `at` (at most 6 characters);
// returns the end.
char* write_escaped_ascii(char* at, std::uint8_t c) {
  char escape = 0;
  switch (c) {
    case '"': escape = '"'; break;
    case '\\': escape = '\\'; break;
    case '\b': escape = 'b'; break;
    case '\f': escape = 'f'; break;
    case '\n': escape = 'n'; break;
    case '\r': escape = 'r'; break;
    case '\t': escape = 't'; break;
    default: break;
  }
  if (escape != 0) {
    at[0] = '\\';
    at[1] = escape;
    return at + 2;
  }
  if (c < 0x20) {
    std::memcpy(at, "\\u00", 4);
    at[4] = hex_digits[c >> 4];
    at[5] = hex_digits[c & 0x0f];
    return at + 6;
  }
  at[0] = static_cast<char>(c);
  return at + 1;
}

void append_escaped_ascii(std::string& out, std::uint8_t c) {
  char buffer[6];
  out.append(buffer, write_escaped_ascii(buffer, c));
}

// Free text as a JSON string. Invalid UTF-8 becomes U+FFFD: a WebSocket text frame must be valid
// UTF-8, and browsers close the connection on one that is not.
void append_quoted_text(std::string& out, std::string_view text) {
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c < 0x80) {
      append_escaped_ascii(out, c);
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  out += '"';
}

// The bytes an id writes as JSON escapes: below 0x20, the quote and the backslash.
constexpr std::array<bool, 256> escaped_in_json = [] {
  std::array<bool, 256> escaped{};
  for (std::size_t c = 0; c < 0x20; ++c) escaped[c] = true;
  escaped['"'] = escaped['\\'] = true;
  return escaped;
}();

// A 20-byte value as a JSON string of 20 code points U+0000..U+00FF.
// Written into a local buffer first (at most 6 characters a byte), then appended at once: three
// of these go into every relayed message. An id's bytes are random, so a byte below 0x80 and one
// above (two bytes of UTF-8) are written without a branch on which: both bytes are stored, and the
// second is kept only for a byte above.
void append_quoted_binary(std::string& out, std::span<const std::uint8_t, 20> bytes) {
  char buffer[2 + 20 * 6];
  char* at = buffer;
  *at++ = '"';
  for (const std::uint8_t b : bytes) {
    if (escaped_in_json[b]) {
      at = write_escaped_ascii(at, b);
      continue;
    }
    const unsigned high = b >> 7;
    at[0] = static_cast<char>(high != 0 ? 0xc0 | (b >> 6) : b);
    at[1] = static_cast<char>(0x80 | (b & 0x3f));
    at += 1 + high;
  }
  *at++ = '"';
  out.append(buffer, at);
}

template <typename Tag>
void append_quoted_id(std::string& out, const id20<Tag>& id) {
  append_quoted_binary(out, std::span<const std::uint8_t, 20>(id.bytes));
}

void append_number(std::string& out, std::uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// `,"key":` (the key is a literal of ours: no escaping needed).
void append_key(std::string& out, std::string_view key) {
  out += ",\"";
  out += key;
  out += "\":";
}

void append_announce_head(std::string& out, const info_hash& hash) {
  out += "{\"action\":\"announce\"";
  append_key(out, "info_hash");
  append_quoted_id(out, hash);
}

// What a relay adds around the offer or answer, at most: `{"action":"announce","info_hash":`,
// `,"peer_id":`, `,"offer_id":`, `,"answer":`, three quoted ids of up to 122 bytes, and `}`.
constexpr std::size_t relay_head_room = 448;

// Everything of a relay before the offer or answer itself.
void append_relay_head(std::string& out, const info_hash& hash, const peer_id& peer, const offer_id& id,
                       std::string_view key) {
  append_announce_head(out, hash);
  append_key(out, "peer_id");
  append_quoted_id(out, peer);
  append_key(out, "offer_id");
  append_quoted_id(out, id);
  append_key(out, key);
}

// The relay in the payload's own buffer: the head goes in front (moving the payload along, in
// place while the buffer has room), the closing brace behind.
std::string encode_relay_in_place(const info_hash& hash, const peer_id& peer, const offer_id& id, std::string_view key,
                                  json_text&& payload) {
  std::string out = json_text_access::take(std::move(payload));
  // The head is written in a buffer of the thread's, kept from one relay to the next.
  thread_local std::string head;
  head.clear();
  append_relay_head(head, hash, peer, id, key);
  out.insert(0, head);
  out += '}';
  return out;
}

std::string encode_relay(const info_hash& hash, const peer_id& peer, const offer_id& id, std::string_view key,
                         const json_text& payload) {
  std::string out;
  out.reserve(relay_head_room + payload.size());
  append_relay_head(out, hash, peer, id, key);
  out += payload.text();  // valid JSON by json_text's invariant
  out += '}';
  return out;
}

// ------------------------------------------------------------------------------------------------
// Reading parsed JSON.
// ------------------------------------------------------------------------------------------------

struct field_error {
  decode_error error;
  std::string_view message;
};

// The fields `Names` of an object that a decoder reads, found in one pass over its members (a
// message may have thousands). A field is nullopt when absent or null: null reads as absent
// everywhere. `Names` is a constant, so a lookup by a literal name folds to an index.
template <const auto& Names>
class object_fields {
 public:
  explicit object_fields(json_value object) : values_(object.members(Names)) {}

  // `name` must be one of the names.
  std::optional<json_value> operator[](std::string_view name) const {
    for (std::size_t i = 0; i < Names.size(); ++i) {
      if (Names[i] == name) return values_[i] && !values_[i]->is_null() ? values_[i] : std::nullopt;
    }
    assert(false && "a field the decoder did not ask for");
    return std::nullopt;
  }

 private:
  std::array<std::optional<json_value>, Names.size()> values_;
};

constexpr std::array<std::string_view, 12> client_field_names = {
    "action", "info_hash", "peer_id", "event", "left", "uploaded", "downloaded", "numwant", "offers", "answer",
    "to_peer_id", "offer_id"};
using client_fields = object_fields<client_field_names>;

constexpr std::array<std::string_view, 2> offer_entry_field_names = {"offer", "offer_id"};

constexpr std::array<std::string_view, 12> tracker_field_names = {
    "failure reason", "action", "info_hash", "files", "offer", "answer", "peer_id", "offer_id", "interval",
    "complete", "incomplete", "warning message"};

constexpr std::array<std::string_view, 3> scrape_file_field_names = {"complete", "incomplete", "downloaded"};

template <typename Tag>
std::optional<id20<Tag>> id_from(json_value value) {
  id20<Tag> id;
  const auto length = value.binary_string_in(id.bytes);  // nullopt past 20 bytes
  if (!length || *length != id.bytes.size()) return std::nullopt;
  return id;
}

template <typename Tag>
std::optional<field_error> read_id(std::optional<json_value> value, id20<Tag>& out, std::string_view missing,
                                   std::string_view invalid) {
  if (!value) return field_error{decode_error::missing_field, missing};
  const auto id = id_from<Tag>(*value);
  if (!id) return field_error{decode_error::bad_binary_string, invalid};
  out = *id;
  return std::nullopt;
}

constexpr double two_to_the_64 = 18446744073709551616.0;

// A non-negative integer below 2^64; an integral double counts (JavaScript numbers are doubles).
std::optional<std::uint64_t> unsigned_from(json_value value) {
  if (value.kind() != json_kind::number) return std::nullopt;
  const json_number number = value.number();
  if (number.exact_unsigned) return number.exact_unsigned;
  const double d = number.value;
  if (!std::isfinite(d) || d < 0.0 || d >= two_to_the_64 || std::trunc(d) != d) return std::nullopt;
  return static_cast<std::uint64_t>(d);
}

// Optional counter: absent or null leaves `out` nullopt.
std::optional<field_error> read_counter(std::optional<json_value> value, std::optional<std::uint64_t>& out,
                                        std::string_view invalid) {
  if (!value) return std::nullopt;
  out = unsigned_from(*value);
  if (!out) return field_error{decode_error::bad_number, invalid};
  return std::nullopt;
}

// `left`: a counter, or unknown (nullopt) when absent, null or negative: anacrolix/torrent sends
// -1 while it has no metainfo yet (a magnet link), as its int64 "unknown". Still an error when it
// is no integer at all.
std::optional<field_error> read_left(std::optional<json_value> value, std::optional<std::uint64_t>& out) {
  if (value && value->kind() == json_kind::number) {
    const json_number number = value->number();
    if (!number.exact_unsigned && std::isfinite(number.value) && std::trunc(number.value) == number.value &&
        number.value < 0.0) {
      out = std::nullopt;
      return std::nullopt;
    }
  }
  return read_counter(value, out, "invalid left");
}

// A tracker's count: absent or null is 0, above 2^32 - 1 is an error.
std::optional<field_error> read_count(std::optional<json_value> value, std::uint32_t& out, std::string_view invalid) {
  out = 0;
  if (!value) return std::nullopt;
  const auto number = unsigned_from(*value);
  if (!number || *number > std::numeric_limits<std::uint32_t>::max()) {
    return field_error{decode_error::bad_number, invalid};
  }
  out = static_cast<std::uint32_t>(*number);
  return std::nullopt;
}

// Any integral number, clamped to [0, max].
std::optional<std::uint32_t> clamped_from(json_value value, std::uint32_t max) {
  if (value.kind() != json_kind::number) return std::nullopt;
  const json_number number = value.number();
  if (number.exact_unsigned) return *number.exact_unsigned >= max ? max : static_cast<std::uint32_t>(*number.exact_unsigned);
  const double d = number.value;
  if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
  if (d <= 0.0) return 0;
  return d >= static_cast<double>(max) ? max : static_cast<std::uint32_t>(d);
}

// An offer or answer as it is relayed: the client's text of the object without whitespace
// outside strings, and a repeated key once, at its first place with its last value (as every
// reader keeps it).
// Strings and numbers stay as the client wrote them.
std::optional<json_text> object_text(json_value value) {
  if (!value.is_object()) return std::nullopt;
  std::string text;
  // Room in front for the rest of the relay it may become (encode_relay_in_place).
  text.reserve(relay_head_room + value.text().size());
  value.append_compact(text);
  return json_text_access::make(std::move(text));
}

decode_failure make_failure(decode_error error, std::string_view message) {
  return decode_failure{error, message, std::nullopt, std::nullopt};
}

decode_failure make_failure(decode_error error) { return make_failure(error, to_string(error)); }

// ------------------------------------------------------------------------------------------------
// Client -> tracker
// ------------------------------------------------------------------------------------------------

std::optional<announce_event> event_from(json_value value) {
  if (!value.is_string()) return std::nullopt;
  if (value.string_equals("") || value.string_equals("update") || value.string_equals("empty")) {
    return announce_event::none;
  }
  if (value.string_equals("started")) return announce_event::started;
  if (value.string_equals("completed")) return announce_event::completed;
  if (value.string_equals("stopped")) return announce_event::stopped;
  if (value.string_equals("paused")) return announce_event::paused;
  return std::nullopt;
}

void read_offers(json_value entries, const decode_limits& limits, announce_message& message) {
  message.offers.reserve(std::min(entries.size(), limits.max_offers));
  entries.for_each_element([&](json_value entry) {
    const object_fields<offer_entry_field_names> fields(entry);
    const auto offer = fields["offer"];
    const auto id_value = fields["offer_id"];
    const auto id = id_value ? id_from<offer_id_tag>(*id_value) : std::nullopt;
    if (!offer || !offer->is_object() || !id) {
      ++message.offers_invalid;
      return;
    }
    if (message.offers.size() >= limits.max_offers) {
      ++message.offers_dropped;
      return;
    }
    auto text = object_text(*offer);
    if (text->size() > limits.max_sdp_bytes) {
      ++message.offers_oversized;
    } else {
      message.offers.push_back(announce_offer{*id, std::move(*text)});
    }
  });
}

std::optional<field_error> read_answer(const client_fields& fields, json_value answer, const decode_limits& limits,
                                       announce_message& message) {
  peer_id to_peer;
  offer_id id;
  if (auto e = read_id(fields["to_peer_id"], to_peer, "missing to_peer_id", "invalid to_peer_id")) return e;
  if (auto e = read_id(fields["offer_id"], id, "missing offer_id", "invalid offer_id")) return e;
  auto text = object_text(answer);
  if (!text) return field_error{decode_error::bad_answer, "invalid answer"};
  if (text->size() > limits.max_sdp_bytes) return field_error{decode_error::answer_too_large, "answer too large"};
  message.answer = announce_answer{to_peer, id, std::move(*text)};
  return std::nullopt;
}

// `hash` is already read (decode_failure needs it even when a later field fails).
std::variant<announce_message, field_error> decode_announce(const client_fields& fields, const info_hash& hash,
                                                            const decode_limits& limits) {
  announce_message message;
  message.hash = hash;
  if (auto e = read_id(fields["peer_id"], message.peer, "missing peer_id", "invalid peer_id")) return *e;

  if (const auto event = fields["event"]) {
    const auto parsed = event_from(*event);
    if (!parsed) return field_error{decode_error::bad_event, "invalid event"};
    message.event = *parsed;
  }
  if (auto e = read_left(fields["left"], message.left)) return *e;
  if (auto e = read_counter(fields["uploaded"], message.uploaded, "invalid uploaded")) return *e;
  if (auto e = read_counter(fields["downloaded"], message.downloaded, "invalid downloaded")) return *e;
  if (const auto numwant = fields["numwant"]) {
    message.numwant = clamped_from(*numwant, limits.max_numwant);
    if (!message.numwant) return field_error{decode_error::bad_number, "invalid numwant"};
  }
  if (const auto offers = fields["offers"]) {
    if (!offers->is_array()) return field_error{decode_error::bad_type, "invalid offers"};
    read_offers(*offers, limits, message);
  }
  if (const auto answer = fields["answer"]) {
    if (auto e = read_answer(fields, *answer, limits, message)) return *e;
  }
  return message;
}

std::variant<scrape_message, field_error> decode_scrape(std::optional<json_value> hashes,
                                                        const decode_limits& limits) {
  scrape_message message;
  if (!hashes) return message;  // a full scrape
  if (hashes->is_string()) {
    const auto hash = id_from<info_hash_tag>(*hashes);
    if (!hash) return field_error{decode_error::bad_binary_string, "invalid info_hash"};
    message.hashes.push_back(*hash);
    return message;
  }
  if (!hashes->is_array()) return field_error{decode_error::bad_binary_string, "invalid info_hash"};
  if (hashes->size() > limits.max_scrape_hashes) {
    return field_error{decode_error::too_many_info_hashes, "too many info hashes"};
  }
  message.hashes.reserve(hashes->size());
  bool all_valid = true;
  hashes->for_each_element([&](json_value element) {
    const auto hash = id_from<info_hash_tag>(element);
    if (hash) message.hashes.push_back(*hash);
    all_valid = all_valid && hash.has_value();
  });
  if (!all_valid) return field_error{decode_error::bad_binary_string, "invalid info_hash"};
  return message;
}

std::optional<message_action> action_from(std::optional<json_value> value) {
  if (!value) return std::nullopt;
  if (value->string_equals("announce")) return message_action::announce;
  if (value->string_equals("scrape")) return message_action::scrape;
  return std::nullopt;
}

client_decode_result decode_client_object(json_value object, const decode_limits& limits) {
  const client_fields fields(object);
  const auto action_value = fields["action"];
  if (!action_value) return make_failure(decode_error::missing_action);
  const std::optional<message_action> action = action_from(action_value);
  if (!action) return make_failure(decode_error::unknown_action);

  decode_failure failure = make_failure(decode_error::invalid_json);
  failure.action = action;
  const auto hash_value = fields["info_hash"];
  if (hash_value) failure.hash = id_from<info_hash_tag>(*hash_value);
  const auto fail = [&](const field_error& e) {
    failure.error = e.error;
    failure.message = e.message;
    return client_decode_result{failure};
  };

  if (*action == message_action::scrape) {
    auto scrape = decode_scrape(hash_value, limits);
    if (auto* e = std::get_if<field_error>(&scrape)) return fail(*e);
    return client_message{std::move(std::get<scrape_message>(scrape))};
  }
  if (!hash_value) return fail({decode_error::missing_field, "missing info_hash"});
  if (!failure.hash) return fail({decode_error::bad_binary_string, "invalid info_hash"});
  auto announce = decode_announce(fields, *failure.hash, limits);
  if (auto* e = std::get_if<field_error>(&announce)) return fail(*e);
  return client_message{std::move(std::get<announce_message>(announce))};
}

// ------------------------------------------------------------------------------------------------
// Tracker -> client
// ------------------------------------------------------------------------------------------------

std::variant<scrape_response, field_error> decode_scrape_files(std::optional<json_value> files) {
  scrape_response response;
  if (!files) return response;
  if (!files->is_object()) return field_error{decode_error::bad_type, "invalid files"};
  response.files.reserve(files->size());
  std::optional<field_error> error;
  files->for_each_member_as_read([&](json_value key, json_value entry) {
    if (error) return;
    std::array<char, 40> buffer;
    const auto key_text = key.string_in(buffer);
    const auto hash = key_text ? decode_binary_string(*key_text) : std::nullopt;
    if (!hash) {
      error = field_error{decode_error::bad_binary_string, "invalid info_hash in files"};
      return;
    }
    if (!entry.is_object()) {
      error = field_error{decode_error::bad_type, "invalid files entry"};
      return;
    }
    scrape_file file;
    file.hash.bytes = *hash;
    const object_fields<scrape_file_field_names> counts(entry);
    if (!error) error = read_count(counts["complete"], file.stats.complete, "invalid complete");
    if (!error) error = read_count(counts["incomplete"], file.stats.incomplete, "invalid incomplete");
    if (!error) error = read_count(counts["downloaded"], file.stats.downloaded, "invalid downloaded");
    response.files.push_back(file);
  });
  if (error) return *error;
  return response;
}

tracker_decode_result decode_tracker_object(json_value object) {
  const object_fields<tracker_field_names> fields(object);
  const auto action_value = fields["action"];
  const std::optional<message_action> action = action_from(action_value);
  const auto hash_value = fields["info_hash"];
  const std::optional<info_hash> hash = hash_value ? id_from<info_hash_tag>(*hash_value) : std::nullopt;
  decode_failure failure = make_failure(decode_error::invalid_json);
  failure.action = action;
  failure.hash = hash;
  const auto fail = [&](const field_error& e) {
    failure.error = e.error;
    failure.message = e.message;
    return tracker_decode_result{failure};
  };

  if (const auto reason = fields["failure reason"]) {
    if (!reason->is_string()) return fail({decode_error::bad_type, "invalid failure reason"});
    return tracker_message{failure_reply{reason->string(), action, hash}};
  }
  if (!action_value) return fail({decode_error::missing_action, to_string(decode_error::missing_action)});
  if (!action) return fail({decode_error::unknown_action, to_string(decode_error::unknown_action)});

  if (*action == message_action::scrape) {
    auto files = decode_scrape_files(fields["files"]);
    if (auto* e = std::get_if<field_error>(&files)) return fail(*e);
    return tracker_message{std::move(std::get<scrape_response>(files))};
  }

  if (!hash_value) return fail({decode_error::missing_field, "missing info_hash"});
  if (!hash) return fail({decode_error::bad_binary_string, "invalid info_hash"});
  const auto offer = fields["offer"];
  const auto answer = fields["answer"];
  if (offer || answer) {
    peer_id peer;
    offer_id id;
    if (auto e = read_id(fields["peer_id"], peer, "missing peer_id", "invalid peer_id")) return fail(*e);
    if (auto e = read_id(fields["offer_id"], id, "missing offer_id", "invalid offer_id")) return fail(*e);
    auto text = object_text(offer ? *offer : *answer);
    if (offer) {
      if (!text) return fail({decode_error::bad_type, "invalid offer"});
      return tracker_message{offer_relay{*hash, peer, id, std::move(*text)}};
    }
    if (!text) return fail({decode_error::bad_answer, "invalid answer"});
    return tracker_message{answer_relay{*hash, peer, id, std::move(*text)}};
  }

  announce_response response;
  response.hash = *hash;
  if (auto e = read_count(fields["interval"], response.interval, "invalid interval")) return fail(*e);
  if (auto e = read_count(fields["complete"], response.complete, "invalid complete")) return fail(*e);
  if (auto e = read_count(fields["incomplete"], response.incomplete, "invalid incomplete")) return fail(*e);
  if (const auto warning = fields["warning message"]) {
    if (!warning->is_string()) return fail({decode_error::bad_type, "invalid warning message"});
    response.warning = warning->string();
  }
  return tracker_message{std::move(response)};
}

// Parses `text` within `limits` and hands the top-level object to `decode`. Every failure of the
// JSON layer, and any exception (allocation failure), becomes a decode_failure here.
template <typename Result, typename Decode>
Result decode_top_level(std::string_view text, const decode_limits& limits, Decode decode) {
  if (text.size() > limits.max_message_bytes) return make_failure(decode_error::message_too_large);
  try {
    const auto parsed = parse_json(text, limits.max_depth);
    if (const auto* error = std::get_if<json_parse_error>(&parsed)) {
      return make_failure(*error == json_parse_error::too_deep ? decode_error::too_deep : decode_error::invalid_json);
    }
    const json_value root = std::get<json_document>(parsed).root();
    if (!root.is_object()) return make_failure(decode_error::not_an_object);
    return decode(root);
  } catch (const std::exception&) {
    return make_failure(decode_error::invalid_json, "could not decode message");
  }
}

}  // namespace

std::optional<json_text> json_text::parse_object(std::string_view text, std::size_t max_depth) {
  try {
    const auto parsed = parse_json(text, max_depth);
    if (std::holds_alternative<json_parse_error>(parsed)) return std::nullopt;
    return object_text(std::get<json_document>(parsed).root());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string_view to_string(message_action action) {
  switch (action) {
    case message_action::announce: return "announce";
    case message_action::scrape: return "scrape";
  }
  return "announce";
}

std::string_view to_string(announce_event event) {
  switch (event) {
    case announce_event::none: return "";
    case announce_event::started: return "started";
    case announce_event::completed: return "completed";
    case announce_event::stopped: return "stopped";
    case announce_event::paused: return "paused";
  }
  return "";
}

std::string_view to_string(decode_error error) {
  switch (error) {
    case decode_error::message_too_large: return "message too large";
    case decode_error::invalid_json: return "invalid JSON";
    case decode_error::too_deep: return "JSON nested too deeply";
    case decode_error::not_an_object: return "message is not a JSON object";
    case decode_error::missing_action: return "missing action";
    case decode_error::unknown_action: return "unknown action";
    case decode_error::missing_field: return "missing field";
    case decode_error::bad_binary_string: return "invalid binary string";
    case decode_error::bad_number: return "invalid number";
    case decode_error::bad_event: return "invalid event";
    case decode_error::bad_type: return "field of the wrong type";
    case decode_error::bad_answer: return "invalid answer";
    case decode_error::answer_too_large: return "answer too large";
    case decode_error::too_many_info_hashes: return "too many info hashes";
  }
  return "invalid message";
}

std::optional<std::array<std::uint8_t, 20>> decode_binary_string(std::string_view text) {
  // 20 code points take 20 (all ASCII) to 40 (all >= 0x80) bytes.
  if (text.size() < 20 || text.size() > 40) return std::nullopt;
  std::array<std::uint8_t, 20> bytes{};
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (count == bytes.size()) return std::nullopt;
    const auto b0 = static_cast<std::uint8_t>(text[i]);
    if (b0 < 0x80) {
      bytes[count++] = b0;
      i += 1;
      continue;
    }
    // U+0080..U+00FF is 0xc2 or 0xc3 and one continuation byte; every other lead is > U+00FF
    // (or not UTF-8).
    if ((b0 != 0xc2 && b0 != 0xc3) || i + 1 >= text.size()) return std::nullopt;
    const auto b1 = static_cast<std::uint8_t>(text[i + 1]);
    if ((b1 & 0xc0) != 0x80) return std::nullopt;
    bytes[count++] = static_cast<std::uint8_t>(((b0 & 0x03) << 6) | (b1 & 0x3f));
    i += 2;
  }
  if (count != bytes.size()) return std::nullopt;
  return bytes;
}

std::string encode_binary_string(std::span<const std::uint8_t, 20> bytes) {
  std::string out;
  out.reserve(40);
  for (const std::uint8_t b : bytes) {
    if (b < 0x80) {
      out += static_cast<char>(b);
    } else {
      out += static_cast<char>(0xc0 | (b >> 6));
      out += static_cast<char>(0x80 | (b & 0x3f));
    }
  }
  return out;
}

client_decode_result decode_client_message(std::string_view text, const decode_limits& limits) {
  return decode_top_level<client_decode_result>(
      text, limits, [&](json_value object) { return decode_client_object(object, limits); });
}

tracker_decode_result decode_tracker_message(std::string_view text, const decode_limits& limits) {
  return decode_top_level<tracker_decode_result>(
      text, limits, [](json_value object) { return decode_tracker_object(object); });
}

failure_reply to_failure_reply(const decode_failure& failure) {
  return failure_reply{std::string(failure.message), failure.action.value_or(message_action::announce),
                       failure.hash};
}

std::string encode_announce_response(const announce_response& response) {
  std::string out;
  out.reserve(160);
  append_announce_head(out, response.hash);
  append_key(out, "interval");
  append_number(out, response.interval);
  append_key(out, "complete");
  append_number(out, response.complete);
  append_key(out, "incomplete");
  append_number(out, response.incomplete);
  if (response.warning) {
    append_key(out, "warning message");
    append_quoted_text(out, *response.warning);
  }
  out += '}';
  return out;
}

std::string encode_offer_relay(const offer_relay& relay) {
  return encode_relay(relay.hash, relay.offerer, relay.id, "offer", relay.offer);
}

std::string encode_answer_relay(const answer_relay& relay) {
  return encode_relay(relay.hash, relay.answerer, relay.id, "answer", relay.answer);
}

std::string encode_offer_relay(offer_relay&& relay) {
  return encode_relay_in_place(relay.hash, relay.offerer, relay.id, "offer", std::move(relay.offer));
}

std::string encode_answer_relay(answer_relay&& relay) {
  return encode_relay_in_place(relay.hash, relay.answerer, relay.id, "answer", std::move(relay.answer));
}

std::string encode_scrape_response(const scrape_response& response) {
  std::string out;
  out.reserve(32 + response.files.size() * 100);
  out += "{\"action\":\"scrape\",\"files\":{";
  bool first = true;
  for (const scrape_file& file : response.files) {
    if (!first) out += ',';
    first = false;
    append_quoted_id(out, file.hash);
    out += ":{\"complete\":";
    append_number(out, file.stats.complete);
    append_key(out, "incomplete");
    append_number(out, file.stats.incomplete);
    append_key(out, "downloaded");
    append_number(out, file.stats.downloaded);
    out += '}';
  }
  out += "}}";
  return out;
}

std::string encode_failure(const failure_reply& failure) {
  std::string out;
  out.reserve(96 + failure.reason.size());
  out += "{\"failure reason\":";
  append_quoted_text(out, failure.reason);
  if (failure.action) {
    append_key(out, "action");
    out += '"';
    out += to_string(*failure.action);
    out += '"';
  }
  if (failure.hash) {
    append_key(out, "info_hash");
    append_quoted_id(out, *failure.hash);
  }
  out += '}';
  return out;
}

std::string encode_announce(const announce_message& message) {
  std::string out;
  std::size_t payload = 0;
  for (const announce_offer& offer : message.offers) payload += offer.offer.size() + 80;
  if (message.answer) payload += message.answer->answer.size() + 80;
  out.reserve(300 + payload);
  append_announce_head(out, message.hash);
  append_key(out, "peer_id");
  append_quoted_id(out, message.peer);
  if (message.uploaded) {
    append_key(out, "uploaded");
    append_number(out, *message.uploaded);
  }
  if (message.downloaded) {
    append_key(out, "downloaded");
    append_number(out, *message.downloaded);
  }
  append_key(out, "left");
  if (message.left) {
    append_number(out, *message.left);
  } else {
    out += "null";
  }
  if (message.event != announce_event::none) {
    append_key(out, "event");
    out += '"';
    out += to_string(message.event);
    out += '"';
  }
  if (message.numwant) {
    append_key(out, "numwant");
    append_number(out, *message.numwant);
  }
  if (!message.offers.empty()) {
    append_key(out, "offers");
    out += '[';
    bool first = true;
    for (const announce_offer& offer : message.offers) {
      if (!first) out += ',';
      first = false;
      out += "{\"offer\":";
      out += offer.offer.text();
      append_key(out, "offer_id");
      append_quoted_id(out, offer.id);
      out += '}';
    }
    out += ']';
  }
  if (message.answer) {
    append_key(out, "to_peer_id");
    append_quoted_id(out, message.answer->to_peer);
    append_key(out, "offer_id");
    append_quoted_id(out, message.answer->id);
    append_key(out, "answer");
    out += message.answer->answer.text();
  }
  out += '}';
  return out;
}

std::string encode_scrape(std::span<const info_hash> hashes) {
  std::string out;
  out.reserve(40 + hashes.size() * 44);
  out += "{\"action\":\"scrape\"";
  append_key(out, "info_hash");
  if (hashes.size() == 1) {
    append_quoted_id(out, hashes[0]);
  } else {
    out += '[';
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (i != 0) out += ',';
      append_quoted_id(out, hashes[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

}  // namespace riptide::proto::webtorrent
