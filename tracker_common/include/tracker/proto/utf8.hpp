#pragma once
// UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). Pure, header-only:
// the WebTorrent codec and the configuration loader both check text with it.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace riptide::proto {

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0 if there is none
// (or `text` is empty).
inline std::size_t utf8_sequence_length(std::string_view text) {
  if (text.empty()) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const auto continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xc0) == 0x80; };
  const std::uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return continuation(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b0 == 0xe0 && byte(1) < 0xa0) return 0;  // overlong
    if (b0 == 0xed && byte(1) > 0x9f) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b0 == 0xf0 && byte(1) < 0x90) return 0;  // overlong
    if (b0 == 0xf4 && byte(1) > 0x8f) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// The offset of the first byte that does not start a well-formed sequence, or nullopt.
inline std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

// Whether all of `text` is well-formed. Runs of ASCII, which is what WebTorrent messages are
// almost entirely (JSON, SDP), are skipped eight bytes at a time.
inline bool is_valid_utf8(std::string_view text) {
  constexpr std::uint64_t high_bits = 0x8080808080808080ull;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i + 8 <= text.size()) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + i, sizeof word);
      if ((word & high_bits) != 0) break;
      i += 8;
    }
    if (i == text.size()) break;
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace riptide::proto
