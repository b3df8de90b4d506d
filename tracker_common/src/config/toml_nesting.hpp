#pragma once
// How deeply a TOML text nests tables and arrays, found before toml11 parses it.
//
// toml11 3.7 builds, copies and destroys nested arrays and tables by recursion, with no depth
// limit: a 12 KB file of `x = [[[...]]]` 6000 deep, `port = {a={a=...}}`, or a key of 20000 dotted
// parts (`a.a.a... = 1`, `[a.a.a...]`) overflows the stack and the process dies with SIGSEGV
// instead of reporting a config error. No real configuration nests more than a couple of levels,
// so a text nested deeper than a small limit is refused before toml11 sees it.

#include <cstddef>
#include <optional>
#include <string_view>

namespace riptide::config::detail {

// Deeper than this is refused: far beyond any configuration, far below what overflows the stack.
inline constexpr std::size_t max_toml_nesting = 100;

// The line (from 1) on which `text` first nests more than `max_depth` levels, or nothing. A level
// is an open bracket ('[' of an array, '{' of an inline table) or a dot of a dotted key (in a table
// header, which counts for the keys under it, or before the '=' of a key/value pair at any level).
// Brackets and dots inside strings (basic, literal, multi-line basic with escapes, multi-line
// literal) and comments do not count, nor dots in values (floats, times).
// Pure; meant for any text, valid TOML or not (an unterminated string ends at its line's end).
std::optional<std::size_t> line_nested_deeper_than(std::string_view text, std::size_t max_depth);

}  // namespace riptide::config::detail
