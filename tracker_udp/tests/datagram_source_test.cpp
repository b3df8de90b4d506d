// answerable_source: who a datagram is from, and which senders no reply could reach.

#include "datagram_source.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstring>

namespace riptide::udp {
namespace {

sockaddr_storage ipv4_source(const char* address, std::uint16_t port) {
  sockaddr_storage storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  REQUIRE(inet_pton(AF_INET, address, &v4.sin_addr) == 1);
  return storage;
}

sockaddr_storage ipv6_source(const char* address, std::uint16_t port, std::uint32_t scope_id = 0) {
  sockaddr_storage storage{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(port);
  v6.sin6_scope_id = scope_id;
  REQUIRE(inet_pton(AF_INET6, address, &v6.sin6_addr) == 1);
  return storage;
}

}  // namespace

TEST_CASE("an IPv4 sender is kept v4-mapped with its port", "[udp][source]") {
  const auto sender = answerable_source(ipv4_source("192.0.2.7", 6881));
  REQUIRE(sender);
  CHECK(sender->family == proto::address_family::ipv4);
  const std::array<std::uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
  CHECK(sender->address == mapped);
  CHECK(sender->port == 6881);
  CHECK(sender->scope_id == 0);
}

TEST_CASE("an IPv6 sender keeps its address and scope", "[udp][source]") {
  const auto sender = answerable_source(ipv6_source("fe80::1", 51413, 3));
  REQUIRE(sender);
  CHECK(sender->family == proto::address_family::ipv6);
  CHECK(sender->address[0] == 0xfe);
  CHECK(sender->address[1] == 0x80);
  CHECK(sender->address[15] == 1);
  CHECK(sender->port == 51413);
  CHECK(sender->scope_id == 3);
}

TEST_CASE("a sender on port 0 cannot be answered", "[udp][source]") {
  CHECK_FALSE(answerable_source(ipv4_source("127.0.0.1", 0)));
  CHECK_FALSE(answerable_source(ipv6_source("::1", 0)));
}

TEST_CASE("an IPv4-mapped source on the IPv6 socket cannot be answered", "[udp][source]") {
  // Only a forged datagram carries one (RFC 4291, 2.5.5.2); a reply to it fails with ENETUNREACH.
  CHECK_FALSE(answerable_source(ipv6_source("::ffff:127.0.0.9", 6881)));
  // IPv4-compatible addresses (deprecated) and NAT64's 64:ff9b::/96 are IPv6 senders all the same.
  CHECK(answerable_source(ipv6_source("::7f00:9", 6881)));
  CHECK(answerable_source(ipv6_source("64:ff9b::7f00:9", 6881)));
}

TEST_CASE("a source of another family is not answered", "[udp][source]") {
  sockaddr_storage unix_source{};
  unix_source.ss_family = AF_UNIX;
  CHECK_FALSE(answerable_source(unix_source));
}

}  // namespace riptide::udp
