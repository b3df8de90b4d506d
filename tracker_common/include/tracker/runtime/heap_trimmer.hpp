#pragma once
// When to give freed memory back to the system. glibc keeps freed chunks in its heaps and returns
// only the top of a heap by itself, so what a flood of torrents or a burst of handshakes took
// would stay resident after it is gone. malloc_trim returns every free page, but it walks the
// heaps (about 35 ms for 300 MB in a million chunks), so it runs only after a large drop:
// - heap_trimmer: what a shard holds has fallen to half its peak since the last trim, by at least
//   min_drop entries (one per shard, called by the thread that cleans it);
// - burst_trimmer: a burst of at least min_burst events (WebSocket handshakes done: a TLS
//   handshake under way holds about 35 KB) is over (one per socket worker, called once a second).

#include <cstdint>

namespace riptide::runtime {

class heap_trimmer {
 public:
  static constexpr std::uint64_t min_drop = 10000;

  // After a cleaning: `held` is what the shard holds now (torrents and peers). Returns whether
  // it trimmed.
  bool after_cleaning(std::uint64_t held);

 private:
  std::uint64_t peak_ = 0;  // the most held since the last trim
};

class burst_trimmer {
 public:
  static constexpr std::uint64_t min_burst = 1000;
  // A period with this many events is part of a burst; a steady trickle below it never trims.
  static constexpr std::uint64_t busy_period_events = min_burst / 10;

  // Once a period: `events` is the running count (handshakes done). Trims when busy
  // periods brought at least min_burst events since the last trim and this one was not busy:
  // the burst is over. Returns whether it trimmed.
  bool after_period(std::uint64_t events);

 private:
  std::uint64_t at_last_period_ = 0;
  std::uint64_t in_bursts_ = 0;  // events of busy periods since the last trim
};

}  // namespace riptide::runtime
