#pragma once
// How many peers each source holds in one shard and address family, so that one source cannot
// take the shard's whole max_peers and leave nothing to everyone else. A source is an IPv4
// address, or the /64 prefix of an IPv6 address (what one host, or one customer, is given: a
// per-address count would let an IPv6 client use 2^64 addresses).
//
// Counted in a count-min sketch: two rows of counters; a source is counted in one counter of each
// row, picked by a keyed hash (so that sources cannot be chosen to collide), and its count is the
// smaller of the two. Nothing is allocated per source (a map of sources would take tens of bytes
// for each, as much as the peers themselves), and memory is fixed: rows of 64 * max_peers / limit
// counters (a power of two, at least 1,024 and at most 2^21), 64 KiB at tracker_udp's defaults.
// A count is never below the source's true count. It is above it by what the other sources
// counted in the same two counters hold: about limit / 64 when the shard is full, more for a
// source whose two counters both meet sources with many peers (a source with few peers is then
// refused early; the chance falls as the square of the share of counters such sources take).
//
// Pure: no I/O. One owner (the shard), no locking.

#include <algorithm>
#include <array>
#include <bit>
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

  // `limit` peers per source, among up to `max_peers`; limit 0: no limit (nothing is counted,
  // and no memory taken).
  source_peer_counts(std::uint32_t limit, std::uint64_t max_peers, const siphash_key& key)
      : limit_(limit), row_size_(row_size_for(limit, max_peers)), key_(key), counters_(2 * row_size_, 0) {}

  // Whether `source` may have one more peer.
  template <typename Endpoint>
  bool may_add(const Endpoint& source) const {
    if (limit_ == 0) return true;
    const auto [first, second] = counters_of(source);
    return std::min(counters_[first], counters_[second]) < limit_;
  }

  template <typename Endpoint>
  void added(const Endpoint& source) {
    if (limit_ == 0) return;
    for (const std::size_t counter : counters_of(source)) {
      if (counters_[counter] != UINT32_MAX) ++counters_[counter];
    }
  }

  template <typename Endpoint>
  void removed(const Endpoint& source) {
    if (limit_ == 0) return;
    for (const std::size_t counter : counters_of(source)) {
      if (counters_[counter] != 0) --counters_[counter];
    }
  }

 private:
  // The source's counter in the first row and in the second: the two halves of one keyed hash.
  template <typename Endpoint>
  std::array<std::size_t, 2> counters_of(const Endpoint& endpoint) const {
    // IPv4: the address; IPv6: its /64 prefix.
    constexpr std::size_t source_bytes = Endpoint::address_size == 4 ? 4 : 8;
    const std::uint64_t hash =
        siphash13(key_, std::span<const std::uint8_t>(endpoint.address.data(), source_bytes));
    return {static_cast<std::size_t>(hash) & (row_size_ - 1),
            row_size_ + (static_cast<std::size_t>(hash >> 32) & (row_size_ - 1))};
  }

  std::uint32_t limit_;
  std::size_t row_size_;  // a power of two; 0 without a limit
  siphash_key key_;
  std::vector<std::uint32_t> counters_;  // two rows of row_size_
};

}  // namespace riptide::core
