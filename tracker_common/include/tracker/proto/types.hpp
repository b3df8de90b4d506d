#pragma once
// Strong types for the identifiers every tracker protocol carries.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace riptide::proto {

// A fixed-size 20-byte identifier (info hash, peer id). The tag keeps the kinds apart.
template <typename Tag>
struct id20 {
  static constexpr std::size_t size = 20;
  std::array<std::uint8_t, size> bytes{};

  friend constexpr auto operator<=>(const id20&, const id20&) = default;

  static id20 from_span(std::span<const std::uint8_t, size> source) {
    id20 id;
    for (std::size_t i = 0; i < size; ++i) id.bytes[i] = source[i];
    return id;
  }
};

struct info_hash_tag {};
struct peer_id_tag {};
using info_hash = id20<info_hash_tag>;
using peer_id = id20<peer_id_tag>;

// 40 lower- or upper-case hex digits, nothing else; nullopt otherwise.
std::optional<info_hash> info_hash_from_hex(std::string_view hex);
std::string to_hex(const info_hash& hash);

struct connection_id {
  std::uint64_t value = 0;
  friend constexpr auto operator<=>(const connection_id&, const connection_id&) = default;
};

struct transaction_id {
  std::uint32_t value = 0;
  friend constexpr auto operator<=>(const transaction_id&, const transaction_id&) = default;
};

// A peer's network address: IPv4 or IPv6 bytes in network order, and a port in host order.
struct ipv4_endpoint {
  static constexpr std::size_t address_size = 4;
  std::array<std::uint8_t, address_size> address{};
  std::uint16_t port = 0;
  friend constexpr auto operator<=>(const ipv4_endpoint&, const ipv4_endpoint&) = default;
};

struct ipv6_endpoint {
  static constexpr std::size_t address_size = 16;
  std::array<std::uint8_t, address_size> address{};
  std::uint16_t port = 0;
  friend constexpr auto operator<=>(const ipv6_endpoint&, const ipv6_endpoint&) = default;
};

enum class address_family : std::uint8_t { ipv4, ipv6 };

}  // namespace riptide::proto
