#pragma once
// The main thread's part of a load run, the same for every mode: while the worker threads send,
// it waits for the warm-up to complete (bounded), lets the run settle if the mode asks for it,
// switches the workers to measuring, and prints one progress line a second until the measured
// phase is over. Header-only template: each mode brings its own counters.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace riptide::load_test {

struct load_phase_settings {
  bool warmup = true;                        // false: measure from the start
  std::chrono::seconds warmup_limit{60};     // then the run measures anyway (and says so)
  std::uint32_t duration_seconds = 10;       // of the measured phase
  // Between warm-up and measuring: the regular load runs but is not measured (ws: the offers and
  // answers of the warm-up's burst of announces drain, and every connection is on its schedule).
  std::chrono::milliseconds settle{0};
};

template <typename Counts>
struct measured_window {
  Counts at_start{};  // the workers' counts when measuring began
  Counts at_end{};    // ... and when it ended
  double seconds = 0;
};

// `snapshot()` sums the workers' live counts; `warmed_up()` says every worker is done warming up;
// `start_settling()` (only with a settle time) and `start_measuring()` switch the workers;
// `print(phase, elapsed_s, now, before, interval_s)` prints one progress line. Returns when the
// measured phase is over: stopping and joining the workers is the caller's.
template <typename Snapshot, typename WarmedUp, typename StartSettling, typename StartMeasuring, typename Print>
auto run_load_phases(const load_phase_settings& settings, Snapshot snapshot, WarmedUp warmed_up,
                     StartSettling start_settling, StartMeasuring start_measuring, Print print) {
  using clock = std::chrono::steady_clock;
  using counts = decltype(snapshot());
  const auto started = clock::now();
  counts previous = snapshot();
  auto previous_time = started;
  const auto report = [&](const char* phase) {
    const auto now = clock::now();
    const counts current = snapshot();
    print(phase, std::chrono::duration<double>(now - started).count(), current, previous,
          std::chrono::duration<double>(now - previous_time).count());
    previous = current;
    previous_time = now;
  };

  if (settings.warmup) {
    while (!warmed_up()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (clock::now() - previous_time >= std::chrono::seconds(1)) report("warmup");
      if (clock::now() - started > settings.warmup_limit) {
        std::fprintf(stderr, "load_test: warm-up incomplete after %lld s; measuring anyway\n",
                     static_cast<long long>(settings.warmup_limit.count()));
        break;
      }
    }
  }
  if (settings.settle.count() > 0) {
    start_settling();
    const auto settled = clock::now() + settings.settle;
    while (clock::now() < settled) {
      std::this_thread::sleep_until(std::min(settled, previous_time + std::chrono::seconds(1)));
      report("settle");
    }
  }
  start_measuring();

  measured_window<counts> window;
  const auto measure_start = clock::now();
  const auto measure_end = measure_start + std::chrono::seconds(settings.duration_seconds);
  window.at_start = snapshot();
  previous = window.at_start;
  previous_time = measure_start;
  while (clock::now() < measure_end) {
    std::this_thread::sleep_until(std::min(measure_end, previous_time + std::chrono::seconds(1)));
    report("measure");
  }
  window.at_end = snapshot();
  window.seconds = std::chrono::duration<double>(clock::now() - measure_start).count();
  return window;
}

}  // namespace riptide::load_test
