#pragma once
// The peers of one torrent in one address family, and the rules of an announce.
// Pure: time is passed in (seconds on the tracker's monotonic clock), randomness too.
//
// Data layout, chosen for memory per peer (most torrents have one or two peers, and a tracker
// holds millions of torrents):
//   - the swarm object is one unaligned pointer (8 bytes), so a torrent map slot is 28 bytes; it
//     points to one malloc'd block: a 24-byte header (counts, index), then {endpoint, expiry} per peer,
//     8 bytes a peer for IPv4, 20 for IPv6, seeders first, leechers after. Counts are kept,
//     never recounted. The block grows by a quarter, to what malloc really handed out
//     (malloc_usable_size): a torrent with one or two IPv4 peers costs one 48-byte chunk.
//   - expiry is 16 bits of coarse time (see coarse_clock), compared modulo 2^16.
//   - swarms past `index_threshold` peers get a position_index (2 or 4 bytes a slot), dropped again
//     when they shrink below `index_drop_threshold`; smaller ones are searched linearly, which for
//     a few dozen 8-byte entries is as fast as hashing.
// Removal moves the last peer of the partition into the hole (and keeps the partition intact).
//
// A peer is keyed by (address, port): its peer id is not trusted, so nobody can replace another's
// entry by reusing that peer's id.
//
// Thread safety: none. A swarm belongs to the request worker that owns its shard.

#include <malloc.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

#include "tracker/core/endpoint_hash.hpp"
#include "tracker/core/peer_event.hpp"
#include "tracker/core/position_index.hpp"
#include "tracker/core/seeders_first.hpp"

namespace riptide::core {

// Peer expiry in 16 bits: seconds >> shift, compared modulo 2^16. The shift is the smallest that
// keeps a peer timeout below 2^14 units, so expiry is exact to the second for timeouts up to
// 4.5 hours and exact to 2^shift seconds beyond. A comparison is right while the two times are
// less than 2^15 units apart: a live peer's expiry is at most 2^14 units ahead, and an expired one
// is removed by the next cleaning (at most an hour later, less than 2^14 units).
using coarse_time = std::uint16_t;

class coarse_clock {
 public:
  explicit coarse_clock(std::uint32_t peer_timeout_seconds)
      : shift_(std::bit_width(peer_timeout_seconds) > 14 ? static_cast<unsigned>(std::bit_width(peer_timeout_seconds)) - 14 : 0) {}
  coarse_time at(std::uint32_t seconds) const { return static_cast<coarse_time>(seconds >> shift_); }
  unsigned shift() const { return shift_; }

 private:
  unsigned shift_;
};

// True when `expiry` has come at `now` (expiry <= now, modulo 2^16).
inline bool has_expired(coarse_time expiry, coarse_time now) {
  return static_cast<std::int16_t>(static_cast<coarse_time>(expiry - now)) <= 0;
}

template <typename Endpoint>
struct peer_entry {
  Endpoint endpoint;
  coarse_time expires_at = 0;
};

template <typename Endpoint>
struct swarm_announce {
  Endpoint endpoint;
  bool seeder = false;  // left == 0
  peer_event event = peer_event::none;
  coarse_time expires_at = 0;
  std::size_t peers_wanted = 0;  // already capped by the caller
};

// How the tracker-wide peer counts changed.
struct peer_count_change {
  std::int64_t seeders = 0;
  std::int64_t leechers = 0;
  bool refused = false;  // a new peer that may_add() refused: nothing changed
};

template <typename Endpoint>
class swarm {
  using entry = peer_entry<Endpoint>;
  static_assert(std::is_trivially_copyable_v<entry>, "peers are moved with memcpy/realloc");

 public:
  static constexpr std::uint32_t index_threshold = 32;
  static constexpr std::uint32_t index_drop_threshold = 16;

