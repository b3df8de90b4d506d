#include "process_heap_trim.hpp"

#include "tracker/runtime/heap_trim.hpp"

namespace riptide::ws {

process_heap_trim::process_heap_trim(std::size_t socket_workers, bool enabled)
    : enabled_(enabled), counts_(socket_workers) {}

void process_heap_trim::record(std::size_t worker, std::uint64_t setting_up, std::uint64_t open) {
  if (worker >= counts_.size()) return;
  worker_counts& counts = counts_[worker];
  total_.setting_up = total_.setting_up - counts.setting_up + setting_up;
  total_.open = total_.open - counts.open + open;
  counts = {setting_up, open};
}

void process_heap_trim::observe(std::size_t worker, std::uint64_t setting_up, std::uint64_t open) {
  if (!enabled_) return;
  const std::lock_guard lock(mutex_);
  record(worker, setting_up, open);
  policy_.observe(total_.setting_up, total_.open);
}

std::optional<std::chrono::microseconds> process_heap_trim::trim_if_due(std::size_t worker, std::uint64_t setting_up,
                                                                         std::uint64_t open, std::uint32_t now) {
  if (!enabled_) return std::nullopt;
  {
    const std::lock_guard lock(mutex_);
    record(worker, setting_up, open);
    if (!policy_.trim_due(total_.setting_up, total_.open, now)) return std::nullopt;
  }
  return runtime::trim_heap();
}

}  // namespace riptide::ws
