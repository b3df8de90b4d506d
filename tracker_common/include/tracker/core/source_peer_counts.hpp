#pragma once
// How many peers each source holds in one shard and address family, so that one source cannot
// take the shard's whole max_peers and leave nothing to everyone else. A source is an IPv4
// address, or an IPv6 prefix (a /56 by default: what a home customer is given, RIPE-690; counting
// addresses, or /64s, would let one customer count as 2^64, or 256, sources). A holder of a /48
// is still 256 sources of /56: the bound makes one client, not every attacker, unable to fill
// the tracker.
//
// Counted in a count-min sketch: two rows of counters; a source is counted in one counter of each
// row, picked by a keyed hash (so that sources cannot be chosen to collide), and its count is the
// smaller of the two. Nothing is allocated per source (a map of sources would take tens of bytes
// for each, as much as the peers themselves), and memory is fixed when the shard is made: rows of
// 64 * max_peers / limit counters (a power of two, at least 1,024 and at most 2^21), so 64 KiB at
// tracker_udp's defaults and at most 16 MiB.
// A count is never below the source's true count. It is above it by what the other sources
// counted in the same two counters hold: about limit / 64 when the shard is full, more for a
// source whose two counters both meet sources with many peers (a source with few peers is then
// refused early; the chance falls as the square of the share of counters such sources take).
//
// Pure: no I/O. One owner (the shard), no locking.

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tracker/core/siphash.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::core {

class source_peer_counts {
 public:
  static constexpr std::size_t min_row_size = std::size_t{1} << 10;
  static constexpr std::size_t max_row_size = std::size_t{1} << 21;
  // A row has this many counters for every `limit` peers the shard may hold: in a full shard the
  // average counter then holds limit / 64.
  static constexpr std::uint64_t counters_per_limit_share = 64;
  // The IPv6 prefixes a source may be: from a /32 (a whole provider) to a /64 (one network).
  static constexpr unsigned min_ipv6_prefix_bits = 32;
  static constexpr unsigned max_ipv6_prefix_bits = 64;
  static constexpr unsigned default_ipv6_prefix_bits = 56;

  // Below this many peers per source among `max_peers` the rows would have to be longer than
  // max_row_size to keep that average: configurations refuse such limits.
  static constexpr std::uint64_t smallest_limit(std::uint64_t max_peers) {
    return (counters_per_limit_share * max_peers + max_row_size - 1) / max_row_size;
  }

  // Counters in each row for `limit` peers per source among up to `max_peers`.
  static std::size_t row_size_for(std::uint32_t limit, std::uint64_t max_peers) {
    if (limit == 0) return 0;
    const std::uint64_t wanted = counters_per_limit_share * max_peers / limit;
    return std::clamp<std::size_t>(std::bit_ceil(std::max<std::uint64_t>(wanted, 1)), min_row_size, max_row_size);
  }

  // A source's two counters, found once per announce (one keyed hash) and used for the check and
  // the count.
  struct slot {
    std::size_t first = 0;   // in the first row
    std::size_t second = 0;  // in the second
  };

  // `limit` peers per source, among up to `max_peers`, an IPv6 source being its first
  // `ipv6_prefix_bits` bits; limit 0: no limit (nothing is counted, and no memory taken).
  source_peer_counts(std::uint32_t limit, std::uint64_t max_peers, unsigned ipv6_prefix_bits, const siphash_key& key)
      : limit_(limit),
        ipv6_prefix_bits_(std::clamp(ipv6_prefix_bits, min_ipv6_prefix_bits, max_ipv6_prefix_bits)),
        row_size_(row_size_for(limit, max_peers)),
        key_(key),
        counters_(2 * row_size_, 0) {}

  bool limited() const { return limit_ != 0; }

  // The counters of the source of `endpoint` (its address, or its IPv6 prefix); unused without a
  // limit.
  template <typename Endpoint>
  slot slot_of(const Endpoint& endpoint) const {
    if (!limited()) return {};
    std::array<std::uint8_t, 8> source{};
    std::size_t bytes = 4;
    if constexpr (Endpoint::address_size == 4) {
      std::copy_n(endpoint.address.begin(), 4, source.begin());
    } else {
      bytes = 8;
      std::copy_n(endpoint.address.begin(), 8, source.begin());
      // Bits past the prefix are zero: every address of the prefix is the same source.
      const std::uint64_t keep = ~std::uint64_t{0} << (max_ipv6_prefix_bits - ipv6_prefix_bits_);
      for (std::size_t i = 0; i < 8; ++i) source[i] &= static_cast<std::uint8_t>(keep >> (56 - 8 * i));
    }
    const std::uint64_t hash = siphash13(key_, std::span<const std::uint8_t>(source.data(), bytes));
    // The two halves of the hash pick a counter in each row.
    return {static_cast<std::size_t>(hash) & (row_size_ - 1),
            row_size_ + (static_cast<std::size_t>(hash >> 32) & (row_size_ - 1))};
  }

  // Whether the source may have one more peer.
  bool may_add(const slot& source) const {
    return !limited() || std::min(counters_[source.first], counters_[source.second]) < limit_;
  }

  void added(const slot& source) {
    if (!limited()) return;
    for (const std::size_t counter : {source.first, source.second}) {
      if (counters_[counter] != UINT32_MAX) ++counters_[counter];
    }
  }

  void removed(const slot& source) {
    if (!limited()) return;
    for (const std::size_t counter : {source.first, source.second}) {
      assert(counters_[counter] != 0 && "a peer removed that was never counted");
      if (counters_[counter] != 0) --counters_[counter];
    }
  }

 private:
  std::uint32_t limit_;
  unsigned ipv6_prefix_bits_;
  std::size_t row_size_;  // a power of two; 0 without a limit
  siphash_key key_;
  std::vector<std::uint32_t> counters_;  // two rows of row_size_
};

}  // namespace riptide::core
