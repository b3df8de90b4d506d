#pragma once
// Gives the heaps' free memory back to the system: glibc's malloc_trim(0), which also returns
// free pages from the middle of each heap, not only from its top. Elsewhere than glibc it does
// nothing. When to call it: heap_trim_policy.

#include <chrono>

namespace riptide::runtime {

// How long the trim took (each heap is locked while it is trimmed).
std::chrono::microseconds trim_heap();

}  // namespace riptide::runtime
