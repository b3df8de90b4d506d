#include "tracker/runtime/heap_trim.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace riptide::runtime {

std::chrono::microseconds trim_heap() {
  const auto start = std::chrono::steady_clock::now();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace riptide::runtime
