#include "tracker/proto/json_document.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>

#include "tracker/proto/utf8.hpp"

namespace riptide::proto {

namespace {

constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t high_bits = 0x8080808080808080ull;

// Nonzero when a byte of `word` is zero (the lowest such byte is found exactly; above it there
// may be false alarms, which the caller's byte loop sorts out).
constexpr std::uint64_t has_zero_byte(std::uint64_t word) { return (word - ones) & ~word & high_bits; }

// Bytes a string may hold as they are: printable ASCII other than the quote and the backslash.
constexpr std::array<bool, 256> plain_string_bytes = [] {
  std::array<bool, 256> plain{};
  for (std::size_t c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at `at`, or nullopt.
std::optional<std::uint32_t> hex4(std::string_view text, std::size_t at) {
  if (at + 4 > text.size()) return std::nullopt;
  std::uint32_t value = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    const int digit = hex_value(text[i]);
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<std::uint32_t>(digit);
  }
  return value;
}

bool is_high_surrogate(std::uint32_t unit) { return unit >= 0xd800 && unit <= 0xdbff; }
bool is_low_surrogate(std::uint32_t unit) { return unit >= 0xdc00 && unit <= 0xdfff; }

// The parts of a number token (validated): digits before and after the point, and the exponent.
struct number_parts {
  bool negative = false;
  std::string_view integer;
  std::string_view fraction;
  bool negative_exponent = false;
  std::string_view exponent;  // empty when there is none
};

number_parts split_number(std::string_view token) {
  number_parts parts;
  std::size_t at = 0;
  parts.negative = token[0] == '-';
  if (parts.negative) ++at;
  const std::size_t integer_begin = at;
  while (at < token.size() && is_digit(token[at])) ++at;
  parts.integer = token.substr(integer_begin, at - integer_begin);
  if (at < token.size() && token[at] == '.') {
    const std::size_t fraction_begin = ++at;
    while (at < token.size() && is_digit(token[at])) ++at;
    parts.fraction = token.substr(fraction_begin, at - fraction_begin);
  }
  if (at < token.size()) {  // e or E
    ++at;
    parts.negative_exponent = token[at] == '-';
    if (token[at] == '-' || token[at] == '+') ++at;
    parts.exponent = token.substr(at);
  }
  return parts;
}

// The written exponent, or nullopt past 2^31 - 1.
std::optional<std::int64_t> exponent_value(std::string_view digits) {
  std::int64_t exponent = 0;
  for (const char digit : digits) {
    exponent = exponent * 10 + (digit - '0');
    if (exponent > std::numeric_limits<std::int32_t>::max()) return std::nullopt;
  }
  return exponent;
}

// Whether Boost.JSON 1.81 takes the number: it refuses an exponent past 2^31 - 1, and one that
// overflows its int once the mantissa digits it drops are counted in. Those are the integer
// digits past what fits in 64 bits (one more each), or, when the integer part fits, the
// fraction digits it keeps while the mantissa is at most 2^53 - 1 (one less each).
bool boost_takes_exponent(const number_parts& parts) {
  if (parts.exponent.empty()) return true;
  const auto exponent = exponent_value(parts.exponent);
  if (!exponent) return false;
  std::uint64_t mantissa = 0;
  std::int64_t bias = 0;
  bool integer_fits = true;
  for (const char c : parts.integer) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (integer_fits && (mantissa > 1844674407370955161ull || (mantissa == 1844674407370955161ull && digit > 5))) {
      integer_fits = false;
    }
    if (integer_fits) {
      mantissa = mantissa * 10 + digit;
    } else {
      ++bias;
    }
  }
  if (integer_fits) {
    for (const char c : parts.fraction) {
      if (mantissa > 9007199254740991ull) break;
      --bias;
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
    }
  }
  constexpr std::int64_t int_min = std::numeric_limits<std::int32_t>::min();
  constexpr std::int64_t int_max = std::numeric_limits<std::int32_t>::max();
  return parts.negative_exponent ? bias - *exponent >= int_min : bias + *exponent <= int_max;
}

class parser {
 public:
  parser(std::string_view text, std::size_t max_depth, std::vector<json_node>& nodes)
      : text_(text), max_depth_(std::min(max_depth, json_max_supported_depth)), nodes_(nodes) {}

