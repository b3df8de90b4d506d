#pragma once
// Seconds on a monotonic clock since the tracker started, as the core layer wants them: peer
// expiry and connection ids use this, never the wall clock, so a clock step cannot expire a whole
// swarm or accept stale ids. Starts at 1 so that 0 never means "now".
//
// Thread safety: immutable after construction; shared by every thread.

#include <chrono>
#include <cstdint>

namespace riptide::runtime {

class tracker_clock {
 public:
  tracker_clock() : start_(std::chrono::steady_clock::now()) {}

  std::uint32_t now_seconds() const {
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    return 1 + static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count());
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace riptide::runtime