  swarm() = default;
  ~swarm() { release(); }
  swarm(const swarm&) = delete;
  swarm& operator=(const swarm&) = delete;
  swarm(swarm&& other) noexcept {
    set_block(other.block_ptr());
    other.set_block(nullptr);
  }
  swarm& operator=(swarm&& other) noexcept {
    if (this != &other) {
      release();
      set_block(other.block_ptr());
      other.set_block(nullptr);
    }
    return *this;
  }

  std::size_t seeders() const { return block_ptr() != nullptr ? block_ptr()->seeders : 0; }
  std::size_t leechers() const { return block_ptr() != nullptr ? block_ptr()->size - block_ptr()->seeders : 0; }
  std::size_t peers() const { return block_ptr() != nullptr ? block_ptr()->size : 0; }
  std::uint32_t completed() const { return block_ptr() != nullptr ? block_ptr()->completed : 0; }
  bool empty() const { return peers() == 0; }
  // Adds downloads counted before this swarm (kept while the torrent had no peers); nothing for
  // a swarm without peers, which has no block to count in.
  void add_completed(std::uint32_t count) {
    block* const block_ = block_ptr();
    if (block_ == nullptr) return;
    block_->completed = count > UINT32_MAX - block_->completed ? UINT32_MAX : block_->completed + count;
  }

  // Applies an announce and appends up to `peers_wanted` other peers to `peers_out`: distinct,
  // never the announcer, and only leechers for a seeder (a seeder has no use for seeders).
  // A stopped announce removes the peer and returns no peers. `may_add()` is asked only for a
  // peer not here yet: false refuses it, and nothing changes.
  template <typename Random, typename MayAdd>
  peer_count_change announce(const swarm_announce<Endpoint>& request, const keyed_endpoint_hasher& hasher,
                             Random& random, std::vector<Endpoint>& peers_out, MayAdd&& may_add) {
    peer_count_change change;
    const std::optional<std::uint32_t> found = find(request.endpoint);

    if (request.event == peer_event::stopped) {
      if (found) remove_at(*found, change);
      return change;
    }

    if (!found && !may_add()) {
      change.refused = true;
      return change;
    }
    const bool was_seeder = found && *found < block_ptr()->seeders;
    if (!found) {
      insert(request.endpoint, request.seeder, request.expires_at, change, hasher);
    } else if (was_seeder != request.seeder) {
      remove_at(*found, change);
      insert(request.endpoint, request.seeder, request.expires_at, change, hasher);
    } else {
      block_ptr()->peers()[*found].expires_at = request.expires_at;
    }
    // A download counts once: a `completed` event from a peer that now has everything (left == 0)
    // and was not already a seeder. A leecher repeating `completed` cannot inflate the count.
    // (insert may have moved the block: read the pointer again)
    if (request.event == peer_event::completed && request.seeder && !was_seeder) ++block_ptr()->completed;

    select_peers(request.endpoint, request.seeder, request.peers_wanted, random, peers_out);
    return change;
  }

  template <typename Random>
  peer_count_change announce(const swarm_announce<Endpoint>& request, const keyed_endpoint_hasher& hasher,
                             Random& random, std::vector<Endpoint>& peers_out) {
    return announce(request, hasher, random, peers_out, [] { return true; });
  }

  // Drops every peer whose expiry has passed, telling `on_removed(endpoint)` of each.
  template <typename OnRemoved>
  peer_count_change remove_expired(coarse_time now, const keyed_endpoint_hasher& hasher, OnRemoved&& on_removed) {
    block* const block_ = block_ptr();
    if (block_ == nullptr) return {};
    entry* peers = block_->peers();
    std::uint32_t kept = 0;
    const auto keep_unless_expired = [&](std::uint32_t i) {
      if (has_expired(peers[i].expires_at, now)) {
        on_removed(peers[i].endpoint);
      } else {
        peers[kept++] = peers[i];
      }
    };
    for (std::uint32_t i = 0; i < block_->seeders; ++i) keep_unless_expired(i);
    const std::uint32_t kept_seeders = kept;
    for (std::uint32_t i = block_->seeders; i < block_->size; ++i) keep_unless_expired(i);
    const peer_count_change change{-static_cast<std::int64_t>(block_->seeders - kept_seeders),
                                   -static_cast<std::int64_t>((block_->size - block_->seeders) - (kept - kept_seeders))};
    if (kept != block_->size) {
      block_->seeders = kept_seeders;
      block_->size = kept;
      drop_index();
      build_index_if_large(hasher);
      shrink_if_sparse();
    }
    return change;
  }

