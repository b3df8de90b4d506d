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

bool burst_trimmer::after_period(std::uint64_t events) {
  const std::uint64_t in_period = events - at_last_period_;
  at_last_period_ = events;
  if (in_period >= busy_period_events) {
    in_bursts_ += in_period;
    return false;
  }
  if (in_bursts_ < min_burst) return false;
  malloc_trim(0);
  in_bursts_ = 0;
  return true;
}

}  // namespace riptide::runtime
