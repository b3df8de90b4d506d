#include "udp_socket_binding.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace riptide::udp {
namespace {

std::string failure(const udp_socket_options& options, proto::address_family family, const char* what) {
  return std::string("cannot ") + what + " udp " + format_socket_address(options.address, family, options.port) +
         ": " + std::strerror(errno);
}

bool set_option(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  proto::address_family family = proto::address_family::ipv4;
};

std::optional<socket_address> parse_socket_address(const std::string& address, std::uint16_t port) {
  socket_address parsed;
  if (sockaddr_in v4{}; ::inet_pton(AF_INET, address.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&parsed.storage, &v4, sizeof v4);
    parsed.length = sizeof v4;
    return parsed;
  }
  if (sockaddr_in6 v6{}; ::inet_pton(AF_INET6, address.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&parsed.storage, &v6, sizeof v6);
    parsed.length = sizeof v6;
    parsed.family = proto::address_family::ipv6;
    return parsed;
  }
  return std::nullopt;
}

}  // namespace

std::string format_socket_address(const std::string& address, proto::address_family family, std::uint16_t port) {
  if (family == proto::address_family::ipv6) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

std::optional<std::string> check_port_free(const std::string& address, std::uint16_t port) {
  const auto parsed = parse_socket_address(address, port);
  if (!parsed) return "not a numeric IP address: \"" + address + "\"";
  const udp_socket_options options{address, port, 0, 0};
  const int fd = ::socket(parsed->family == proto::address_family::ipv4 ? AF_INET : AF_INET6,
                          SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return failure(options, parsed->family, "create socket for");
  if (parsed->family == proto::address_family::ipv6) set_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  std::optional<std::string> taken;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&parsed->storage), parsed->length) != 0) {
    const bool in_use = errno == EADDRINUSE;
    taken = failure(options, parsed->family, "bind");
    if (in_use) *taken += " (is another tracker running?)";
  }
  ::close(fd);
  return taken;
}

std::variant<bound_socket, std::string> bind_udp_socket(const udp_socket_options& options) {
  const auto parsed = parse_socket_address(options.address, options.port);
  if (!parsed) return "not a numeric IP address: \"" + options.address + "\"";
  const sockaddr_storage& storage = parsed->storage;
  const socklen_t length = parsed->length;
  const proto::address_family family = parsed->family;

  const int domain = family == proto::address_family::ipv4 ? AF_INET : AF_INET6;
  const int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failure(options, family, "create socket for");
  const auto fail = [&](const char* what) {
    std::string reason = failure(options, family, what);
    ::close(fd);
    return reason;
  };

  if (!set_option(fd, SOL_SOCKET, SO_REUSEPORT, 1)) return fail("set SO_REUSEPORT on");
  if (family == proto::address_family::ipv6 && !set_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) {
    return fail("set IPV6_V6ONLY on");
  }
  if (options.receive_buffer_bytes > 0 &&
      !set_option(fd, SOL_SOCKET, SO_RCVBUF, static_cast<int>(options.receive_buffer_bytes))) {
    return fail("set SO_RCVBUF on");
  }
  if (options.send_buffer_bytes > 0 &&
      !set_option(fd, SOL_SOCKET, SO_SNDBUF, static_cast<int>(options.send_buffer_bytes))) {
    return fail("set SO_SNDBUF on");
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) return fail("bind");

  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) return fail("read back");
  const std::uint16_t port = family == proto::address_family::ipv4
                                 ? ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port)
                                 : ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  return bound_socket{fd, family, port};
}

}  // namespace riptide::udp
