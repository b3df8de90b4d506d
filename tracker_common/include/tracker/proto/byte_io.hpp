#pragma once
// Big-endian reads and writes over byte spans and vectors: the only byte-twiddling the codecs use.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace riptide::proto {

template <typename Unsigned>
Unsigned read_be(std::span<const std::uint8_t> bytes, std::size_t offset) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    value = static_cast<Unsigned>((value << 8) | bytes[offset + i]);
  }
  return value;
}

template <typename Unsigned>
void append_be(std::vector<std::uint8_t>& out, Unsigned value) {
  for (std::size_t i = sizeof(Unsigned); i-- > 0;) {
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
}

template <std::size_t N>
void append_bytes(std::vector<std::uint8_t>& out, const std::array<std::uint8_t, N>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace riptide::proto
