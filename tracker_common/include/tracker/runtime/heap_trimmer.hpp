#pragma once
// Gives memory a shard freed back to the system after a large drop. glibc keeps freed chunks in
// its heaps and returns only the top of a heap by itself: after a flood of torrents has expired
// (or its connections have closed), most of what it took would stay resident. malloc_trim
// returns every free page; it walks the heaps (about 35 ms for 300 MB in a million chunks), so it
// runs only when what the shard holds has fallen to half its peak since the last trim, and by
// at least min_drop entries.
//
// One per shard, called by the thread that cleans it.

#include <cstdint>

namespace riptide::runtime {

class heap_trimmer {
 public:
  static constexpr std::uint64_t min_drop = 10000;

  // After a cleaning: `held` is what the shard holds now (torrents and peers). Returns whether
  // it trimmed.
  bool after_cleaning(std::uint64_t held);

 private:
  std::uint64_t peak_ = 0;  // the most held since the last trim
};

}  // namespace riptide::runtime