  std::span<const entry> seeder_list() const {
    block* const block_ = block_ptr();
    return block_ != nullptr ? std::span<const entry>(block_->peers(), block_->seeders) : std::span<const entry>();
  }
  std::span<const entry> leecher_list() const {
    block* const block_ = block_ptr();
    return block_ != nullptr ? std::span<const entry>(block_->peers() + block_->seeders, block_->size - block_->seeders)
                             : std::span<const entry>();
  }
  bool has_index() const { return block_ptr() != nullptr && block_ptr()->index != nullptr; }

 private:
  using index_type = position_index<entry>;

  // Everything of a swarm in one malloc'd block: a 24-byte header, then the peers,
  // seeders first ([0, seeders)), leechers after ([seeders, size)).
  struct block {
    std::uint32_t size;
    std::uint32_t capacity;
    std::uint32_t seeders;
    std::uint32_t completed;
    index_type* index;  // owned; only for swarms of more than index_threshold peers

    entry* peers() { return reinterpret_cast<entry*>(this + 1); }
    const entry* peers() const { return reinterpret_cast<const entry*>(this + 1); }
  };
  static_assert(sizeof(block) % alignof(entry) == 0);

  void release() {
    block* const block_ = block_ptr();
    if (block_ == nullptr) return;
    delete block_->index;
    std::free(block_);
    set_block(nullptr);
  }

  void drop_index() {
    block* const block_ = block_ptr();
    delete block_->index;
    block_->index = nullptr;
  }

  std::optional<std::uint32_t> find(const Endpoint& endpoint) const {
    block* const block_ = block_ptr();
    if (block_ == nullptr) return std::nullopt;
    const entry* peers = block_->peers();
    if (block_->index != nullptr) return block_->index->find(peers, endpoint);
    for (std::uint32_t i = 0; i < block_->size; ++i) {
      if (peers[i].endpoint == endpoint) return i;
    }
    return std::nullopt;
  }

  // Sizes the block for `capacity` peers, keeping what is in it; the capacity becomes whatever
  // malloc really handed out.
  void resize_block(std::size_t capacity) {
    const bool fresh = block_ptr() == nullptr;
    void* resized = std::realloc(block_ptr(), sizeof(block) + capacity * sizeof(entry));
    if (resized == nullptr) throw std::bad_alloc();
    // Ask for what malloc handed out, so that using all of it is a proper allocation (glibc
    // returns the same block at once; other allocators may move it, which is fine too).
    const std::size_t usable = ::malloc_usable_size(resized);
    if (void* exact = std::realloc(resized, usable); exact != nullptr) resized = exact;
    set_block(static_cast<block*>(resized));
    block* const block_ = block_ptr();
    if (fresh) *block_ = block{0, 0, 0, 0, nullptr};
    block_->capacity = static_cast<std::uint32_t>((::malloc_usable_size(resized) - sizeof(block)) / sizeof(entry));
  }

  void reserve_one_more() {
    block* const block_ = block_ptr();
    if (block_ != nullptr && block_->size < block_->capacity) return;
    // Growth by a quarter (and at least one chunk step) keeps the unused tail small: memory per
    // peer is what a tracker runs out of, and the copies this costs are amortised over many
    // announces of the same peers.
    resize_block(block_ == nullptr ? 1 : std::size_t{block_->capacity} + block_->capacity / 4 + 2);
  }

  // A swarm that was large once must not keep its memory forever; an empty one keeps none.
  void shrink_if_sparse() {
    block* const block_ = block_ptr();
    if (block_->size == 0) {
      if (block_->completed == 0) release();
      return;
    }
    if (block_->capacity <= 8 || block_->size >= block_->capacity / 4) return;
    resize_block(std::size_t{block_->size} * 2);
  }

