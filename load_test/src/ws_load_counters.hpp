#pragma once
// What `load_test ws` counts. ws_live_counters is written by the thread that owns a worker and read
// (relaxed) by the main thread for progress lines and the measured window: each counter only ever
// grows and is written by one thread, so a relaxed snapshot is a consistent-enough lower bound.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace riptide::load_test {

enum class ws_sent : std::uint8_t { announce, answer, scrape };
inline constexpr std::size_t ws_sent_kinds = 3;
std::string_view to_string(ws_sent kind);

enum class ws_received : std::uint8_t { announce_response, offer, answer, scrape_response, failure };
inline constexpr std::size_t ws_received_kinds = 5;
std::string_view to_string(ws_received kind);

// A plain snapshot; `after - before` gives what happened in between.
struct ws_counts {
  std::array<std::uint64_t, ws_sent_kinds> sent{};
  std::array<std::uint64_t, ws_received_kinds> received{};
  std::uint64_t connected = 0;         // WebSocket handshakes completed
  std::uint64_t connect_failures = 0;  // TCP, TLS or WebSocket handshake failed
  std::uint64_t closed = 0;            // open connections closed or broken by the other side
  std::uint64_t warmed = 0;            // connections done with warm-up (first announce answered, or dead)
  std::uint64_t malformed = 0;         // replies that decode_tracker_message rejects
  std::uint64_t dropped = 0;           // messages not sent: the connection's write queue was full
  std::uint64_t missed = 0;            // scheduled messages not sent: the worker was over an interval late

  std::uint64_t& of(ws_sent kind) { return sent[static_cast<std::size_t>(kind)]; }
  std::uint64_t& of(ws_received kind) { return received[static_cast<std::size_t>(kind)]; }
  std::uint64_t of(ws_sent kind) const { return sent[static_cast<std::size_t>(kind)]; }
  std::uint64_t of(ws_received kind) const { return received[static_cast<std::size_t>(kind)]; }
  ws_counts& operator+=(const ws_counts& other);
  friend ws_counts operator-(const ws_counts& after, const ws_counts& before);
};

class ws_live_counters {
 public:
  void add(ws_sent kind) { bump(sent_[static_cast<std::size_t>(kind)]); }
  void add(ws_received kind) { bump(received_[static_cast<std::size_t>(kind)]); }
  void add_connected() { bump(connected_); }
  void add_connect_failure() { bump(connect_failures_); }
  void add_closed() { bump(closed_); }
  void add_warmed() { bump(warmed_); }
  void add_malformed() { bump(malformed_); }
  void add_dropped() { bump(dropped_); }
  void add_missed(std::uint64_t count) {
    missed_.store(missed_.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
  }
  ws_counts snapshot() const;

 private:
  // Single writer: load + store instead of a locked read-modify-write.
  static void bump(std::atomic<std::uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::array<std::atomic<std::uint64_t>, ws_sent_kinds> sent_{};
  std::array<std::atomic<std::uint64_t>, ws_received_kinds> received_{};
  std::atomic<std::uint64_t> connected_{0}, connect_failures_{0}, closed_{0}, warmed_{0}, malformed_{0}, dropped_{0},
      missed_{0};
};

}  // namespace riptide::load_test
