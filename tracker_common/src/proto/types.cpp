#include "tracker/proto/types.hpp"

namespace riptide::proto {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<info_hash> info_hash_from_hex(std::string_view hex) {
  if (hex.size() != 2 * info_hash::size) return std::nullopt;
  info_hash hash;
  for (std::size_t i = 0; i < info_hash::size; ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    hash.bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return hash;
}

std::string to_hex(const info_hash& hash) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * info_hash::size);
  for (const std::uint8_t byte : hash.bytes) {
    hex.push_back(digits[byte >> 4]);
    hex.push_back(digits[byte & 0x0f]);
  }
  return hex;
}

}  // namespace riptide::proto
