#pragma once
// A validating JSON reader for the WebTorrent codec (RFC 8259). Pure.
//
// parse_json checks the whole text (grammar, UTF-8, escapes, paired surrogates, nesting depth)
// and records where each value is, without decoding anything: a string stays as written until it
// is asked for, a number until it is read. The codec reads a handful of short fields and relays
// offers and answers as the client wrote them, and a browser's SDP has an escaped line end every
// 40 bytes or so: unescaping and writing those escapes again was most of the cost of a message.
//
// It accepts what Boost.JSON's parser accepts with its default options and reads values as it
// does, repeated keys included (the last one counts); the tests and a fuzzer check both against it.

#include <array>
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

// A number as JavaScript (and Boost.JSON) reads it, and exactly when it is a small integer.
struct json_number {
  double value = 0.0;                          // the nearest double; +-infinity past the range
  std::optional<std::uint64_t> exact_unsigned;  // written as an integer from -0 to 2^64 - 1
};

// What parse_json records of each value, in document order (a container before its contents,
// an object's key before its value).
struct json_node {
  std::uint32_t begin = 0;  // the value's text is [begin, end) of the document's text
  std::uint32_t end = 0;
  std::uint32_t after = 0;  // the index of the first node past this value and its contents
  std::uint32_t count = 0;  // an array's elements, an object's members (repeats counted)
  json_kind kind = json_kind::null;
  bool flag = false;  // a string: written with escapes; a boolean: true
};

class json_document;

// One value of a parsed document: cheap to copy, valid while the document and its text live.
class json_value {
 public:
  json_kind kind() const { return node().kind; }
  bool is_null() const { return kind() == json_kind::null; }
  bool is_string() const { return kind() == json_kind::string; }
  bool is_array() const { return kind() == json_kind::array; }
  bool is_object() const { return kind() == json_kind::object; }

  // The value as written, from its first to its last character.
  std::string_view text() const;

  // A boolean: whether it is true.
  bool is_true() const { return kind() == json_kind::boolean && node().flag; }

  // A number (kind number only).
  json_number number() const;

  // A string (kind string only): as written between the quotes, or unescaped.
  std::string_view raw_string() const;
  std::string string() const;
  // Unescaped into `buffer`; nullopt when it does not fit.
  std::optional<std::string_view> string_in(std::span<char> buffer) const;
  // Whether it is a string that reads as `expected`.
  bool string_equals(std::string_view expected) const;

  // An array's elements or an object's members (repeats counted).
  std::size_t size() const { return node().count; }
  // An object's member `key`, the last one when the key repeats; nullopt when there is none or
  // this is not an object.
  std::optional<json_value> member(std::string_view key) const;
  // The members `names` of an object in one pass, however many members it has: found[i] is the
  // value of names[i] (the last when it repeats), nullopt when absent or this is not an object.
  // Each name must be shorter than 64 bytes.
  template <std::size_t N>
  std::array<std::optional<json_value>, N> members(const std::array<std::string_view, N>& names) const;
  // Calls visit(element) for each element of an array.
  template <typename Visit>
  void for_each_element(Visit visit) const;
  // Calls visit(key, value) for each member of an object, repeats included.
  template <typename Visit>
  void for_each_member(Visit visit) const;

  // Appends the value as compact JSON: no whitespace outside strings, of a repeated key only the
  // last member, strings and numbers as written.
  void append_compact(std::string& out) const;

 private:
  friend class json_document;
  json_value(const json_document* document, std::uint32_t index) : document_(document), index_(index) {}
  const json_node& node() const;
  json_value at(std::uint32_t index) const { return json_value(document_, index); }
  // Whether a member after `key` (a key of this object) has the same key.
  bool key_repeats_later(json_value key) const;

  const json_document* document_;
  std::uint32_t index_;
};

// A parsed text: it refers to the text, which must outlive it.
class json_document {
 public:
  json_value root() const { return json_value(this, 0); }

 private:
  friend class json_value;
  friend std::variant<json_document, json_parse_error> parse_json(std::string_view, std::size_t);
  json_document(std::string_view text, std::vector<json_node> nodes) : text_(text), nodes_(std::move(nodes)) {}

  std::string_view text_;
  std::vector<json_node> nodes_;
};

// Parses one JSON value (whitespace around it allowed) with at most `max_depth` arrays and
// objects inside each other. The parser recurses once per level: keep max_depth small (the
// codec uses 32).
std::variant<json_document, json_parse_error> parse_json(std::string_view text, std::size_t max_depth);

inline const json_node& json_value::node() const { return document_->nodes_[index_]; }

template <typename Visit>
void json_value::for_each_element(Visit visit) const {
  if (!is_array()) return;
  for (std::uint32_t i = index_ + 1; i < node().after; i = document_->nodes_[i].after) visit(at(i));
}

template <typename Visit>
void json_value::for_each_member(Visit visit) const {
  if (!is_object()) return;
  for (std::uint32_t key = index_ + 1; key < node().after;) {
    const std::uint32_t value = key + 1;
    visit(at(key), at(value));
    key = document_->nodes_[value].after;
  }
}

template <std::size_t N>
std::array<std::optional<json_value>, N> json_value::members(const std::array<std::string_view, N>& names) const {
  std::array<std::optional<json_value>, N> found{};
  for_each_member([&](json_value key, json_value value) {
    std::array<char, 64> buffer;
    const std::optional<std::string_view> name = key.node().flag ? key.string_in(buffer) : key.raw_string();
    if (!name) return;  // longer than every name
    for (std::size_t i = 0; i < N; ++i) {
      if (*name == names[i]) found[i] = value;
    }
  });
  return found;
}

}  // namespace riptide::proto
