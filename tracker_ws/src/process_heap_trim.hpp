#pragma once
// When tracker_ws gives freed memory back to the system (cleaning.return_freed_memory): one
// runtime::heap_trim_policy for the whole process, fed with every socket worker's connections.
// malloc_trim walks every heap of the process, not the calling thread's alone, so each worker
// deciding for itself would trim once per worker after one burst, each trim queueing behind the
// others (a reviewer measured 298, 503 and 663 ms for three at once where one took 265 ms), and a
// burst spread over the workers could stay under each worker's threshold.
//
// Thread safety: every member may be called from any socket worker (a mutex, taken once per
// accepted connection and once a second per worker; never held while trimming).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "tracker/runtime/heap_trim_policy.hpp"

namespace riptide::ws {

class process_heap_trim {
 public:
  // `enabled` false: trim_if_due() never trims.
  process_heap_trim(std::size_t socket_workers, bool enabled);

  // Worker `worker`'s connections after it accepted one: `setting_up` of its `open` ones are not
  // WebSocket sessions (being set up, answering a plain HTTP request, or closing).
  void observe(std::size_t worker, std::uint64_t setting_up, std::uint64_t open);
  // Once a second per worker, with its counts of the moment: when the process's burst is over,
  // trims (in the calling thread) and says how long it took; otherwise nullopt. At most one
  // caller trims for one burst.
  std::optional<std::chrono::microseconds> trim_if_due(std::size_t worker, std::uint64_t setting_up,
                                                       std::uint64_t open, std::uint32_t now);

 private:
  struct worker_counts {
    std::uint64_t setting_up = 0;
    std::uint64_t open = 0;
  };

  // Under mutex_: records the worker's counts; returns the sums over every worker.
  worker_counts record(std::size_t worker, std::uint64_t setting_up, std::uint64_t open);

  const bool enabled_;
  std::mutex mutex_;
  std::vector<worker_counts> counts_;  // [socket worker]
  runtime::heap_trim_policy policy_;
};

}  // namespace riptide::ws
