#include "process_heap_trim.hpp"

#include "tracker/runtime/heap_trim.hpp"

namespace riptide::ws {

process_heap_trim::process_heap_trim(std::size_t socket_workers, bool enabled)
    : enabled_(enabled), counts_(socket_workers) {}

process_heap_trim::worker_counts process_heap_trim::record(std::size_t worker, std::uint64_t setting_up,
                                                           std::uint64_t open) {
  if (worker < counts_.size()) counts_[worker] = {setting_up, open};
  worker_counts total;  // a handful of workers: summed each time
  for (const worker_counts& counts : counts_) {
    total.setting_up += counts.setting_up;
    total.open += counts.open;
  }
  return total;
}

void process_heap_trim::observe(std::size_t worker, std::uint64_t setting_up, std::uint64_t open) {
  if (!enabled_) return;
  const std::lock_guard lock(mutex_);
  const worker_counts total = record(worker, setting_up, open);
  policy_.observe(total.setting_up, total.open);
}

std::optional<std::chrono::microseconds> process_heap_trim::trim_if_due(std::size_t worker, std::uint64_t setting_up,
                                                                         std::uint64_t open, std::uint32_t now) {
  if (!enabled_) return std::nullopt;
  {
    const std::lock_guard lock(mutex_);
    const worker_counts total = record(worker, setting_up, open);
    if (!policy_.trim_due(total.setting_up, total.open, now)) return std::nullopt;
  }
  return runtime::trim_heap();
}

}  // namespace riptide::ws
