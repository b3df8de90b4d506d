#include "tracker/proto/json_document.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>

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

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
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

class parser {
 public:
  parser(std::string_view text, std::size_t max_depth, std::vector<json_node>& nodes)
      : text_(text), max_depth_(max_depth), nodes_(nodes) {}

  std::optional<json_parse_error> run() {
    skip_whitespace();
    if (!value(0)) return error_;
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

  void close(std::uint32_t index, std::uint32_t count = 0, bool flag = false) {
    json_node& node = nodes_[index];
    node.end = static_cast<std::uint32_t>(at_);
    node.after = static_cast<std::uint32_t>(nodes_.size());
    node.count = count;
    node.flag = flag;
  }

  // `depth`: arrays and objects around this value.
  bool value(std::size_t depth) {
    switch (peek()) {
      case '{': return object(depth + 1);
      case '[': return array(depth + 1);
      case '"': return string();
      case 't': return literal("true", json_kind::boolean, true);
      case 'f': return literal("false", json_kind::boolean, false);
      case 'n': return literal("null", json_kind::null, false);
      default: return number();
    }
  }

  bool literal(std::string_view word, json_kind kind, bool flag) {
    if (text_.substr(at_, word.size()) != word) return fail();
    const std::uint32_t index = open(kind);
    at_ += word.size();
    close(index, 0, flag);
    return true;
  }

  bool object(std::size_t depth) {
    return container(json_kind::object, '}', depth, [&] {
      if (peek() != '"' || !string()) return fail();
      skip_whitespace();
      if (peek() != ':') return fail();
      ++at_;
      skip_whitespace();
      return value(depth);
    });
  }

  bool array(std::size_t depth) {
    return container(json_kind::array, ']', depth, [&] { return value(depth); });
  }

  // An array or object at `depth`, from its opening to its `closing` character; `item` reads one
  // element or member.
  template <typename Item>
  bool container(json_kind kind, char closing, std::size_t depth, Item item) {
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
      // The high bit of each byte that is >= 0x80, < 0x20, '"' or '\\'. Each test marks its first
      // such byte exactly (false marks come only above a true one), so the lowest mark is the
      // first byte that is not plain.
      const std::uint64_t special = (word & high_bits) | ((word - 0x20 * ones) & ~word & high_bits) |
                                    has_zero_byte(word ^ ('"' * ones)) | has_zero_byte(word ^ ('\\' * ones));
      if (special == 0) {
        at_ += 8;
        continue;
      }
      break;
    }
    while (!at_end() && plain_string_bytes[static_cast<std::uint8_t>(text_[at_])]) ++at_;
  }

