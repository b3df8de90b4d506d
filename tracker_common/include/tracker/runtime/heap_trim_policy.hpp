#pragma once
// When to give the memory that a burst of connections freed back to the system (glibc's
// malloc_trim, runtime/heap_trim.hpp). Pure: the caller reports its connection counts and acts on
// the answer.
//
// glibc hands freed memory back to the system only from the top of a heap; what a burst frees in
// the middle stays resident, reused by later allocations but never returned. A wss:// connection
// being set up holds about 35 KB (OpenSSL's handshake buffer, the key exchange) and an open one
// about 18 KB: 4,000 browsers connecting at once left about 190 MB resident, and as much once
// they had all gone, where a trim brings it back to what is in use (docs/benchmarks.md, "Over
// wss://"). A trim walks the heaps, each under its lock: about 20 ms after such a burst, but
// hundreds of ms on a heap holding millions of small free blocks. So it is done once a burst is
// over, not on a clock:
// - set-ups: once the connections being set up rose by at least `setups` above the fewest seen
//   before (a steady number of slow handshakes is no burst), and have come back down to within
//   an eighth of that rise;
// - closes: once at least `closes` connections, and a quarter of the peak open, have closed.
// After a trim every mark starts again from the counts of the moment, and the next trim waits at
// least `min_interval_seconds`, so that no pattern of connections can make trims a load of their
// own. Steady churn, where connections open and close at the same pace, never trims.

#include <algorithm>
#include <cstdint>
#include <optional>

namespace riptide::runtime {

class heap_trim_policy {
 public:
  struct thresholds {
    std::uint64_t setups = 256;   // rise of the connections being set up (TCP accepted, not yet WebSocket)
    std::uint64_t closes = 1024;  // connections closed since the peak of open connections
    std::uint32_t min_interval_seconds = 60;
  };

  heap_trim_policy() = default;
  explicit heap_trim_policy(thresholds limits) : limits_(limits) {}

  // Whenever the counts may have risen (a connection accepted), so that a peak between two
  // trim_due() calls is seen. `setting_up` is part of `open`.
  void observe(std::uint64_t setting_up, std::uint64_t open) {
    low_setting_up_ = std::min(low_setting_up_, setting_up);
    peak_setting_up_ = std::max(peak_setting_up_, setting_up);
    peak_open_ = std::max(peak_open_, open);
  }

  // Periodically (once a second), `now` in seconds of a monotonic clock: whether to trim now.
  // True starts every mark again from these counts.
  bool trim_due(std::uint64_t setting_up, std::uint64_t open, std::uint32_t now) {
    observe(setting_up, open);
    if (last_trim_ && now - *last_trim_ < limits_.min_interval_seconds) return false;
    const std::uint64_t rise = peak_setting_up_ - low_setting_up_;
    const bool setups_over = rise >= limits_.setups && setting_up - low_setting_up_ <= rise / 8;
    const std::uint64_t closed = peak_open_ - open;
    const bool closes_over = closed >= limits_.closes && closed >= peak_open_ / 4;
    if (!setups_over && !closes_over) return false;
    low_setting_up_ = setting_up;
    peak_setting_up_ = setting_up;
    peak_open_ = open;
    last_trim_ = now;
    return true;
  }

 private:
  thresholds limits_;
  std::uint64_t low_setting_up_ = UINT64_MAX;  // the fewest being set up since the last trim
  std::uint64_t peak_setting_up_ = 0;
  std::uint64_t peak_open_ = 0;
  std::optional<std::uint32_t> last_trim_;  // none yet: nothing to wait for
};

}  // namespace riptide::runtime
