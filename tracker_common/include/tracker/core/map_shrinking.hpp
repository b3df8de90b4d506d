#pragma once
// Giving back a hash map's array once most of it is empty. A flat map keeps its array at the
// largest size it ever needed: after a flood of torrents (or of connections) is gone, that array
// would stay resident for the rest of the process's life, most of a tracker's memory.

#include <cstddef>

namespace riptide::core {

// Rehashes `map` down to room for twice what it holds once it fills less than an eighth of its
// buckets (and has more than `min_buckets`): room, so that the next insertions do not grow it at
// once. The rehash moves every element, which is rare: the map must have lost more than two
// thirds of what it held when it last grew or shrank. Returns whether it rehashed.
template <typename Map>
bool shrink_map_if_sparse(Map& map, std::size_t min_buckets = 1024) {
  if (map.bucket_count() <= min_buckets || map.size() >= map.bucket_count() / 8) return false;
  map.reserve(map.size() * 2);
  return true;
}

}  // namespace riptide::core
