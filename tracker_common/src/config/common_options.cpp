#include "tracker/config/common_options.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace riptide::config {
namespace {

bool is_ipv4_address(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

std::optional<in6_addr> ipv6_address_of(const std::string& text) {
  in6_addr address{};
  if (inet_pton(AF_INET6, text.c_str(), &address) != 1) return std::nullopt;
  return address;
}

}  // namespace

std::optional<std::string> validate_listen_addresses(const std::string& ipv4_address, const std::string& ipv6_address) {
  if (!ipv4_address.empty() && !is_ipv4_address(ipv4_address)) {
    return "network.ipv4_address: " + toml_quoted(ipv4_address) + " is not an IPv4 address";
  }
  if (!ipv6_address.empty()) {
    const auto address = ipv6_address_of(ipv6_address);
    if (!address) return "network.ipv6_address: " + toml_quoted(ipv6_address) + " is not an IPv6 address";
    // ::ffff:a.b.c.d names an IPv4 address, which an IPV6_V6ONLY socket (both trackers' IPv6
    // socket is one, so that each family has its own) can never bind: the run would fail with EINVAL.
    if (IN6_IS_ADDR_V4MAPPED(&*address)) {
      return "network.ipv6_address: " + toml_quoted(ipv6_address) +
             " is an IPv4-mapped address, which the IPv6-only socket cannot bind (use network.ipv4_address)";
    }
  }
  if (ipv4_address.empty() && ipv6_address.empty()) {
    return "network.ipv4_address and network.ipv6_address are both empty: no socket to serve on";
  }
  return std::nullopt;
}

std::optional<std::string> validate_access_and_privileges(const access_list_config& access_list,
                                                          const privileges_config& privileges) {
  if (access_list.mode != access_list_mode_config::off && access_list.path.empty()) {
    return "access_list.path must be set when access_list.mode is not \"off\"";
  }
  if (privileges.drop && privileges.user.empty()) {
    return "privileges.user must be set when privileges.drop is true";
  }
  // A chroot that silently does not happen is worse than an error.
  if (!privileges.chroot_path.empty() && !privileges.drop) {
    return "privileges.chroot_path is set but privileges.drop is false: the chroot would not happen";
  }
  if (!privileges.chroot_path.empty() && privileges.chroot_path.front() != '/') {
    return "privileges.chroot_path: " + toml_quoted(privileges.chroot_path) + " is not an absolute path";
  }
  return std::nullopt;
}

std::optional<std::string> validate_worker_layout(const worker_layout& layout, const std::string& owned,
                                                  std::uint64_t max_slots, const std::string& approximate_size) {
  if (layout.request_workers == 0 && layout.socket_workers != 1) {
    return "workers.request_workers = 0 (socket worker owns the " + owned +
           ") needs workers.socket_workers = 1, not " + std::to_string(layout.socket_workers);
  }
  const std::uint64_t slots = layout.socket_workers * layout.request_workers *
                              (layout.request_queue_capacity + layout.response_queue_capacity);
  if (slots <= max_slots) return std::nullopt;
  return "workers.socket_workers * workers.request_workers * (channels.request_queue_capacity + "
         "channels.response_queue_capacity) is " + std::to_string(slots) + " messages, more than " +
         std::to_string(max_slots) + " (about " + approximate_size + "): lower the capacities or the workers";
}

std::optional<std::string> validate_split_limits(std::initializer_list<split_limit> limits,
                                                 std::uint64_t request_workers) {
  for (const split_limit& limit : limits) {
    if (limit.total >= request_workers) continue;
    return std::string(limit.key) + " (" + std::to_string(limit.total) + ") must be at least workers.request_workers (" +
           std::to_string(request_workers) + "): each request worker holds a share of it";
  }
  return std::nullopt;
}

}  // namespace riptide::config
