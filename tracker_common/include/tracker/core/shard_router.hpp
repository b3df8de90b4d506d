#pragma once
// Which request worker owns an info hash. A keyed hash under a random per-process key, never the
// first bytes of the hash: a client chooses its info hashes, and must not be able to pile them all
// onto one worker. Thread safety: immutable; shared by every socket worker.

#include <cstdint>

#include "tracker/core/siphash.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::core {

class shard_router {
 public:
  shard_router(siphash_key key, std::uint32_t shard_count) : key_(key), shard_count_(shard_count) {}

  std::uint32_t shard_of(const proto::info_hash& hash) const {
    if (shard_count_ == 1) return 0;  // one thread owns every torrent: nothing to choose
    // The bias of a 64-bit hash modulo a few hundred workers is below 2^-50: nothing to exploit.
    return static_cast<std::uint32_t>(siphash13(key_, hash.bytes) % shard_count_);
  }

  std::uint32_t shard_count() const { return shard_count_; }

 private:
  siphash_key key_;
  std::uint32_t shard_count_;
};

// Shard `index`'s part of a tracker-wide bound split over `shard_count` shards: the parts differ
// by at most one and add up to `total` exactly (never more, as rounding each part up would).
constexpr std::uint64_t share_of_total(std::uint64_t total, std::uint64_t shard_count, std::uint64_t index) {
  return total / shard_count + (index < total % shard_count ? 1 : 0);
}

}  // namespace riptide::core
