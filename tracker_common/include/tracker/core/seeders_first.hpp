#pragma once
// One array of peers, seeders first and leechers after: the order both kinds of swarm keep
// (core/swarm for BEP 15, core/webtorrent_shard), so that a seeder's candidates are the leechers,
// [seeders, size), and anyone else's the whole array. Insert and remove take O(1) moves; no
// allocation, no I/O: the caller owns the array and moves its elements.
//
// `move(from, to)` copies the peer at `from` over the one at `to` and updates whatever records
// positions; it is never called with from == to.

#include <cstdint>

namespace riptide::core::seeders_first {

// Where a new peer goes. The array has grown by one: `size` (the old size) is a free slot at the
// end. A seeder takes the first leecher's place, and that leecher moves to the end. Counts the
// seeder in `seeders`.
template <typename Move>
std::uint32_t slot_for_new_peer(std::uint32_t& seeders, std::uint32_t size, bool seeder, Move move) {
  if (!seeder) return size;
  if (seeders != size) move(seeders, size);
  return seeders++;
}

// Fills the place of the peer at `position` of an array of `size`; the caller then drops the
// last slot. A seeder's place is taken by the last seeder, and the last seeder's by the last
// leecher. Uncounts a seeder from `seeders`.
template <typename Move>
void remove_at(std::uint32_t& seeders, std::uint32_t size, std::uint32_t position, Move move) {
  const std::uint32_t last = size - 1;
  if (position < seeders) {
    const std::uint32_t last_seeder = seeders - 1;
    if (last_seeder != position) move(last_seeder, position);
    if (last != last_seeder) move(last, last_seeder);
    --seeders;
  } else if (last != position) {
    move(last, position);
  }
}

}  // namespace riptide::core::seeders_first
