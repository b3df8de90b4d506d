#pragma once
// The index of a large swarm: endpoint -> position in the swarm's peer array, stored as nothing
// but the positions in an open-addressing table with linear probing. The endpoints themselves are
// read from the peer array, so a slot is 2 bytes (swarms of fewer than 65535 peers) or 4 bytes,
// instead of a hash map's key, value and control bytes: 2.7 to 5.3 bytes per peer at a load factor
// of 3/8 to 3/4. Deletion shifts the following entries back, so there are no tombstones.
//
// The caller (swarm) keeps it in step with the array: insert after writing a new peer, relocate
// after moving one, erase before overwriting one.
//
// Thread safety: none; part of a swarm.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <type_traits>

#include "tracker/core/endpoint_hash.hpp"

namespace riptide::core {

template <typename Entry>
class position_index {
  using endpoint_type = decltype(Entry::endpoint);

 public:
  // Builds the index of `peers[0..count)`.
  position_index(const Entry* peers, std::uint32_t count, const keyed_endpoint_hasher& hasher) : hasher_(hasher) {
    rebuild(peers, count, capacity_for(count));
  }
  ~position_index() { std::free(slots_); }
  position_index(const position_index&) = delete;
  position_index& operator=(const position_index&) = delete;

  std::optional<std::uint32_t> find(const Entry* peers, const endpoint_type& endpoint) const {
    return with_slots([&](auto* slots) -> std::optional<std::uint32_t> {
      const auto empty = empty_of(slots);
      for (std::uint32_t slot = home_of(endpoint);; slot = (slot + 1) & mask_) {
        const std::uint32_t position = slots[slot];
        if (position == empty) return std::nullopt;
        if (peers[position].endpoint == endpoint) return position;
      }
    });
  }

  // `peers[position]` is a peer not yet in the index; `count` is the array size after adding it.
  void insert(const Entry* peers, std::uint32_t position, std::uint32_t count) {
    if (count > (mask_ + 1) / 4 * 3 || (!wide_ && count >= narrow_limit)) {
      rebuild(peers, count, std::max(capacity_for(count), mask_ + 1));  // includes the new peer
      return;
    }
    with_slots([&](auto* slots) {
      const auto empty = empty_of(slots);
      std::uint32_t slot = home_of(peers[position].endpoint);
      while (slots[slot] != empty) slot = (slot + 1) & mask_;
      slots[slot] = static_cast<std::remove_pointer_t<decltype(slots)>>(position);
    });
  }

  // The peer now at `peers[to]` was at `from`.
  void relocate(const Entry* peers, std::uint32_t from, std::uint32_t to) {
    with_slots([&](auto* slots) {
      slots[slot_of(slots, peers, to, from)] = static_cast<std::remove_pointer_t<decltype(slots)>>(to);
    });
  }

  // Removes the peer at `peers[position]` (still there when this is called).
  void erase(const Entry* peers, std::uint32_t position) {
    with_slots([&](auto* slots) {
      const auto empty = empty_of(slots);
      std::uint32_t hole = slot_of(slots, peers, position, position);
      // Backward-shift deletion: pull later entries of the probe run into the hole when their home
      // slot does not lie (cyclically) between the hole and where they sit.
      for (std::uint32_t slot = (hole + 1) & mask_;; slot = (slot + 1) & mask_) {
        const auto moved = slots[slot];
        if (moved == empty) break;
        const std::uint32_t home = home_of(peers[moved].endpoint);
        const bool stays = ((slot - home) & mask_) < ((slot - hole) & mask_);
        if (stays) continue;
        slots[hole] = moved;
        hole = slot;
      }
      slots[hole] = empty;
    });
  }

 private:
  // Narrow (2-byte) slots hold positions below this; 0xffff marks an empty slot.
  static constexpr std::uint32_t narrow_limit = 0xffff;

  template <typename Slot>
  static constexpr Slot empty_of(const Slot*) {
    return static_cast<Slot>(~Slot{0});
  }

  template <typename Body>
  decltype(auto) with_slots(Body&& body) const {
    return wide_ ? body(static_cast<std::uint32_t*>(slots_)) : body(static_cast<std::uint16_t*>(slots_));
  }

  static std::uint32_t capacity_for(std::uint32_t count) {
    // Load factor at most 3/4 after this insert, at least 16 slots.
    return std::bit_ceil(std::max<std::uint32_t>(16, count + count / 3 + 1));
  }

  std::uint32_t home_of(const endpoint_type& endpoint) const {
    return static_cast<std::uint32_t>(hasher_(endpoint)) & mask_;
  }

  // The slot holding `position`, found from the home slot of the peer now stored at `peers[at]`.
  template <typename Slot>
  std::uint32_t slot_of(const Slot* slots, const Entry* peers, std::uint32_t at, std::uint32_t position) const {
    std::uint32_t slot = home_of(peers[at].endpoint);
    while (slots[slot] != position) slot = (slot + 1) & mask_;
    return slot;
  }

  void rebuild(const Entry* peers, std::uint32_t count, std::uint32_t capacity) {
    const bool wide = count >= narrow_limit;
    const std::size_t slot_size = wide ? sizeof(std::uint32_t) : sizeof(std::uint16_t);
    void* slots = std::malloc(std::size_t{capacity} * slot_size);
    if (slots == nullptr) throw std::bad_alloc();
    std::free(slots_);
    slots_ = slots;
    wide_ = wide;
    mask_ = capacity - 1;
    with_slots([&](auto* typed) {
      const auto empty = empty_of(typed);
      for (std::uint32_t slot = 0; slot < capacity; ++slot) typed[slot] = empty;
      for (std::uint32_t position = 0; position < count; ++position) {
        std::uint32_t slot = home_of(peers[position].endpoint);
        while (typed[slot] != empty) slot = (slot + 1) & mask_;
        typed[slot] = static_cast<std::remove_pointer_t<decltype(typed)>>(position);
      }
    });
  }

  void* slots_ = nullptr;  // std::uint16_t[] or std::uint32_t[] (wide_)
  std::uint32_t mask_ = 0;
  bool wide_ = false;
  keyed_endpoint_hasher hasher_;
};

}  // namespace riptide::core
