#pragma once
// Asio's addresses and tracker_common's (proto::ip_address, which the pure layers use), both ways.

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "tracker/proto/forwarded_for.hpp"

namespace riptide::ws {

// An IPv4-mapped IPv6 address becomes the IPv4 address.
inline proto::ip_address to_proto_address(const boost::asio::ip::address& address) {
  proto::ip_address converted;
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), converted.bytes.begin());
  } else {
    converted.family = proto::address_family::ipv6;
    const auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), converted.bytes.begin());
  }
  return proto::unmapped(converted);
}

inline boost::asio::ip::address to_asio_address(const proto::ip_address& address) {
  if (address.family == proto::address_family::ipv4) {
    return boost::asio::ip::address_v4({address.bytes[0], address.bytes[1], address.bytes[2], address.bytes[3]});
  }
  boost::asio::ip::address_v6::bytes_type bytes;
  std::copy(address.bytes.begin(), address.bytes.end(), bytes.begin());
  return boost::asio::ip::address_v6(bytes);
}

}  // namespace riptide::ws
