#pragma once
// Scrapes waiting for their parts. A scrape whose hashes live in several shards is split into
// parts (tracker_udp sends one per hash, tracker_ws one per shard); the socket worker that split it
// keeps the entry here, fills each hash's result as its part comes back (or at once, for a hash it
// answers itself: one the access list refuses) and answers once every hash is filled. Bounded: at most `capacity` entries; an entry whose parts do not all come back (a
// channel was full) expires after `max_age_seconds` and its slot is reused. An id carries a
// generation, so a late part for a reused slot is recognised and ignored.
//
// `Route` says where the answer goes (a UDP reply route, a WebSocket connection), `Result` is one
// hash's counts, `MaxParts` (at most 128) the most hashes one scrape may have.
//
// Thread safety: none; owned by one socket worker.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include <boost/container/static_vector.hpp>

namespace riptide::runtime {

template <typename Route, typename Result, std::size_t MaxParts>
class pending_scrapes {
  static_assert(MaxParts > 0 && MaxParts <= 128);

 public:
  struct entry {
    Route route{};
    boost::container::static_vector<Result, MaxParts> results;
    std::uint8_t missing = 0;
    std::uint32_t opened_at = 0;
    std::uint64_t generation = 0;  // 48 bits used: never wraps in practice
    bool in_use = false;
  };

  explicit pending_scrapes(std::size_t capacity) : capacity_(capacity < 65536 ? capacity : 65536) {}

  // A new entry for `part_count` results (all value-initialised until filled), or nullopt when full.
  std::optional<std::uint64_t> open(const Route& route, std::size_t part_count, std::uint32_t now) {
    if (part_count == 0 || part_count > MaxParts) return std::nullopt;
    // Slots are made on first need: a tracker whose scrapes complete at once (one thread owning
    // every torrent) never holds more than a batch of them.
    if (free_slots_.empty()) {
      if (entries_.size() >= capacity_) return std::nullopt;
      free_slots_.push_back(static_cast<std::uint16_t>(entries_.size()));
      entries_.emplace_back();
      filled_.emplace_back();
    }
    const std::uint16_t slot = free_slots_.front();
    free_slots_.pop_front();
    entry& opened = entries_[slot];
    opened.route = route;
    opened.results.assign(part_count, Result{});
    opened.missing = static_cast<std::uint8_t>(part_count);
    opened.opened_at = now;
    opened.in_use = true;
    filled_[slot] = {0, 0};
    ++open_count_;
    return (opened.generation << 16) | slot;
  }

  // Stores one part; returns the entry when that was its last missing part (still open: the caller
  // answers, then closes it). Unknown ids, stale generations and repeated indices are ignored.
  entry* fill(std::uint64_t id, std::size_t index, const Result& result) {
    entry* found = lookup(id);
    if (found == nullptr || index >= found->results.size()) return nullptr;
    auto& bits = filled_[id & 0xffff];
    const std::uint64_t bit = std::uint64_t{1} << (index % 64);
    if ((bits[index / 64] & bit) != 0) return nullptr;
    bits[index / 64] |= bit;
    found->results[index] = result;
    --found->missing;
    return found->missing == 0 ? found : nullptr;
  }

  // The open entry `id` names, or nullptr (closed, or stale).
  const entry* find(std::uint64_t id) const {
    const std::uint64_t slot = id & 0xffff;
    if (slot >= entries_.size()) return nullptr;
    const entry& found = entries_[slot];
    if (!found.in_use || found.generation != id >> 16) return nullptr;
    return &found;
  }

  // Frees the entry; false when `id` was not open (already closed, or stale).
  bool close(std::uint64_t id) {
    entry* found = lookup(id);
    if (found == nullptr) return false;
    found->in_use = false;
    ++found->generation;  // late parts for this id are now stale
    free_slots_.push_back(static_cast<std::uint16_t>(id & 0xffff));
    --open_count_;
    return true;
  }

  // Closes entries older than `max_age_seconds`; returns how many.
  std::size_t expire(std::uint32_t now, std::uint32_t max_age_seconds) {
    std::size_t expired = 0;
    for (std::size_t slot = 0; slot < entries_.size(); ++slot) {
      entry& candidate = entries_[slot];
      if (!candidate.in_use || now - candidate.opened_at <= max_age_seconds) continue;
      close((candidate.generation << 16) | slot);
      ++expired;
    }
    return expired;
  }

  std::size_t open_count() const { return open_count_; }

 private:
  entry* lookup(std::uint64_t id) { return const_cast<entry*>(find(id)); }

  std::size_t capacity_;
  std::vector<entry> entries_;            // grows on demand up to capacity_
  std::deque<std::uint16_t> free_slots_;  // reused first in, first out
  // Which indices of each entry are filled: a repeated part must not count twice.
  std::vector<std::array<std::uint64_t, 2>> filled_;
  std::size_t open_count_ = 0;
};

}  // namespace riptide::runtime
