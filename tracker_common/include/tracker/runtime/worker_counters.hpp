#pragma once
// Per-worker counters and gauges. Each worker owns one worker_counters and is the only thread to
// write it (relaxed atomic stores, no read-modify-write contention); the statistics thread reads
// every worker's set and sums them. Counters only grow; gauges are current values.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace riptide::runtime {

enum class counter : std::size_t {
  received_packets,
  received_bytes,
  sent_packets,
  sent_bytes,
  connect_requests,
  announce_requests,
  scrape_requests,
  invalid_requests,           // could not be decoded (answered with an error when authenticated)
  connect_responses,
  announce_responses,
  scrape_responses,
  error_responses,
  dropped_bad_connection_id,  // no reply, by design (anti-spoofing)
  dropped_unanswerable,       // bad protocol id, source port 0, truncated header: silent by protocol
  dropped_request_queue_full,
  dropped_response_queue_full,
  dropped_pending_scrapes_full,
  expired_pending_scrapes,
  send_errors,
  peers_removed_by_cleaning,
  torrents_removed_by_cleaning,
  count_
};

enum class gauge : std::size_t {
  torrents_ipv4,
  torrents_ipv6,
  seeders_ipv4,
  leechers_ipv4,
  seeders_ipv6,
  leechers_ipv6,
  count_
};

std::string_view counter_name(counter which);
std::string_view gauge_name(gauge which);

class worker_counters {
 public:
  // Only the owning worker calls add() and set(): a load and a store, not an atomic add, because
  // nobody else writes.
  void add(counter which, std::uint64_t amount = 1) {
    auto& slot = counters_[static_cast<std::size_t>(which)];
    slot.store(slot.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
  void set(gauge which, std::uint64_t value) {
    gauges_[static_cast<std::size_t>(which)].store(value, std::memory_order_relaxed);
  }

  std::uint64_t get(counter which) const {
    return counters_[static_cast<std::size_t>(which)].load(std::memory_order_relaxed);
  }
  std::uint64_t get(gauge which) const {
    return gauges_[static_cast<std::size_t>(which)].load(std::memory_order_relaxed);
  }

 private:
  // Each worker's set sits on its own cache lines, so workers never share a line.
  alignas(64) std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(counter::count_)> counters_{};
  alignas(64) std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(gauge::count_)> gauges_{};
};

}  // namespace riptide::runtime