  std::optional<json_parse_error> run() {
    skip_whitespace();
    if (!parse_value(0)) return error_;
    skip_whitespace();
    if (at_ != text_.size()) return json_parse_error::invalid;
    return std::nullopt;
  }

 private:
  bool fail(json_parse_error error = json_parse_error::invalid) {
    error_ = error;
    return false;
  }

  bool at_end() const { return at_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[at_]; }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = text_[at_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      ++at_;
    }
  }

  std::uint32_t open(json_kind kind) {
    json_node node;
    node.begin = static_cast<std::uint32_t>(at_);
    node.kind = kind;
    nodes_.push_back(node);
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  json_node& close(std::uint32_t index, std::uint32_t count = 0) {
    json_node& node = nodes_[index];
    node.end = static_cast<std::uint32_t>(at_);
    node.extent = static_cast<std::uint32_t>(nodes_.size() - index);
    node.count = count;
    return node;
  }

  // `depth`: arrays and objects around this value.
  bool parse_value(std::size_t depth) {
    switch (peek()) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return parse_string();
      case 't': return parse_literal("true", json_kind::boolean);
      case 'f': return parse_literal("false", json_kind::boolean);
      case 'n': return parse_literal("null", json_kind::null);
      default: return parse_number();
    }
  }

  bool parse_literal(std::string_view word, json_kind kind) {
    if (text_.substr(at_, word.size()) != word) return fail();
    const std::uint32_t index = open(kind);
    at_ += word.size();
    close(index).is_true = word == "true";
    return true;
  }

  bool parse_object(std::size_t depth) {
    return parse_container(json_kind::object, '}', depth, [&] {
      if (peek() != '"' || !parse_string()) return fail();
      skip_whitespace();
      if (peek() != ':') return fail();
      ++at_;
      skip_whitespace();
      return parse_value(depth);
    });
  }

  bool parse_array(std::size_t depth) {
    return parse_container(json_kind::array, ']', depth, [&] { return parse_value(depth); });
  }

  // An array or object at `depth`, from its opening to its `closing` character; `item` reads one
  // element or member.
  template <typename Item>
  bool parse_container(json_kind kind, char closing, std::size_t depth, Item item) {
    if (depth > max_depth_) return fail(json_parse_error::too_deep);
    const std::uint32_t index = open(kind);
    ++at_;
    skip_whitespace();
    std::uint32_t count = 0;
    if (peek() != closing) {
      while (true) {
        if (!item()) return false;
        ++count;
        skip_whitespace();
        if (peek() != ',') break;
        ++at_;
        skip_whitespace();
      }
      if (peek() != closing) return fail();
    }
    ++at_;
    close(index, count);
    return true;
  }

  // Past bytes a string holds as they are, eight at a time while there are eight.
  void skip_plain_string_bytes() {
    const char* data = text_.data();
    while (at_ + 8 <= text_.size()) {
      std::uint64_t word = 0;
      std::memcpy(&word, data + at_, sizeof word);
      // The high bit of each byte that is >= 0x80, < 0x20, '"' or '\\'.
      const std::uint64_t special = (word & high_bits) | ((word - 0x20 * ones) & ~word & high_bits) |
                                    has_zero_byte(word ^ ('"' * ones)) | has_zero_byte(word ^ ('\\' * ones));
      if (special != 0) break;
      at_ += 8;
    }
    while (!at_end() && plain_string_bytes[static_cast<std::uint8_t>(text_[at_])]) ++at_;
  }

  bool parse_string() {
    const std::uint32_t index = open(json_kind::string);
    ++at_;
    bool escaped = false;
    while (true) {
      skip_plain_string_bytes();
      if (at_end()) return fail();
      const auto c = static_cast<std::uint8_t>(text_[at_]);
      if (c == '"') break;
      if (c == '\\') {
        escaped = true;
        if (!skip_escape()) return fail();
      } else if (c < 0x20) {
        return fail();
      } else if (c - 0xc2u <= 0xdfu - 0xc2u && at_ + 1 < text_.size() &&
                 (static_cast<std::uint8_t>(text_[at_ + 1]) & 0xc0) == 0x80) {
        at_ += 2;  // U+0080..U+07FF, which binary ids are half made of
      } else {
        const std::size_t length = utf8_sequence_length(text_.substr(at_));
        if (length == 0) return fail();
        at_ += length;
      }
    }
    ++at_;
    close(index).has_escapes = escaped;
    return true;
  }

