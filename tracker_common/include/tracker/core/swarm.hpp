#pragma once
// The peers of one torrent in one address family, and the rules of an announce.
// Pure: time is passed in (seconds on the tracker's monotonic clock), randomness too.
//
// Data layout, chosen for memory per peer (most torrents have one or two peers, and a tracker
// holds millions of torrents):
//   - one heap array of {endpoint, expiry} per swarm: 12 bytes a peer for IPv4, 24 for IPv6,
//     seeders first ([0, seeders)), leechers after ([seeders, size)); counts are kept, never
//     recounted. The array grows to what malloc really handed out (malloc_usable_size), so a
//     swarm of one or two IPv4 peers costs one 32-byte chunk.
//   - the swarm object itself is 32 bytes: pointer, four 32-bit counts, and an index pointer.
//   - swarms past `index_threshold` peers get an index (endpoint -> position), dropped again when
//     they shrink below `index_drop_threshold`; smaller ones are searched linearly, which for a
//     handful of 12-byte entries is faster than any hash.
// Removal moves the last peer of the partition into the hole (and keeps the partition intact).
//
// A peer is keyed by (address, port): its peer id is not trusted, so nobody can replace another's
// entry by reusing that peer's id.
//
// Thread safety: none. A swarm belongs to the request worker that owns its shard.

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "tracker/core/endpoint_hash.hpp"

namespace riptide::core {

template <typename Endpoint>
struct peer_entry {
  Endpoint endpoint;
  std::uint32_t expires_at = 0;
};

// What an announce asks of a swarm, already checked by the caller.
enum class peer_event : std::uint8_t { none, started, completed, stopped, paused };

template <typename Endpoint>
struct swarm_announce {
  Endpoint endpoint;
  bool seeder = false;  // left == 0
  peer_event event = peer_event::none;
  std::uint32_t expires_at = 0;
  std::size_t peers_wanted = 0;  // already capped by the caller
};

// How the tracker-wide peer counts changed.
struct peer_count_change {
  std::int64_t seeders = 0;
  std::int64_t leechers = 0;
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
  swarm(swarm&& other) noexcept
      : peers_(other.peers_),
        size_(other.size_),
        capacity_(other.capacity_),
        seeders_(other.seeders_),
        completed_(other.completed_),
        index_(other.index_) {
    other.peers_ = nullptr;
    other.index_ = nullptr;
    other.size_ = other.capacity_ = other.seeders_ = other.completed_ = 0;
  }
  swarm& operator=(swarm&& other) noexcept {
    if (this != &other) {
      release();
      new (this) swarm(std::move(other));
    }
    return *this;
  }

  std::size_t seeders() const { return seeders_; }
  std::size_t leechers() const { return size_ - seeders_; }
  std::size_t peers() const { return size_; }
  std::uint32_t completed() const { return completed_; }
  bool empty() const { return size_ == 0; }

  // Applies an announce and appends up to `peers_wanted` other peers to `peers_out`: distinct,
  // never the announcer, and only leechers for a seeder (a seeder has no use for seeders).
  // A stopped announce removes the peer and returns no peers.
  template <typename Random>
  peer_count_change announce(const swarm_announce<Endpoint>& request, const keyed_endpoint_hasher& hasher,
                             Random& random, std::vector<Endpoint>& peers_out) {
    peer_count_change change;
    const std::optional<std::uint32_t> found = find(request.endpoint);

    if (request.event == peer_event::stopped) {
      if (found) remove_at(*found, change);
      return change;
    }

    // A download counts once: a `completed` event from a peer that now has everything (left == 0)
    // and was not already a seeder. A leecher repeating `completed` cannot inflate the count.
    const bool was_seeder = found && *found < seeders_;
    if (request.event == peer_event::completed && request.seeder && !was_seeder) ++completed_;

    if (!found) {
      insert(request.endpoint, request.seeder, request.expires_at, change, hasher);
    } else if (was_seeder != request.seeder) {
      remove_at(*found, change);
      insert(request.endpoint, request.seeder, request.expires_at, change, hasher);
    } else {
      peers_[*found].expires_at = request.expires_at;
    }

    select_peers(request.endpoint, request.seeder, request.peers_wanted, random, peers_out);
    return change;
  }

  // Drops every peer whose expiry has passed.
  peer_count_change remove_expired(std::uint32_t now, const keyed_endpoint_hasher& hasher) {
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < seeders_; ++i) {
      if (peers_[i].expires_at > now) peers_[kept++] = peers_[i];
    }
    const std::uint32_t kept_seeders = kept;
    for (std::uint32_t i = seeders_; i < size_; ++i) {
      if (peers_[i].expires_at > now) peers_[kept++] = peers_[i];
    }
    const peer_count_change change{-static_cast<std::int64_t>(seeders_ - kept_seeders),
                                   -static_cast<std::int64_t>((size_ - seeders_) - (kept - kept_seeders))};
    if (kept != size_) {
      seeders_ = kept_seeders;
      size_ = kept;
      drop_index();
      build_index_if_large(hasher);
      shrink_if_sparse();
    }
    return change;
  }

  std::span<const entry> seeder_list() const { return {peers_, seeders_}; }
  std::span<const entry> leecher_list() const { return {peers_ + seeders_, size_ - seeders_}; }
  bool has_index() const { return index_ != nullptr; }

