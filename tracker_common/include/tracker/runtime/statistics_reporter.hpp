#pragma once
// The statistics thread: every interval it sums the counters of every worker and logs one line
// with rates since the previous line and current gauges.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tracker/runtime/worker_counters.hpp"

namespace riptide::runtime {

struct statistics_snapshot {
  std::array<std::uint64_t, static_cast<std::size_t>(counter::count_)> counters{};
  std::array<std::uint64_t, static_cast<std::size_t>(gauge::count_)> gauges{};

  std::uint64_t get(counter which) const { return counters[static_cast<std::size_t>(which)]; }
  std::uint64_t get(gauge which) const { return gauges[static_cast<std::size_t>(which)]; }
};

statistics_snapshot sum_counters(const std::vector<const worker_counters*>& workers);

// "requests/s connect=… announce=… | responses/s … | drops … | torrents=… seeders=… leechers=…"
std::string format_statistics_line(const statistics_snapshot& previous, const statistics_snapshot& current,
                                   double elapsed_seconds);

class statistics_reporter {
 public:
  statistics_reporter(std::vector<const worker_counters*> workers, std::uint32_t interval_seconds);
  ~statistics_reporter();
  statistics_reporter(const statistics_reporter&) = delete;
  statistics_reporter& operator=(const statistics_reporter&) = delete;

  void start();  // no-op when the interval is 0; counts from here
  void stop();   // wakes the thread at once, which logs what came since its last line, and joins it

 private:
  void run(statistics_snapshot previous, std::chrono::steady_clock::time_point previous_time);

  std::vector<const worker_counters*> workers_;
  std::uint32_t interval_seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace riptide::runtime