  // At a backslash: past one escape, a surrogate pair counting as one.
  bool skip_escape() {
    const char c = at_ + 1 < text_.size() ? text_[at_ + 1] : '\0';
    switch (c) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': at_ += 2; return true;
      case 'u': break;
      default: return false;
    }
    const auto unit = hex4(text_, at_ + 2);
    if (!unit || is_low_surrogate(*unit)) return false;
    at_ += 6;
    if (!is_high_surrogate(*unit)) return true;
    if (text_.substr(at_, 2) != "\\u") return false;
    const auto low = hex4(text_, at_ + 2);
    if (!low || !is_low_surrogate(*low)) return false;
    at_ += 6;
    return true;
  }

  bool skip_digits() {
    const std::size_t start = at_;
    while (!at_end() && is_digit(text_[at_])) ++at_;
    return at_ > start;
  }

  bool parse_number() {
    const std::uint32_t index = open(json_kind::number);
    const std::size_t begin = at_;
    if (peek() == '-') ++at_;
    if (peek() == '0') {
      ++at_;
    } else if (peek() < '1' || peek() > '9' || !skip_digits()) {
      return fail();
    }
    if (peek() == '.') {
      ++at_;
      if (!skip_digits()) return fail();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      if (!skip_digits()) return fail();
      if (!boost_takes_exponent(split_number(text_.substr(begin, at_ - begin)))) return fail();
    }
    close(index);
    return true;
  }

  std::string_view text_;
  std::size_t max_depth_;
  std::vector<json_node>& nodes_;
  std::size_t at_ = 0;
  json_parse_error error_ = json_parse_error::invalid;
};

// The byte a validated escape `\kind` other than `\u` stands for.
char escaped_byte(char kind) {
  switch (kind) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return kind;  // \" \\ \/
  }
}

// Writes the string `raw` (as written between quotes, already validated) unescaped into
// `out`; returns the length, or nullopt when it does not fit.
std::optional<std::size_t> unescape(std::string_view raw, std::span<char> out) {
  std::size_t length = 0;
  const auto put = [&](std::uint32_t byte) {
    if (length == out.size()) return false;
    out[length++] = static_cast<char>(byte);
    return true;
  };
  for (std::size_t i = 0; i < raw.size();) {
    const char c = raw[i];
    if (c != '\\') {
      if (!put(static_cast<std::uint8_t>(c))) return std::nullopt;
      ++i;
      continue;
    }
    const char kind = raw[i + 1];
    if (kind != 'u') {
      if (!put(static_cast<std::uint8_t>(escaped_byte(kind)))) return std::nullopt;
      i += 2;
      continue;
    }
    std::uint32_t code = *hex4(raw, i + 2);
    i += 6;
    if (is_high_surrogate(code)) {
      code = 0x10000 + ((code - 0xd800) << 10) + (*hex4(raw, i + 2) - 0xdc00);
      i += 6;
    }
    bool fits = true;
    if (code < 0x80) {
      fits = put(code);
    } else if (code < 0x800) {
      fits = put(0xc0 | (code >> 6)) && put(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      fits = put(0xe0 | (code >> 12)) && put(0x80 | ((code >> 6) & 0x3f)) && put(0x80 | (code & 0x3f));
    } else {
      fits = put(0xf0 | (code >> 18)) && put(0x80 | ((code >> 12) & 0x3f)) && put(0x80 | ((code >> 6) & 0x3f)) &&
             put(0x80 | (code & 0x3f));
    }
    if (!fits) return std::nullopt;
  }
  return length;
}

// The nearest double to a validated number token. Past the double range std::from_chars gives
// no value; the number is then +-infinity when its first significant digit stands at a positive
// power of ten, else +-0.
double number_value(std::string_view token) {
  double value = 0.0;
  const auto result = std::from_chars(token.data(), token.data() + token.size(), value);
  if (result.ec == std::errc()) return value;
  const number_parts parts = split_number(token);
  std::int64_t power = static_cast<std::int64_t>(parts.integer.size()) - 1;  // of the first digit
  const std::size_t leading_zeros = parts.integer.find_first_not_of('0');
  if (leading_zeros != std::string_view::npos) {
    power -= static_cast<std::int64_t>(leading_zeros);
  } else {
    const std::size_t fraction_zeros = parts.fraction.find_first_not_of('0');
    if (fraction_zeros == std::string_view::npos) return parts.negative ? -0.0 : 0.0;
    power = -1 - static_cast<std::int64_t>(fraction_zeros);
  }
  const std::int64_t exponent = exponent_value(parts.exponent).value_or(0);
  power += parts.negative_exponent ? -exponent : exponent;
  const double magnitude = power > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return parts.negative ? -magnitude : magnitude;
}

}  // namespace