 private:
  using index_map = boost::unordered_flat_map<Endpoint, std::uint32_t, keyed_endpoint_hasher>;

  void release() {
    drop_index();
    std::free(peers_);
    peers_ = nullptr;
  }

  void drop_index() {
    delete index_;
    index_ = nullptr;
  }

  std::optional<std::uint32_t> find(const Endpoint& endpoint) const {
    if (index_ != nullptr) {
      const auto it = index_->find(endpoint);
      if (it == index_->end()) return std::nullopt;
      return it->second;
    }
    for (std::uint32_t i = 0; i < size_; ++i) {
      if (peers_[i].endpoint == endpoint) return i;
    }
    return std::nullopt;
  }

  void reserve_one_more() {
    if (size_ < capacity_) return;
    const std::size_t wanted = capacity_ == 0 ? 1 : std::size_t{capacity_} * 2;
    void* grown = std::realloc(peers_, wanted * sizeof(entry));
    if (grown == nullptr) throw std::bad_alloc();
    peers_ = static_cast<entry*>(grown);
    capacity_ = static_cast<std::uint32_t>(::malloc_usable_size(grown) / sizeof(entry));
  }

  // A swarm that was large once must not keep its memory forever.
  void shrink_if_sparse() {
    if (size_ == 0) {
      std::free(peers_);
      peers_ = nullptr;
      capacity_ = 0;
      return;
    }
    if (capacity_ <= 8 || size_ >= capacity_ / 4) return;
    void* shrunk = std::realloc(peers_, std::size_t{size_} * 2 * sizeof(entry));
    if (shrunk == nullptr) return;  // keeping the larger block is fine
    peers_ = static_cast<entry*>(shrunk);
    capacity_ = static_cast<std::uint32_t>(::malloc_usable_size(shrunk) / sizeof(entry));
  }

  // Moves the peer at `from` to `to` (the old content of `to` is gone) and keeps the index right.
  void move_peer(std::uint32_t from, std::uint32_t to) {
    if (from == to) return;
    peers_[to] = peers_[from];
    if (index_ != nullptr) (*index_)[peers_[to].endpoint] = to;
  }

  void insert(const Endpoint& endpoint, bool seeder, std::uint32_t expires_at, peer_count_change& change,
              const keyed_endpoint_hasher& hasher) {
    reserve_one_more();
    std::uint32_t position = size_;
    if (seeder) {
      // The first leecher moves to the end; the new seeder takes its place.
      move_peer(seeders_, size_);
      position = seeders_;
      ++seeders_;
      ++change.seeders;
    } else {
      ++change.leechers;
    }
    ++size_;
    peers_[position] = entry{endpoint, expires_at};
    if (index_ != nullptr) {
      (*index_)[endpoint] = position;
    } else {
      build_index_if_large(hasher);
    }
  }

  void remove_at(std::uint32_t position, peer_count_change& change) {
    if (index_ != nullptr) index_->erase(peers_[position].endpoint);
    if (position < seeders_) {
      // The last seeder fills the hole, then the last leecher fills the last seeder's place.
      const std::uint32_t last_seeder = seeders_ - 1;
      move_peer(last_seeder, position);
      move_peer(size_ - 1, last_seeder);
      --seeders_;
      --change.seeders;
    } else {
      move_peer(size_ - 1, position);
      --change.leechers;
    }
    --size_;
    if (index_ != nullptr && size_ < index_drop_threshold) drop_index();
    shrink_if_sparse();
  }

  void build_index_if_large(const keyed_endpoint_hasher& hasher) {
    if (index_ != nullptr || size_ <= index_threshold) return;
    index_ = new index_map(std::size_t{size_} * 2, hasher);
    for (std::uint32_t i = 0; i < size_; ++i) index_->emplace(peers_[i].endpoint, i);
  }

  // Takes a window of consecutive candidates starting at a random position, wrapping around and
  // skipping the announcer: distinct by construction, and as random as the swap-on-remove order.
  template <typename Random>
  void select_peers(const Endpoint& self, bool self_is_seeder, std::size_t wanted, Random& random,
                    std::vector<Endpoint>& out) const {
    const std::uint32_t first = self_is_seeder ? seeders_ : 0;
    const std::size_t total = size_ - first;
    if (wanted == 0 || total == 0) return;
    // One allocation for the reply, not a doubling series of them.
    out.reserve(out.size() + std::min(wanted, total));
    std::size_t start = 0;
    if (wanted < total) start = std::uniform_int_distribution<std::size_t>(0, total - 1)(random);
    std::size_t taken = 0;
    for (std::size_t step = 0; step < total && taken < wanted; ++step) {
      const Endpoint& candidate = peers_[first + (start + step) % total].endpoint;
      if (candidate == self) continue;
      out.push_back(candidate);
      ++taken;
    }
  }

  entry* peers_ = nullptr;  // [0, seeders_) seeders, [seeders_, size_) leechers; malloc'd
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
  std::uint32_t seeders_ = 0;
  std::uint32_t completed_ = 0;
  index_map* index_ = nullptr;  // owned; only for swarms of more than index_threshold peers
};

}  // namespace riptide::core
