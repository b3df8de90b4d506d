#pragma once
// Strong types for the identifiers every tracker protocol carries.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
  // Equality is on the hot path of every map lookup: compare as three words, not byte by byte.
  friend bool operator==(const id20& a, const id20& b) {
    std::uint64_t a0, a1, b0, b1;
    std::uint32_t a2, b2;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&a2, a.bytes.data() + 16, 4);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    std::memcpy(&b2, b.bytes.data() + 16, 4);
    return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2)) == 0;
  }

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
  // Swarm lookups compare endpoints constantly: one integer comparison instead of a memcmp call.
  friend bool operator==(const ipv4_endpoint& a, const ipv4_endpoint& b) {
    std::uint32_t a_address, b_address;
    std::memcpy(&a_address, a.address.data(), 4);
    std::memcpy(&b_address, b.address.data(), 4);
    return a_address == b_address && a.port == b.port;
  }
};

struct ipv6_endpoint {
  static constexpr std::size_t address_size = 16;
  std::array<std::uint8_t, address_size> address{};
  std::uint16_t port = 0;
  friend constexpr auto operator<=>(const ipv6_endpoint&, const ipv6_endpoint&) = default;
  friend bool operator==(const ipv6_endpoint& a, const ipv6_endpoint& b) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.address.data(), 8);
    std::memcpy(&a1, a.address.data() + 8, 8);
    std::memcpy(&b0, b.address.data(), 8);
    std::memcpy(&b1, b.address.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0 && a.port == b.port;
  }
};

enum class address_family : std::uint8_t { ipv4, ipv6 };

}  // namespace riptide::proto
