#pragma once
// The peers of one torrent in one address family, and the rules of an announce.
// Pure: time is passed in (seconds on the tracker's monotonic clock), randomness too.
//
// Data layout: seeders and leechers live in two dense vectors of {endpoint, expiry}: 12 bytes a
// peer for IPv4, 24 for IPv6. Counts are the vector sizes, so they are never recounted. Most
// swarms hold one or two peers, and for them a linear scan is the fastest lookup there is; once a
// swarm grows past `index_threshold` peers it gets an index (endpoint -> position), dropped again
// when it shrinks well below. Removal swaps the last peer into the hole.
//
// A peer is keyed by (address, port): its peer id is not trusted, so nobody can replace another's
// entry by reusing that peer's id.
//
// Thread safety: none. A swarm belongs to the request worker that owns its shard.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
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
 public:
  static constexpr std::size_t index_threshold = 32;
  static constexpr std::size_t index_drop_threshold = 16;

  std::size_t seeders() const { return seeders_.size(); }
  std::size_t leechers() const { return leechers_.size(); }
  std::size_t peers() const { return seeders_.size() + leechers_.size(); }
  std::uint32_t completed() const { return completed_; }
  bool empty() const { return peers() == 0; }

  // Applies an announce and appends up to `peers_wanted` other peers to `peers_out`: distinct,
  // never the announcer, and only leechers for a seeder (a seeder has no use for seeders).
  // A stopped announce removes the peer and returns no peers.
  template <typename Random>
  peer_count_change announce(const swarm_announce<Endpoint>& request, const keyed_endpoint_hasher& hasher,
                             Random& random, std::vector<Endpoint>& peers_out) {
    peer_count_change change;
    const auto found = find(request.endpoint);

    if (request.event == peer_event::stopped) {
      if (found) remove_at(*found, change, hasher);
      return change;
    }

    // A download counts once: a `completed` event from a peer that now has everything (left == 0)
    // and was not already a seeder. A leecher repeating `completed` cannot inflate the count.
    const bool was_seeder = found && found->seeder;
    if (request.event == peer_event::completed && request.seeder && !was_seeder) ++completed_;

    if (!found) {
      insert(request.endpoint, request.seeder, request.expires_at, change, hasher);
    } else if (found->seeder != request.seeder) {
      remove_at(*found, change, hasher);
      insert(request.endpoint, request.seeder, request.expires_at, change, hasher);
    } else {
      list_of(found->seeder)[found->position].expires_at = request.expires_at;
    }

    select_peers(request.endpoint, request.seeder, request.peers_wanted, random, peers_out);
    return change;
  }

  // Drops every peer whose expiry has passed.
  peer_count_change remove_expired(std::uint32_t now, const keyed_endpoint_hasher& hasher) {
    peer_count_change change;
    const auto expired = [now](const peer_entry<Endpoint>& peer) { return peer.expires_at <= now; };
    const auto removed_seeders = std::erase_if(seeders_, expired);
    const auto removed_leechers = std::erase_if(leechers_, expired);
    change.seeders = -static_cast<std::int64_t>(removed_seeders);
    change.leechers = -static_cast<std::int64_t>(removed_leechers);
    if (removed_seeders + removed_leechers > 0) {
      index_.reset();
      maybe_build_index(hasher);
      shrink_if_sparse(seeders_);
      shrink_if_sparse(leechers_);
    }
    return change;
  }

  const std::vector<peer_entry<Endpoint>>& seeder_list() const { return seeders_; }
  const std::vector<peer_entry<Endpoint>>& leecher_list() const { return leechers_; }
  bool has_index() const { return index_ != nullptr; }

 private:
  struct location {
    bool seeder;
    std::uint32_t position;
  };
  // Index value: the top bit says seeder, the rest is the position in that list.
  static constexpr std::uint32_t seeder_bit = 0x8000'0000U;
  using index_map = boost::unordered_flat_map<Endpoint, std::uint32_t, keyed_endpoint_hasher>;

  std::vector<peer_entry<Endpoint>>& list_of(bool seeder) { return seeder ? seeders_ : leechers_; }

  std::optional<location> find(const Endpoint& endpoint) const {
    if (index_) {
      const auto it = index_->find(endpoint);
      if (it == index_->end()) return std::nullopt;
      return location{(it->second & seeder_bit) != 0, it->second & ~seeder_bit};
    }
    for (std::size_t i = 0; i < seeders_.size(); ++i) {
      if (seeders_[i].endpoint == endpoint) return location{true, static_cast<std::uint32_t>(i)};
    }
    for (std::size_t i = 0; i < leechers_.size(); ++i) {
      if (leechers_[i].endpoint == endpoint) return location{false, static_cast<std::uint32_t>(i)};
    }
    return std::nullopt;
  }

  static std::uint32_t index_value(bool seeder, std::size_t position) {
    return static_cast<std::uint32_t>(position) | (seeder ? seeder_bit : 0U);
  }

  void insert(const Endpoint& endpoint, bool seeder, std::uint32_t expires_at, peer_count_change& change,
              const keyed_endpoint_hasher& hasher) {
    auto& list = list_of(seeder);
    list.push_back({endpoint, expires_at});
    (seeder ? change.seeders : change.leechers) += 1;
    if (index_) {
      index_->emplace(endpoint, index_value(seeder, list.size() - 1));
    } else {
      maybe_build_index(hasher);
    }
  }

  void remove_at(location where, peer_count_change& change, const keyed_endpoint_hasher& hasher) {
    auto& list = list_of(where.seeder);
    if (index_) index_->erase(list[where.position].endpoint);
    if (where.position + 1 != list.size()) {
      list[where.position] = list.back();
      if (index_) (*index_)[list[where.position].endpoint] = index_value(where.seeder, where.position);
    }
    list.pop_back();
    (where.seeder ? change.seeders : change.leechers) -= 1;
    if (index_ && peers() < index_drop_threshold) index_.reset();
    shrink_if_sparse(list);
    (void)hasher;
  }

  void maybe_build_index(const keyed_endpoint_hasher& hasher) {
    if (index_ || peers() <= index_threshold) return;
    index_ = std::make_unique<index_map>(peers() * 2, hasher);
    for (std::size_t i = 0; i < seeders_.size(); ++i) index_->emplace(seeders_[i].endpoint, index_value(true, i));
    for (std::size_t i = 0; i < leechers_.size(); ++i) index_->emplace(leechers_[i].endpoint, index_value(false, i));
  }

  // A swarm that was large once must not keep its memory forever.
  static void shrink_if_sparse(std::vector<peer_entry<Endpoint>>& list) {
    if (list.capacity() > 16 && list.size() < list.capacity() / 4) list.shrink_to_fit();
  }

  // Takes a window of consecutive peers starting at a random position, wrapping around and
  // skipping the announcer: distinct by construction, and as random as the swap-on-remove order.
  template <typename Random>
  void select_peers(const Endpoint& self, bool self_is_seeder, std::size_t wanted, Random& random,
                    std::vector<Endpoint>& out) const {
    const std::size_t seeder_count = self_is_seeder ? 0 : seeders_.size();
    const std::size_t total = seeder_count + leechers_.size();
    if (wanted == 0 || total == 0) return;
    const auto at = [&](std::size_t i) -> const Endpoint& {
      return i < seeder_count ? seeders_[i].endpoint : leechers_[i - seeder_count].endpoint;
    };
    std::size_t start = 0;
    if (wanted < total) start = std::uniform_int_distribution<std::size_t>(0, total - 1)(random);
    std::size_t taken = 0;
    for (std::size_t step = 0; step < total && taken < wanted; ++step) {
      const std::size_t i = (start + step) % total;
      const Endpoint& candidate = at(i);
      if (candidate == self) continue;
      out.push_back(candidate);
      ++taken;
    }
  }

  std::vector<peer_entry<Endpoint>> seeders_;
  std::vector<peer_entry<Endpoint>> leechers_;
  std::unique_ptr<index_map> index_;
  std::uint32_t completed_ = 0;
};

}  // namespace riptide::core
