#pragma once
// The final summary of `load_test ws`: as text for people, and as one JSON line for scripts.

#include <string>

#include "ws_load_config.hpp"
#include "ws_load_counters.hpp"
#include "ws_load_worker.hpp"

namespace riptide::load_test {

struct ws_load_summary {
  double measured_seconds = 0;
  ws_counts measured;  // what happened during the measured phase
  ws_counts total;     // the whole run, warm-up included
  ws_worker_results results;
};

std::string format_ws_summary_text(const ws_load_config& config, const ws_load_summary& summary);
std::string format_ws_summary_json(const ws_load_config& config, const ws_load_summary& summary);

}  // namespace riptide::load_test
