#pragma once
// Who sent a datagram, as the tracker answers and files it: the address (IPv4 as v4-mapped, as
// connection ids and replies take it), its family, port and scope. Pure: no socket.

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>

#include "tracker/proto/types.hpp"

namespace riptide::udp {

struct datagram_source {
  proto::address_family family;
  std::array<std::uint8_t, 16> address;  // IPv4 as v4-mapped
  std::uint16_t port;
  std::uint32_t scope_id;  // IPv6 only
};

// The sender of a datagram, or nothing when no reply could reach it, which is dropped unread:
// - port 0, to which nothing can be sent (and which no real client sends from);
// - an IPv4-mapped source on the IPv6 socket (RFC 4291, 2.5.5.2: such an address never appears
//   on the wire, only a forged one does). That socket is IPV6_V6ONLY, so IPv4 clients arrive on
//   the IPv4 socket, and a reply to a mapped address fails (ENETUNREACH).
std::optional<datagram_source> answerable_source(const sockaddr_storage& source);

}  // namespace riptide::udp
