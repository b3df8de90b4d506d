// The heap is trimmed after a large drop in what a shard holds, and then its free pages are no
// longer resident.

#include "tracker/runtime/heap_trimmer.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace riptide::runtime {
namespace {

TEST_CASE("heap_trimmer: trims once what is held has halved since its peak, by at least min_drop") {
  heap_trimmer trimmer;
  CHECK_FALSE(trimmer.after_cleaning(0));
  CHECK_FALSE(trimmer.after_cleaning(40000));  // the peak
  CHECK_FALSE(trimmer.after_cleaning(25000));  // more than half is left
  CHECK(trimmer.after_cleaning(19000));        // half or less, 21,000 fewer
  CHECK_FALSE(trimmer.after_cleaning(19000));  // the peak is now 19,000
  CHECK_FALSE(trimmer.after_cleaning(12000));  // half of 19,000 is 9,500
  CHECK(trimmer.after_cleaning(9000));

  heap_trimmer small;
  CHECK_FALSE(small.after_cleaning(15000));
  CHECK_FALSE(small.after_cleaning(6000));  // under half, but only 9,000 fewer: not worth a walk of the heap
  CHECK(small.after_cleaning(4000));
}

TEST_CASE("burst_trimmer: trims once a burst of at least min_burst events is over") {
  burst_trimmer trimmer;
  CHECK_FALSE(trimmer.after_period(0));
  CHECK_FALSE(trimmer.after_period(3000));  // a burst under way
  CHECK_FALSE(trimmer.after_period(6000));
  CHECK(trimmer.after_period(6050));        // 50 in the last period: over
  CHECK_FALSE(trimmer.after_period(6060));  // nothing new since the trim
  // A steady trickle never trims, however many it brings: little is freed at once.
  std::uint64_t events = 6060;
  bool trimmed = false;
  for (int second = 0; second < 100; ++second) trimmed = trimmer.after_period(events += 50) || trimmed;
  CHECK_FALSE(trimmed);
  // Nor does a burst under min_burst; the next one that takes the total past it does.
  CHECK_FALSE(trimmer.after_period(events += 500));
  CHECK_FALSE(trimmer.after_period(events));
  CHECK_FALSE(trimmer.after_period(events += 600));
  CHECK(trimmer.after_period(events));
}

// glibc's allocator only: a sanitizer's allocator keeps freed memory in quarantine.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST_CASE("heap_trimmer: after a trim, the pages of freed chunks are given back") {
  // 64 MB in small chunks, freed but for one in a hundred and the last one (which pins the top of
  // the heap, so that free() cannot give the memory back by itself).
  constexpr std::size_t chunks = 600000;
  constexpr std::size_t chunk_bytes = 100;
  std::vector<void*> blocks(chunks);
  bool allocated = true;
  for (auto& block : blocks) {
    block = std::malloc(chunk_bytes);
    if (block == nullptr) {
      allocated = false;
      break;
    }
    std::memset(block, 0x5a, chunk_bytes);
  }
  REQUIRE(allocated);
  for (std::size_t i = 0; i + 1 < chunks; ++i) {
    if (i % 100 != 0) {
      std::free(blocks[i]);
      blocks[i] = nullptr;
    }
  }
  const long before = resident_bytes();
  heap_trimmer trimmer;
  REQUIRE_FALSE(trimmer.after_cleaning(chunks));
  REQUIRE(trimmer.after_cleaning(chunks / 100));
  const long after = resident_bytes();
  CHECK(before - after > 32L * 1024 * 1024);
  for (void* block : blocks) std::free(block);
}
#endif

}  // namespace
}  // namespace riptide::runtime