  // Moves the peer at `from` to `to` (the old content of `to` is gone) and keeps the index right.
  void move_peer(std::uint32_t from, std::uint32_t to) {
    block* const block_ = block_ptr();
    entry* peers = block_->peers();
    peers[to] = peers[from];
    if (block_->index != nullptr) block_->index->relocate(peers, from, to);
  }

  void insert(const Endpoint& endpoint, bool seeder, coarse_time expires_at, peer_count_change& change,
              const keyed_endpoint_hasher& hasher) {
    reserve_one_more();  // may move the block: take the pointer after it
    block* const block_ = block_ptr();
    const std::uint32_t position = seeders_first::slot_for_new_peer(
        block_->seeders, block_->size, seeder, [this](std::uint32_t from, std::uint32_t to) { move_peer(from, to); });
    ++(seeder ? change.seeders : change.leechers);
    ++block_->size;
    block_->peers()[position] = entry{endpoint, expires_at};
    if (block_->index != nullptr) {
      block_->index->insert(block_->peers(), position, block_->size);
    } else {
      build_index_if_large(hasher);
    }
  }

  void remove_at(std::uint32_t position, peer_count_change& change) {
    block* const block_ = block_ptr();
    if (block_->index != nullptr) block_->index->erase(block_->peers(), position);
    --(position < block_->seeders ? change.seeders : change.leechers);
    seeders_first::remove_at(block_->seeders, block_->size, position,
                             [this](std::uint32_t from, std::uint32_t to) { move_peer(from, to); });
    --block_->size;
    if (block_->index != nullptr && block_->size < index_drop_threshold) drop_index();
    shrink_if_sparse();
  }

  void build_index_if_large(const keyed_endpoint_hasher& hasher) {
    block* const block_ = block_ptr();
    if (block_ == nullptr || block_->index != nullptr || block_->size <= index_threshold) return;
    block_->index = new index_type(block_->peers(), block_->size, hasher);
  }

  // Takes a window of consecutive candidates starting at a random position, wrapping around and
  // skipping the announcer: distinct by construction, and as random as the swap-on-remove order.
  template <typename Random>
  void select_peers(const Endpoint& self, bool self_is_seeder, std::size_t wanted, Random& random,
                    std::vector<Endpoint>& out) const {
    const block* const block_ = block_ptr();
    if (block_ == nullptr) return;
    const entry* candidates = block_->peers() + (self_is_seeder ? block_->seeders : 0);
    const std::size_t total = block_->size - (self_is_seeder ? block_->seeders : 0);
    if (wanted == 0 || total == 0) return;
    // One allocation for the reply, not a doubling series of them.
    out.reserve(out.size() + std::min(wanted, total));
    std::size_t start = 0;
    if (wanted < total) start = std::uniform_int_distribution<std::size_t>(0, total - 1)(random);
    // [start, total) and then [0, start): two straight runs, no division per candidate.
    std::size_t taken = 0;
    const auto take_run = [&](std::size_t from, std::size_t to) {
      for (std::size_t i = from; i < to && taken < wanted; ++i) {
        const Endpoint& candidate = candidates[i].endpoint;
        if (candidate == self) continue;
        out.push_back(candidate);
        ++taken;
      }
    };
    take_run(start, total);
    take_run(0, start);
  }

  // The block pointer, stored as 8 bytes of alignment 1: a torrent map slot is then 20 + 8 = 28
  // bytes instead of 32 (an aligned pointer would pad the 20-byte key). Loading it is one
  // unaligned move.
  block* block_ptr() const {
    block* pointer;
    std::memcpy(&pointer, raw_block_, sizeof pointer);
    return pointer;
  }
  void set_block(block* pointer) { std::memcpy(raw_block_, &pointer, sizeof pointer); }

  unsigned char raw_block_[sizeof(void*)] = {};  // null for a swarm with no block
};

}  // namespace riptide::core