std::variant<json_document, json_parse_error> parse_json(std::string_view text, std::size_t max_depth) {
  if (text.size() >= std::numeric_limits<std::uint32_t>::max()) return json_parse_error::invalid;
  std::vector<json_node> nodes;
  nodes.reserve(32);
  if (const auto error = parser(text, max_depth, nodes).run()) return *error;
  return json_document(text, std::move(nodes));
}

json_number json_value::number() const {
  json_number number;
  if (kind() != json_kind::number) return number;
  const std::string_view token = text();
  const bool negative = token[0] == '-';
  const std::string_view digits = negative ? token.substr(1) : token;
  std::uint64_t integer = 0;
  const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), integer);
  const bool integer_literal = result.ec == std::errc() && result.ptr == digits.data() + digits.size();
  if (integer_literal && (!negative || integer == 0)) {  // -0 is the integer 0
    number.exact_unsigned = integer;
    number.value = static_cast<double>(integer);
    return number;
  }
  number.value = number_value(token);
  return number;
}

std::string_view json_value::raw_string() const {
  if (!is_string()) return {};
  const std::string_view quoted = text();
  return quoted.substr(1, quoted.size() - 2);
}

std::string json_value::string() const {
  const std::string_view raw = raw_string();
  if (!node().has_escapes) return std::string(raw);
  std::string out(raw.size(), '\0');  // unescaping never makes a string longer
  out.resize(*unescape(raw, out));
  return out;
}

std::optional<std::string_view> json_value::string_in(std::span<char> buffer) const {
  if (!is_string()) return std::nullopt;
  const std::string_view raw = raw_string();
  if (!node().has_escapes) {
    if (raw.size() > buffer.size()) return std::nullopt;
    std::copy(raw.begin(), raw.end(), buffer.begin());
    return std::string_view(buffer.data(), raw.size());
  }
  const auto length = unescape(raw, buffer);
  if (!length) return std::nullopt;
  return std::string_view(buffer.data(), *length);
}

std::optional<std::size_t> json_value::binary_string_in(std::span<std::uint8_t> buffer) const {
  if (!is_string()) return std::nullopt;
  const std::string_view raw = raw_string();  // validated: whole escapes, well-formed UTF-8
  const auto* text = reinterpret_cast<const std::uint8_t*>(raw.data());
  std::size_t length = 0;
  for (std::size_t i = 0; i < raw.size();) {
    if (length == buffer.size()) return std::nullopt;
    const std::uint32_t b0 = text[i];
    if (b0 == '\\') {
      std::uint32_t code = 0;
      if (raw[i + 1] == 'u') {
        code = *hex4(raw, i + 2);  // a surrogate's too, which is above U+00FF
        i += 6;
      } else {
        code = static_cast<std::uint8_t>(escaped_byte(raw[i + 1]));
        i += 2;
      }
      if (code > 0xff) return std::nullopt;
      buffer[length++] = static_cast<std::uint8_t>(code);
      continue;
    }
    if (b0 < 0x80) {
      buffer[length++] = static_cast<std::uint8_t>(b0);
      i += 1;
      continue;
    }
    // U+0080..U+00FF is the lead 0xc2 or 0xc3 and a continuation byte; any other lead starts a
    // code point above U+00FF.
    if ((b0 | 1) != 0xc3) return std::nullopt;
    buffer[length++] = static_cast<std::uint8_t>(((b0 & 0x03) << 6) | (text[i + 1] & 0x3f));
    i += 2;
  }
  return length;
}

