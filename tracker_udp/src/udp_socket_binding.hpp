#pragma once
// Opens the UDP sockets of the socket workers: one per address family per worker, all on the same
// port with SO_REUSEPORT, so the kernel spreads clients over the workers (a client's datagrams
// always land on the same worker). IPv6 sockets are IPV6_V6ONLY so that the two families keep
// their own sockets and swarms.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "tracker/proto/types.hpp"

namespace riptide::udp {

struct udp_socket_options {
  std::string address;  // numeric IPv4 or IPv6 address
  std::uint16_t port = 0;
  std::uint32_t receive_buffer_bytes = 0;  // 0: leave the OS default
  std::uint32_t send_buffer_bytes = 0;
};

struct bound_socket {
  int fd = -1;
  proto::address_family family = proto::address_family::ipv4;
  std::uint16_t port = 0;  // the port actually bound (useful when asked for port 0)
};

// A non-blocking, bound socket, or one line saying what failed.
std::variant<bound_socket, std::string> bind_udp_socket(const udp_socket_options& options);

// SO_REUSEPORT lets any process of the same user bind the same port and take a share of its
// traffic, so a second tracker started by mistake would serve half the clients silently. Binding a
// plain socket (without SO_REUSEPORT) first proves nobody else has the port; it is closed at once.
// Returns the reason when the address and port cannot be bound ("is another tracker running?" only
// when they are in use).
std::optional<std::string> check_port_free(const std::string& address, std::uint16_t port);

// "127.0.0.1:6969" or "[::1]:6969".
std::string format_socket_address(const std::string& address, proto::address_family family, std::uint16_t port);

}  // namespace riptide::udp
