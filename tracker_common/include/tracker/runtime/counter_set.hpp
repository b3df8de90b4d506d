#pragma once
// The counters and gauges of one worker thread, indexed by two enums that end in `count_`. The
// owning thread is the only writer (relaxed atomic stores, no read-modify-write contention); any
// thread may read, to sum every worker's set for statistics. Counters only grow; gauges are
// current values.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace riptide::runtime {

template <typename Counter, typename Gauge>
class counter_set {
 public:
  // Only the owning worker calls add() and set(): a load and a store, not an atomic add, because
  // nobody else writes.
  void add(Counter which, std::uint64_t amount = 1) {
    auto& slot = counters_[static_cast<std::size_t>(which)];
    slot.store(slot.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
  void set(Gauge which, std::uint64_t value) {
    gauges_[static_cast<std::size_t>(which)].store(value, std::memory_order_relaxed);
  }

  std::uint64_t get(Counter which) const {
    return counters_[static_cast<std::size_t>(which)].load(std::memory_order_relaxed);
  }
  std::uint64_t get(Gauge which) const {
    return gauges_[static_cast<std::size_t>(which)].load(std::memory_order_relaxed);
  }

 private:
  // Each worker's set sits on its own cache lines, so workers never share a line.
  alignas(64) std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Counter::count_)> counters_{};
  alignas(64) std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Gauge::count_)> gauges_{};
};

}  // namespace riptide::runtime
