#pragma once
// Scrapes waiting for their parts. A scrape whose hashes live in several shards is split into one
// part per hash; the socket worker that split it keeps the entry here and answers once every part
// is back. Bounded: at most `capacity` entries; an entry whose parts do not all come back (a
// channel was full) expires after `max_age_seconds` and its slot is reused. An id carries a
// generation, so a late part for a reused slot is recognised and ignored.
//
// Thread safety: none; owned by one socket worker.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include <boost/container/static_vector.hpp>

#include "tracker/proto/udp_codec.hpp"
#include "tracker/runtime/shard_messages.hpp"

namespace riptide::udp {

class pending_scrapes {
 public:
  struct entry {
    runtime::reply_route route;
    boost::container::static_vector<proto::udp::scrape_entry, proto::udp::max_scrape_hashes> results;
    std::uint8_t missing = 0;
    std::uint32_t opened_at = 0;
    std::uint64_t generation = 0;  // 48 bits used: never wraps in practice
    bool in_use = false;
  };

  explicit pending_scrapes(std::size_t capacity);  // at most 65536 entries, made on first need

  // A new entry for `hash_count` results (all zeros until filled), or nullopt when full.
  std::optional<std::uint64_t> open(const runtime::reply_route& route, std::size_t hash_count, std::uint32_t now);

  // Stores one part; returns the entry when that was its last missing part (still open: the caller
  // answers, then closes it). Unknown ids, stale generations and repeated indices are ignored.
  entry* fill(std::uint64_t id, std::size_t index, const proto::udp::scrape_entry& result);

  void close(std::uint64_t id);

  // Closes entries older than `max_age_seconds`; returns how many.
  std::size_t expire(std::uint32_t now, std::uint32_t max_age_seconds);

  std::size_t open_count() const { return open_count_; }

 private:
  entry* lookup(std::uint64_t id);

  std::size_t capacity_;
  std::vector<entry> entries_;  // grows on demand up to capacity_
  std::deque<std::uint16_t> free_slots_;  // reused first in, first out
  // Which indices of each entry are filled: a repeated part must not count twice.
  std::vector<std::array<std::uint64_t, 2>> filled_;
  std::size_t open_count_ = 0;
};

}  // namespace riptide::udp
