#pragma once
// The completed counts of torrents left without peers, kept for a while.
//
// A torrent's map entry and peer block go with its last peer: memory follows live peers. Its
// count of completed downloads (what a scrape reports as `downloaded`) stays here instead, so a
// scrape still shows it, and the torrent continues from it when a peer comes back. Most torrents
// have a peer or two, so without this a torrent's count would start again from 0 each time its
// last peer left for a moment. opentracker keeps such a torrent for a day.
//
// An entry costs a slot of the map (a 20-byte hash and 8 bytes), no allocation of its own.
// Bounded: at most `max_entries` counts; beyond, an emptied torrent's count is dropped, as it
// was before counts were kept at all. Nothing is evicted to make room: a flood of torrents that
// each had a download (two announces apiece) can hold the table for one retention time, which
// costs the real torrents emptied meanwhile only what they always lost before. Hashes are keyed
// (SipHash) as in the torrent maps: clients choose info hashes.
//
// A count goes at the first expire() at or after its time (the shard's cleaning); until then it
// is still found and taken back.
//
// Pure: time (seconds on the tracker's monotonic clock) comes in.
// Thread safety: none. It belongs to the shard that owns the torrents.

#include <cstddef>
#include <cstdint>

#include <boost/unordered/unordered_flat_map.hpp>

#include "tracker/core/endpoint_hash.hpp"
#include "tracker/core/map_shrinking.hpp"
#include "tracker/core/siphash.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::core {

class emptied_torrent_counts {
 public:
  // `retention_seconds` 0 keeps nothing.
  emptied_torrent_counts(std::uint32_t retention_seconds, std::uint64_t max_entries, siphash_key hash_key)
      : retention_seconds_(retention_seconds),
        max_entries_(max_entries),
        counts_(0, keyed_info_hash_hasher{hash_key}) {}

  // The torrent lost its last peer with `completed` downloads counted: kept until
  // now + retention. A count of 0 needs no entry.
  void keep(const proto::info_hash& hash, std::uint32_t completed, std::uint32_t now) {
    if (completed == 0 || retention_seconds_ == 0) return;
    if (counts_.size() >= max_entries_ && !counts_.contains(hash)) return;
    counts_[hash] = kept_count{completed, now + retention_seconds_};
  }

  // The count kept for the torrent (0 if none), which leaves: the torrent has peers again and
  // counts on from it.
  std::uint32_t take(const proto::info_hash& hash) {
    const auto it = counts_.find(hash);
    if (it == counts_.end()) return 0;
    const std::uint32_t completed = it->second.completed;
    counts_.erase(it);
    return completed;
  }

  // The count kept for the torrent, 0 if none (a scrape of a torrent without peers).
  std::uint32_t find(const proto::info_hash& hash) const {
    const auto it = counts_.find(hash);
    return it == counts_.end() ? 0 : it->second.completed;
  }

  // Drops the counts kept until `now` or earlier; returns how many went.
  std::size_t expire(std::uint32_t now) {
    const std::size_t removed =
        boost::unordered::erase_if(counts_, [now](const auto& entry) { return entry.second.kept_until <= now; });
    shrink_map_if_sparse(counts_);
    return removed;
  }

  std::size_t size() const { return counts_.size(); }
  std::size_t capacity() const { return counts_.bucket_count(); }  // slots of the map's array

 private:
  struct kept_count {
    std::uint32_t completed;
    std::uint32_t kept_until;  // seconds on the tracker's clock
  };

  std::uint32_t retention_seconds_;
  std::uint64_t max_entries_;
  boost::unordered_flat_map<proto::info_hash, kept_count, keyed_info_hash_hasher> counts_;
};

}  // namespace riptide::core
