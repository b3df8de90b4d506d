#include "datagram_source.hpp"

#include <cstring>

#include "tracker/core/connection_id_validator.hpp"

namespace riptide::udp {

std::optional<datagram_source> answerable_source(const sockaddr_storage& source) {
  datagram_source sender{};
  if (source.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(source);
    sender.family = proto::address_family::ipv4;
    std::array<std::uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &v4.sin_addr, 4);
    sender.address = core::to_address_bytes(bytes);
    sender.port = ntohs(v4.sin_port);
  } else if (source.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(source);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) return std::nullopt;
    sender.family = proto::address_family::ipv6;
    std::memcpy(sender.address.data(), &v6.sin6_addr, 16);
    sender.port = ntohs(v6.sin6_port);
    sender.scope_id = v6.sin6_scope_id;
  } else {
    return std::nullopt;
  }
  if (sender.port == 0) return std::nullopt;
  return sender;
}

}  // namespace riptide::udp
