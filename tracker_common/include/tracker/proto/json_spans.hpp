#pragma once
// Where values are in JSON text, without decoding them: the WebTorrent decoder relays offers and
// answers as the client wrote them instead of serializing the parsed value again (a real SDP has
// an escaped line end every 40 bytes or so, and writing those escapes again cost as much as
// parsing them). Pure.
//
// Only for text a JSON parser has already accepted whole: the scanner trusts the grammar (it
// never validates), but stays within the text and answers nullopt for whatever it does not
// expect, and the caller then falls back to the parsed value.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace riptide::proto::json_spans {

struct value_span {
  std::string_view text;    // the whole value, from its first to its last character
  bool compact = true;      // no whitespace outside strings
  std::size_t members = 0;  // object members at every depth, repeated keys counted each time
};

// The value of member `key` of the object `object` (the last one when the key repeats, which is
// the one Boost.JSON keeps). nullopt when absent, when `object` is not an object, or when one of
// its keys is written with escapes (it might spell `key`).
std::optional<value_span> member(std::string_view object, std::string_view key);

// The elements of the array `array`; nullopt when it is not an array.
std::optional<std::vector<value_span>> elements(std::string_view array);

}  // namespace riptide::proto::json_spans
