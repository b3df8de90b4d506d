#pragma once
// A validating JSON reader for the WebTorrent codec (RFC 8259). Pure.
//
// parse_json checks the whole text (grammar, UTF-8, escapes, paired surrogates, nesting depth)
// and records where each value is, without decoding anything: a string stays as written until it
// is asked for, a number until it is read. The codec reads a handful of short fields and relays
// offers and answers as the client wrote them, and a browser's SDP has an escaped line end every
// 40 bytes or so: unescaping and writing those escapes again was most of the cost of a message.
//
// It accepts exactly what Boost.JSON's parser accepts with its default options (too_deep
// included), and reads objects as it and JavaScript's JSON.parse do: of a repeated key, the last
// value, at the place of the first. Numbers are read correctly rounded (Boost.JSON 1.81 can be
// one unit in the last place off, and reads 0e400 as NaN). The tests and a fuzzer check all of
// this against Boost.JSON.

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace riptide::proto {

enum class json_kind : std::uint8_t { null, boolean, number, string, array, object };

enum class json_parse_error : std::uint8_t {
  invalid,   // not one JSON value, or not UTF-8
  too_deep,  // more arrays and objects inside each other than max_depth
};

// A number as JavaScript reads it, and exactly when it is a non-negative integer.
struct json_number {
  double value = 0.0;                          // the nearest double; +-infinity past the range
  std::optional<std::uint64_t> exact_unsigned;  // written as an integer from -0 to 2^64 - 1
};

// What parse_json records of each value, in document order (a container before its contents,
// an object's key before its value).
struct json_node {
  std::uint32_t begin = 0;  // the value's text is [begin, end) of the document's text
  std::uint32_t end = 0;
  std::uint32_t extent = 1;  // nodes of this value and its contents: the next value's is this far on
  std::uint32_t count = 0;  // an array's elements, an object's members (repeats counted)
  json_kind kind = json_kind::null;
  bool has_escapes = false;  // a string written with at least one escape
  bool is_true = false;      // a boolean that is true
};

// One value of a parsed document: cheap to copy, valid while the document's nodes (moving the
// document keeps them) and its text live.
class json_value {
 public:
  json_kind kind() const { return node().kind; }
  bool is_null() const { return kind() == json_kind::null; }
  bool is_string() const { return kind() == json_kind::string; }
  bool is_array() const { return kind() == json_kind::array; }
  bool is_object() const { return kind() == json_kind::object; }

  // The value as written, from its first to its last character.
  std::string_view text() const { return std::string_view(text_ + node().begin, node().end - node().begin); }

  // A boolean: whether it is true.
  bool is_true() const { return node().is_true; }

  // A number (kind number only; anything else reads as 0).
  json_number number() const;

  // A string as written between the quotes, or unescaped; empty for anything else.
  std::string_view raw_string() const;
  std::string string() const;
  // Unescaped into `buffer`; nullopt when it does not fit (or this is not a string).
  std::optional<std::string_view> string_in(std::span<char> buffer) const;
  // A binary string (JavaScript's term: one byte per code point, each at most U+00FF, as
  // WebTorrent writes ids and hashes) read into `buffer` in one pass: the number of bytes, or
  // nullopt when a code point is above U+00FF, they do not fit, or this is not a string.
  std::optional<std::size_t> binary_string_in(std::span<std::uint8_t> buffer) const;
  // Whether it is a string that reads as `expected`.
  bool string_equals(std::string_view expected) const;

  // An array's elements or an object's members (repeats counted).
  std::size_t size() const { return node().count; }
  // An object's member `key` (its last value when the key repeats); nullopt when there is none
  // or this is not an object.
  std::optional<json_value> member(std::string_view key) const;
  // The members `names` of an object in one pass, however many members it has: found[i] is the
  // value of names[i] (its last value when it repeats), nullopt when absent or this is not an
  // object. Each name must be shorter than 64 bytes.
  template <std::size_t N>
  std::array<std::optional<json_value>, N> members(const std::array<std::string_view, N>& names) const;

  // Calls visit(element) for each element of an array.
  template <typename Visit>
  void for_each_element(Visit visit) const;
  // Calls visit(key, value) for each member of an object as written, repeats included.
  template <typename Visit>
  void for_each_member(Visit visit) const;
  // Calls visit(key, value) for each distinct key of an object as a reader keeps it: at the place
  // of its first member, with the value of its last.
  template <typename Visit>
  void for_each_member_as_read(Visit visit) const;

  // Appends the value as compact JSON: no whitespace outside strings, objects as read (each key
  // once), strings and numbers as written.
  void append_compact(std::string& out) const;

 private:
  friend class json_document;
  json_value(const json_node* node, const char* text) : node_(node), text_(text) {}
  const json_node& node() const { return *node_; }
  json_value at(const json_node* node) const { return json_value(node, text_); }
  // For each member of an object (kept.size() == size()): when it is the first with its key, how
  // far from this object's node the key of the last member with that key is (the member whose
  // value a reader keeps), else no_member.
  void find_kept_members(std::span<std::uint32_t> kept) const;
  static constexpr std::uint32_t no_member = 0xffffffff;

  // Two pointers, so that a value passes in registers.
  const json_node* node_;
  const char* text_;  // the document's text: the node's offsets count from here
};

// A parsed text: it refers to the text, which must outlive it.
class json_document {
 public:
  json_value root() const& { return json_value(nodes_.data(), text_.data()); }
  json_value root() && = delete;  // its values would outlive the nodes

 private:
  friend std::variant<json_document, json_parse_error> parse_json(std::string_view, std::size_t);
  json_document(std::string_view text, std::vector<json_node> nodes) : text_(text), nodes_(std::move(nodes)) {}

  std::string_view text_;
  std::vector<json_node> nodes_;
};

// The deepest nesting parse_json can be asked to allow: it recurses once per level.
constexpr std::size_t json_max_supported_depth = 512;

// Parses one JSON value (whitespace around it allowed) with at most `max_depth` arrays and
// objects inside each other (at most json_max_supported_depth: a larger value counts as that).
std::variant<json_document, json_parse_error> parse_json(std::string_view text, std::size_t max_depth);

template <std::size_t N>
std::array<std::optional<json_value>, N> json_value::members(const std::array<std::string_view, N>& names) const {
  std::array<std::optional<json_value>, N> found{};
  std::array<char, 64> buffer;
  for_each_member([&](json_value key, json_value value) {
    const std::optional<std::string_view> name =
        key.node().has_escapes ? key.string_in(buffer) : std::optional<std::string_view>(key.raw_string());
    if (!name) return;  // longer than every name
    for (std::size_t i = 0; i < N; ++i) {
      assert(names[i].size() < buffer.size());
      if (*name == names[i]) found[i] = value;
    }
  });
  return found;
}

template <typename Visit>
void json_value::for_each_element(Visit visit) const {
  if (!is_array()) return;
  const json_node* const end = node_ + node().extent;
  for (const json_node* element = node_ + 1; element < end; element += element->extent) visit(at(element));
}

template <typename Visit>
void json_value::for_each_member(Visit visit) const {
  if (!is_object()) return;
  const json_node* const end = node_ + node().extent;
  for (const json_node* key = node_ + 1; key < end;) {
    const json_node* const value = key + 1;
    visit(at(key), at(value));
    key = value + value->extent;
  }
}

template <typename Visit>
void json_value::for_each_member_as_read(Visit visit) const {
  if (!is_object()) return;
  std::array<std::uint32_t, 16> few;  // offers and answers have a few members
  std::vector<std::uint32_t> many;
  std::span<std::uint32_t> kept(few.data(), size());
  if (size() > few.size()) {
    many.resize(size());
    kept = many;
  }
  find_kept_members(kept);
  std::size_t member = 0;
  for_each_member([&](json_value key, json_value) {
    if (kept[member] != no_member) visit(key, at(node_ + kept[member] + 1));
    ++member;
  });
}

}  // namespace riptide::proto
