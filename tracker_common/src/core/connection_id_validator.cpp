#include "tracker/core/connection_id_validator.hpp"

#include <algorithm>

namespace riptide::core {

address_bytes to_address_bytes(const std::array<std::uint8_t, 4>& ipv4) {
  address_bytes bytes{};
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  std::copy(ipv4.begin(), ipv4.end(), bytes.begin() + 12);
  return bytes;
}

address_bytes to_address_bytes(const std::array<std::uint8_t, 16>& ipv6) { return ipv6; }

connection_id_validator::connection_id_validator(siphash_key key, std::uint32_t lifetime_seconds)
    : key_(key), lifetime_seconds_(lifetime_seconds) {}

std::uint32_t connection_id_validator::mac(std::uint32_t issued_at, const address_bytes& source) const {
  std::array<std::uint8_t, 4 + 16> message{};
  for (int i = 0; i < 4; ++i) message[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(issued_at >> (24 - 8 * i));
  std::copy(source.begin(), source.end(), message.begin() + 4);
  return static_cast<std::uint32_t>(siphash24(key_, message) >> 32);
}

proto::connection_id connection_id_validator::issue(const address_bytes& source, std::uint32_t now_seconds) const {
  return proto::connection_id{(static_cast<std::uint64_t>(now_seconds) << 32) | mac(now_seconds, source)};
}

bool connection_id_validator::is_valid(proto::connection_id id, const address_bytes& source,
                                       std::uint32_t now_seconds) const {
  const auto issued_at = static_cast<std::uint32_t>(id.value >> 32);
  const auto presented = static_cast<std::uint32_t>(id.value);
  // Compare without an early exit, so the time taken says nothing about how many bits matched.
  const std::uint32_t difference = presented ^ mac(issued_at, source);
  const bool in_time = issued_at <= now_seconds && now_seconds - issued_at <= lifetime_seconds_;
  return (difference == 0) & in_time;
}

}  // namespace riptide::core