bool json_value::string_equals(std::string_view expected) const {
  if (!is_string()) return false;
  if (!node().has_escapes) return raw_string() == expected;
  std::array<char, 64> buffer;
  if (expected.size() < buffer.size()) {
    const auto unescaped = string_in(buffer);
    return unescaped && *unescaped == expected;
  }
  return string() == expected;
}

std::optional<json_value> json_value::member(std::string_view key) const {
  std::optional<json_value> found;
  for_each_member([&](json_value name, json_value value) {
    if (name.string_equals(key)) found = value;
  });
  return found;
}

void json_value::find_kept_members(std::span<std::uint32_t> kept) const {
  constexpr std::size_t pairwise_up_to = 16;
  if (kept.size() <= pairwise_up_to) {
    std::array<std::uint32_t, pairwise_up_to> key_offsets;
    std::size_t count = 0;
    for_each_member([&](json_value key, json_value) { key_offsets[count++] = static_cast<std::uint32_t>(key.node_ - node_); });
    const auto same_key = [&](std::uint32_t a, std::uint32_t b) {
      const json_value x = at(node_ + a);
      const json_value y = at(node_ + b);
      if (x.raw_string() == y.raw_string()) return true;
      return (x.node().has_escapes || y.node().has_escapes) && x.string() == y.string();
    };
    for (std::size_t i = 0; i < count; ++i) {
      kept[i] = key_offsets[i];
      for (std::size_t j = 0; j < i; ++j) {
        if (same_key(key_offsets[j], key_offsets[i])) {
          kept[j] = key_offsets[i];  // a later value for the first member's key
          kept[i] = no_member;
          break;
        }
      }
    }
    return;
  }
  // Sorted by key, then by position: each run of one key, first member to last.
  std::vector<std::string> unescaped;  // keys written with escapes, read; never reallocated
  unescaped.reserve(kept.size());
  std::vector<std::pair<std::string_view, std::uint32_t>> sorted;  // (key, its offset)
  sorted.reserve(kept.size());
  for_each_member([&](json_value key, json_value) {
    std::string_view name = key.raw_string();
    if (key.node().has_escapes) name = unescaped.emplace_back(key.string());
    sorted.emplace_back(name, static_cast<std::uint32_t>(key.node_ - node_));
  });
  std::vector<std::uint32_t> key_offsets;
  key_offsets.reserve(sorted.size());
  for (const auto& entry : sorted) key_offsets.push_back(entry.second);
  std::sort(sorted.begin(), sorted.end());
  const auto member_of = [&](std::uint32_t key_offset) {
    return static_cast<std::size_t>(std::lower_bound(key_offsets.begin(), key_offsets.end(), key_offset) - key_offsets.begin());
  };
  for (std::size_t run = 0; run < sorted.size();) {
    std::size_t last = run;
    while (last + 1 < sorted.size() && sorted[last + 1].first == sorted[run].first) ++last;
    kept[member_of(sorted[run].second)] = sorted[last].second;
    for (std::size_t i = run + 1; i <= last; ++i) kept[member_of(sorted[i].second)] = no_member;
    run = last + 1;
  }
}

void json_value::append_compact(std::string& out) const {
  switch (kind()) {
    case json_kind::array: {
      out += '[';
      bool first = true;
      for_each_element([&](json_value element) {
        if (!first) out += ',';
        first = false;
        element.append_compact(out);
      });
      out += ']';
      return;
    }
    case json_kind::object: {
      out += '{';
      bool first = true;
      for_each_member_as_read([&](json_value key, json_value value) {
        if (!first) out += ',';
        first = false;
        out += key.text();
        out += ':';
        value.append_compact(out);
      });
      out += '}';
      return;
    }
    default: out += text(); return;
  }
}

}  // namespace riptide::proto
