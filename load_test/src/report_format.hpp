#pragma once
// Number formatting both load_test summaries (udp and ws) use. Header-only.

#include <cstdint>
#include <cstdio>
#include <string>

#include "latency_histogram.hpp"

namespace riptide::load_test {

inline double per_second(std::uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

// One decimal: "1234.5".
inline std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// "p50 A  p99 B  p99.9 C  max D" in microseconds.
inline std::string latency_percentiles(const latency_histogram& latency) {
  return "p50 " + std::to_string(latency.percentile(0.5)) + "  p99 " + std::to_string(latency.percentile(0.99)) +
         "  p99.9 " + std::to_string(latency.percentile(0.999)) + "  max " + std::to_string(latency.max());
}

}  // namespace riptide::load_test
