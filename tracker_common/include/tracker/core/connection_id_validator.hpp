#pragma once
// Stateless BEP 15 connection ids.
//
// Threat model: the connection id exists so that a forged source address gets nothing back. A
// tracker that answered announces and scrapes from any address could be used to reflect and
// amplify traffic at a victim. So an id must be (1) unguessable without seeing the connect reply
// sent to that address, (2) bound to that address, (3) reusable for repeated requests, and
// (4) accepted for a bounded time (BEP 15: at least two minutes; some clients reuse ids longer,
// so the lifetime is configurable).
//
// Layout of the 8 bytes (big-endian on the wire, like every BEP 15 integer):
//   0:4  issue time, seconds on the tracker's monotonic clock
//   4:4  the first 4 bytes of SipHash-2-4(key, issue time || source address as 16 bytes)
// The key is random per process, so ids do not survive a restart (clients simply connect again).
// Nothing is stored per client: validation recomputes the MAC and compares in constant time.
// An id whose time lies in the future or beyond the lifetime is refused.
//
// Thread safety: immutable after construction; every socket worker may share one instance.

#include <array>
#include <cstdint>

#include "tracker/core/siphash.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::core {

// An address as 16 bytes: IPv6 as is, IPv4 as its v4-mapped form (::ffff:a.b.c.d), one key space
// for both families (no IPv6 source is v4-mapped: tracker_udp drops such forged ones).
using address_bytes = std::array<std::uint8_t, 16>;

address_bytes to_address_bytes(const std::array<std::uint8_t, 4>& ipv4);
address_bytes to_address_bytes(const std::array<std::uint8_t, 16>& ipv6);

class connection_id_validator {
 public:
  connection_id_validator(siphash_key key, std::uint32_t lifetime_seconds);

  proto::connection_id issue(const address_bytes& source, std::uint32_t now_seconds) const;
  bool is_valid(proto::connection_id id, const address_bytes& source, std::uint32_t now_seconds) const;

 private:
  std::uint32_t mac(std::uint32_t issued_at, const address_bytes& source) const;

  siphash_key key_;
  std::uint32_t lifetime_seconds_;
};

}  // namespace riptide::core
