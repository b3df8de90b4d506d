// The per-source peer counts: the limit, what gives places back, the prefix of IPv6, the sizing,
// and that a full shard's other sources do not push a source with few peers over the limit.

#include "tracker/core/source_peer_counts.hpp"

#include <catch2/catch.hpp>
#include <cstdint>

using riptide::core::siphash_key;
using riptide::core::source_peer_counts;
using riptide::proto::ipv4_endpoint;
using riptide::proto::ipv6_endpoint;

namespace {

constexpr siphash_key test_key{0x1234, 0x5678};
constexpr unsigned ipv6_bits = source_peer_counts::default_ipv6_prefix_bits;

// One more peer of `endpoint`'s source, if it may have one.
template <typename Endpoint>
bool add(source_peer_counts& counts, const Endpoint& endpoint) {
  const auto slot = counts.slot_of(endpoint);
  if (!counts.may_add(slot)) return false;
  counts.added(slot);
  return true;
}

template <typename Endpoint>
void remove(source_peer_counts& counts, const Endpoint& endpoint) {
  counts.removed(counts.slot_of(endpoint));
}

ipv4_endpoint v4(std::uint32_t n, std::uint16_t port = 6881) {
  return ipv4_endpoint{{static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                        static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)},
                       port};
}

}  // namespace

TEST_CASE("source counts: a source reaches its limit, and a removal gives a place back", "[core][source_counts]") {
  source_peer_counts counts(3, 1000, ipv6_bits, test_key);
  for (std::uint16_t port = 1; port <= 3; ++port) REQUIRE(add(counts, v4(7, port)));
  CHECK_FALSE(add(counts, v4(7, 4)));  // any port: the source is the address
  CHECK(add(counts, v4(8)));
  remove(counts, v4(7, 2));
  CHECK(add(counts, v4(7, 9)));
  CHECK_FALSE(add(counts, v4(7, 10)));
}

TEST_CASE("source counts: an IPv6 source is its prefix", "[core][source_counts]") {
  const unsigned bits = GENERATE(56U, 64U, 48U, 32U);
  INFO("/" << bits);
  source_peer_counts counts(2, 1000, bits, test_key);
  ipv6_endpoint host{{0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78}, 6881};
  host.address[15] = 1;
  REQUIRE(add(counts, host));
  host.address[15] = 2;
  REQUIRE(add(counts, host));
  // Another address of the same /64, and the last bit of the prefix flipped.
  host.address[8] = 0xff;
  CHECK_FALSE(add(counts, host));
  ipv6_endpoint last_bit = host;
  last_bit.address[bits / 8 - 1] ^= 1;
  CHECK(add(counts, last_bit));
  // The first bit past it is the same source (nothing past a /64 counts).
  if (bits < 64) {
    ipv6_endpoint past = host;
    past.address[bits / 8] ^= 0x80;
    CHECK_FALSE(add(counts, past));
  }
}

TEST_CASE("source counts: limit 0 counts nothing and refuses nothing", "[core][source_counts]") {
  source_peer_counts counts(0, 1000, ipv6_bits, test_key);
  CHECK_FALSE(counts.limited());
  for (int i = 0; i < 100; ++i) CHECK(add(counts, v4(1)));
  CHECK(source_peer_counts::row_size_for(0, 1000) == 0);
}

TEST_CASE("source counts: rows sized to the limit and the shard's peers", "[core][source_counts]") {
  // tracker_udp's defaults: 200,000 per source among 20 million, 64 * 100 = 6,400 -> 8,192.
  CHECK(source_peer_counts::row_size_for(200'000, 20'000'000) == 8192);
  CHECK(source_peer_counts::row_size_for(1'000'000, 1000) == source_peer_counts::min_row_size);
  CHECK(source_peer_counts::row_size_for(1, 4'000'000'000) == source_peer_counts::max_row_size);
  CHECK(source_peer_counts::smallest_limit(20'000'000) == 611);  // 64 * 20M / 2^21, rounded up
  CHECK(source_peer_counts::row_size_for(611, 20'000'000) == source_peer_counts::max_row_size);
  CHECK(source_peer_counts::row_size_for(610, 20'000'000) == source_peer_counts::max_row_size);  // capped
}

TEST_CASE("source counts: a full shard's other sources do not push a new source over the limit",
          "[core][source_counts]") {
  // 100,000 peers from 10,000 sources of 10 each, a limit of 100: rows of 65,536 counters, so a
  // counter holds 1.5 peers of others on average. Each of 200 new sources gets within 16 of its
  // 100 places (with rows of 16 counters per limit share, as first written, 4 of them did not),
  // and one at its limit is refused.
  constexpr std::uint32_t limit = 100;
  source_peer_counts counts(limit, 100'000, ipv6_bits, test_key);
  for (std::uint32_t source = 0; source < 10'000; ++source) {
    for (std::uint16_t peer = 0; peer < 10; ++peer) REQUIRE(add(counts, v4(source, peer)));
  }
  std::uint32_t refused_early = 0;
  for (std::uint32_t fresh = 1'000'000; fresh < 1'000'200; ++fresh) {
    std::uint32_t placed = 0;
    while (placed < limit && add(counts, v4(fresh, static_cast<std::uint16_t>(placed)))) ++placed;
    if (placed < limit - 16) ++refused_early;  // more than limit / 6 short
    // Back out, so that the next one meets the same shard.
    for (std::uint32_t p = 0; p < placed; ++p) remove(counts, v4(fresh, static_cast<std::uint16_t>(p)));
  }
  CHECK(refused_early == 0);
  // And one at its limit is refused.
  for (std::uint32_t p = 0; p < limit; ++p) REQUIRE(add(counts, v4(2'000'000, static_cast<std::uint16_t>(p))));
  CHECK_FALSE(add(counts, v4(2'000'000, 999)));
}
