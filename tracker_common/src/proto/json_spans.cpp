#include "tracker/proto/json_spans.hpp"

#include <cstring>

namespace riptide::proto::json_spans {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The first position at or after `from` whose character is in `set`, or npos. A table lookup per
// character: std::string_view::find_first_of searches the set once per character (5 ns each).
class char_set {
 public:
  constexpr explicit char_set(std::string_view characters) {
    for (const char c : characters) member_[static_cast<unsigned char>(c)] = true;
  }
  std::size_t find_in(std::string_view text, std::size_t from) const {
    for (std::size_t i = from; i < text.size(); ++i) {
      if (member_[static_cast<unsigned char>(text[i])]) return i;
    }
    return std::string_view::npos;
  }

 private:
  bool member_[256] = {};
};

constexpr char_set structure_stops("\"{}[]: \t\r\n");
constexpr char_set scalar_stops(",}] \t\r\n");

// A cursor over accepted JSON text. Every step checks the bounds; `ok` turns false at anything
// unexpected (and stays so), after which the results are not used.
struct cursor {
  std::string_view text;
  std::size_t at = 0;
  bool ok = true;

  bool more() const { return ok && at < text.size(); }
  char peek() const { return more() ? text[at] : '\0'; }

  void skip_space() {
    while (more() && is_space(text[at])) ++at;
  }

  // After an item of an object or array: true at a ',' (another item follows); false at `close`,
  // which is consumed, or at anything else, which an accepted text does not hold (`ok` turns false).
  bool another(char close) {
    skip_space();
    if (peek() == ',') {
      ++at;
      return true;
    }
    if (peek() == close) {
      ++at;
    } else {
      ok = false;
    }
    return false;
  }

  bool expect(char c) {
    skip_space();
    if (peek() != c) return ok = false;
    ++at;
    return true;
  }

  // On the opening quote: the characters between the quotes, escapes as written. The closing
  // quote is found with memchr (most of an SDP is string), then told from an escaped one by the
  // backslashes before it.
  std::string_view string_token(bool& escaped) {
    if (peek() != '"') {
      ok = false;
      return {};
    }
    const std::size_t start = ++at;
    std::size_t from = start;
    for (;;) {
      const void* found = std::memchr(text.data() + from, '"', text.size() - from);
      if (found == nullptr) {
        ok = false;
        return {};
      }
      const auto stop = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
      std::size_t backslashes = 0;
      while (stop - backslashes > start && text[stop - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 0) {
        at = stop + 1;
        const std::string_view token = text.substr(start, stop - start);
        if (!escaped && std::memchr(token.data(), '\\', token.size()) != nullptr) escaped = true;
        return token;
      }
      from = stop + 1;  // an escaped quote
    }
  }

  // One value from the current position (after whitespace).
  value_span value() {
    skip_space();
    const std::size_t start = at;
    bool compact = true;
    std::size_t members = 0;
    bool escaped = false;
    if (peek() == '"') {
      string_token(escaped);
    } else if (peek() == '{' || peek() == '[') {
      std::size_t depth = 0;
      do {
        const std::size_t stop = structure_stops.find_in(text, at);
        if (stop == std::string_view::npos) {
          ok = false;
          break;
        }
        at = stop;
        const char c = text[at];
        if (c == '"') {
          string_token(escaped);
        } else {
          if (c == '{' || c == '[') ++depth;
          if (c == '}' || c == ']') {
            if (depth == 0) {
              ok = false;
              break;
            }
            --depth;
          }
          if (is_space(c)) compact = false;
          if (c == ':') ++members;  // outside strings: one per object member
          ++at;
        }
      } while (ok && depth > 0);
    } else {  // a number, true, false or null
      const std::size_t stop = scalar_stops.find_in(text, at);
      at = stop == std::string_view::npos ? text.size() : stop;
      if (at == start) ok = false;
    }
    return {text.substr(start, at - start), compact, members};
  }
};

}  // namespace

std::optional<value_span> member(std::string_view object, std::string_view key) {
  cursor in{object};
  if (!in.expect('{')) return std::nullopt;
  in.skip_space();
  if (in.peek() == '}') return std::nullopt;
  std::optional<value_span> found;
  do {
    in.skip_space();
    bool escaped = false;
    const std::string_view name = in.string_token(escaped);
    if (!in.expect(':')) return std::nullopt;
    const value_span value = in.value();
    if (!in.ok || escaped) return std::nullopt;
    if (name == key) found = value;
  } while (in.another('}'));
  return in.ok ? found : std::nullopt;
}

std::optional<std::vector<value_span>> elements(std::string_view array) {
  cursor in{array};
  if (!in.expect('[')) return std::nullopt;
  std::vector<value_span> out;
  in.skip_space();
  if (in.peek() == ']') return out;
  do {
    out.push_back(in.value());
  } while (in.ok && in.another(']'));
  if (!in.ok) return std::nullopt;
  return out;
}

}  // namespace riptide::proto::json_spans