  bool string() {
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
        if (!escape()) return fail();
      } else if (c < 0x20) {
        return fail();
      } else {
        const std::size_t length = utf8_sequence_length(text_.substr(at_));
        if (length == 0) return fail();
        at_ += length;
      }
    }
    ++at_;
    close(index, 0, escaped);
    return true;
  }

  // At a backslash: past one escape, a surrogate pair counting as one.
  bool escape() {
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

  bool digits() {
    const std::size_t start = at_;
    while (!at_end() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ > start;
  }

  // Boost.JSON refuses an exponent written larger than 2^31 - 1, of either sign.
  static bool exponent_fits(std::string_view digits) {
    std::uint64_t exponent = 0;
    for (const char digit : digits) {
      exponent = exponent * 10 + static_cast<std::uint64_t>(digit - '0');
      if (exponent > std::numeric_limits<std::int32_t>::max()) return false;
    }
    return true;
  }

  bool number() {
    const std::uint32_t index = open(json_kind::number);
    if (peek() == '-') ++at_;
    if (peek() == '0') {
      ++at_;
    } else if (peek() < '1' || peek() > '9' || !digits()) {
      return fail();
    }
    if (peek() == '.') {
      ++at_;
      if (!digits()) return fail();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      const std::size_t exponent_begin = at_;
      if (!digits()) return fail();
      if (!exponent_fits(text_.substr(exponent_begin, at_ - exponent_begin))) return fail();
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

// Writes the string `raw` (as written between quotes, already validated) unescaped into
// [out, out + capacity); returns the length, or nullopt when it does not fit.
std::optional<std::size_t> unescape(std::string_view raw, char* out, std::size_t capacity) {
  std::size_t length = 0;
  const auto put = [&](std::uint32_t byte) {
    if (length == capacity) return false;
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
      char byte = kind;  // \" \\ \/
      switch (kind) {
        case 'b': byte = '\b'; break;
        case 'f': byte = '\f'; break;
        case 'n': byte = '\n'; break;
        case 'r': byte = '\r'; break;
        case 't': byte = '\t'; break;
        default: break;
      }
      if (!put(static_cast<std::uint8_t>(byte))) return std::nullopt;
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

// The nearest double to a validated number token, +-infinity past the range.
double number_value(std::string_view token) {
  double value = 0.0;
  const auto result = std::from_chars(token.data(), token.data() + token.size(), value);
  if (result.ec == std::errc()) return value;
  // Out of range: strtod tells overflow (+-HUGE_VAL) from underflow (0). Tokens are never
  // locale-dependent here: the programs keep the C locale.
  const std::string copy(token);
  return std::strtod(copy.c_str(), nullptr);
}

}  // namespace

std::variant<json_document, json_parse_error> parse_json(std::string_view text, std::size_t max_depth) {
  if (text.size() >= std::numeric_limits<std::uint32_t>::max()) return json_parse_error::invalid;
  std::vector<json_node> nodes;
  nodes.reserve(32);
  if (const auto error = parser(text, max_depth, nodes).run()) return *error;
  return json_document(text, std::move(nodes));
}

std::string_view json_value::text() const {
  const json_node& n = node();
  return document_->text_.substr(n.begin, n.end - n.begin);
}

json_number json_value::number() const {
  const std::string_view token = text();
  json_number number;
  const bool negative = !token.empty() && token[0] == '-';
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
  const std::string_view quoted = text();
  return quoted.size() >= 2 ? quoted.substr(1, quoted.size() - 2) : std::string_view();
}

std::string json_value::string() const {
  const std::string_view raw = raw_string();
  if (!node().flag) return std::string(raw);
  std::string out(raw.size(), '\0');  // unescaping never makes a string longer
  out.resize(*unescape(raw, out.data(), out.size()));
  return out;
}

std::optional<std::string_view> json_value::string_in(std::span<char> buffer) const {
  const std::string_view raw = raw_string();
  if (!node().flag) {
    if (raw.size() > buffer.size()) return std::nullopt;
    std::memcpy(buffer.data(), raw.data(), raw.size());
    return std::string_view(buffer.data(), raw.size());
  }
  const auto length = unescape(raw, buffer.data(), buffer.size());
  if (!length) return std::nullopt;
  return std::string_view(buffer.data(), *length);
}

bool json_value::string_equals(std::string_view expected) const {
  if (!is_string()) return false;
  if (!node().flag) return raw_string() == expected;
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

bool json_value::key_repeats_later(json_value key) const {
  const auto has_escapes = [](json_value string) { return string.node().flag; };
  for (std::uint32_t later = document_->nodes_[key.index_ + 1].after; later < node().after;
       later = document_->nodes_[later + 1].after) {
    const json_value other = at(later);
    if (other.raw_string() == key.raw_string()) return true;
    if ((has_escapes(key) || has_escapes(other)) && other.string() == key.string()) return true;
  }
  return false;
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
      // A member whose key comes again later is left out. Objects in offers and answers have a
      // few members, compared pairwise; a large one is sorted by key instead.
      constexpr std::size_t pairwise_up_to = 16;
      std::vector<bool> superseded;
      if (size() > pairwise_up_to) {
        std::vector<std::string> unescaped;  // keys written with escapes, read; never reallocated
        unescaped.reserve(size());
        std::vector<std::pair<std::string_view, std::size_t>> sorted;
        sorted.reserve(size());
        for_each_member([&](json_value key, json_value) {
          std::string_view name = key.raw_string();
          if (key.node().flag) name = unescaped.emplace_back(key.string());
          sorted.emplace_back(name, sorted.size());
        });
        std::sort(sorted.begin(), sorted.end());
        superseded.assign(sorted.size(), false);
        for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
          if (sorted[i].first == sorted[i + 1].first) superseded[sorted[i].second] = true;
        }
      }
      out += '{';
      bool first = true;
      std::size_t i = 0;
      for_each_member([&](json_value key, json_value value) {
        const bool left_out = superseded.empty() ? key_repeats_later(key) : superseded[i];
        ++i;
        if (left_out) return;
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
