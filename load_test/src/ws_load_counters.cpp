#include "ws_load_counters.hpp"

namespace riptide::load_test {

std::string_view to_string(ws_sent kind) {
  switch (kind) {
    case ws_sent::announce: return "announce";
    case ws_sent::answer: return "answer";
    case ws_sent::scrape: return "scrape";
  }
  return "?";
}

std::string_view to_string(ws_received kind) {
  switch (kind) {
    case ws_received::announce_response: return "announce_response";
    case ws_received::offer: return "offer";
    case ws_received::answer: return "answer";
    case ws_received::scrape_response: return "scrape_response";
    case ws_received::failure: return "failure";
  }
  return "?";
}

ws_counts& ws_counts::operator+=(const ws_counts& other) {
  for (std::size_t i = 0; i < ws_sent_kinds; ++i) sent[i] += other.sent[i];
  for (std::size_t i = 0; i < ws_received_kinds; ++i) received[i] += other.received[i];
  connected += other.connected;
  connect_failures += other.connect_failures;
  closed += other.closed;
  warmed += other.warmed;
  malformed += other.malformed;
  dropped += other.dropped;
  missed += other.missed;
  return *this;
}

ws_counts operator-(const ws_counts& after, const ws_counts& before) {
  ws_counts d;
  for (std::size_t i = 0; i < ws_sent_kinds; ++i) d.sent[i] = after.sent[i] - before.sent[i];
  for (std::size_t i = 0; i < ws_received_kinds; ++i) d.received[i] = after.received[i] - before.received[i];
  d.connected = after.connected - before.connected;
  d.connect_failures = after.connect_failures - before.connect_failures;
  d.closed = after.closed - before.closed;
  d.warmed = after.warmed - before.warmed;
  d.malformed = after.malformed - before.malformed;
  d.dropped = after.dropped - before.dropped;
  d.missed = after.missed - before.missed;
  return d;
}

ws_counts ws_live_counters::snapshot() const {
  ws_counts c;
  for (std::size_t i = 0; i < ws_sent_kinds; ++i) c.sent[i] = sent_[i].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < ws_received_kinds; ++i) c.received[i] = received_[i].load(std::memory_order_relaxed);
  c.connected = connected_.load(std::memory_order_relaxed);
  c.connect_failures = connect_failures_.load(std::memory_order_relaxed);
  c.closed = closed_.load(std::memory_order_relaxed);
  c.warmed = warmed_.load(std::memory_order_relaxed);
  c.malformed = malformed_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.missed = missed_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace riptide::load_test
