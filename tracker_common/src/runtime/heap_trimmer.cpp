#include "tracker/runtime/heap_trimmer.hpp"

#include <malloc.h>

#include <algorithm>

namespace riptide::runtime {

bool heap_trimmer::after_cleaning(std::uint64_t held) {
  peak_ = std::max(peak_, held);
  if (peak_ - held < min_drop || held > peak_ / 2) return false;
  malloc_trim(0);
  peak_ = held;
  return true;
}

}  // namespace riptide::runtime
