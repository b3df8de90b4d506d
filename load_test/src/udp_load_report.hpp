#pragma once
// The final summary of a load run: as text for people, and as one JSON line for scripts.

#include <string>

#include "udp_load_config.hpp"
#include "udp_load_worker.hpp"

namespace riptide::load_test {

struct udp_load_summary {
  double measured_seconds = 0;
  measured_results results;
};

std::string format_summary_text(const udp_load_config& config, const udp_load_summary& summary);
std::string format_summary_json(const udp_load_config& config, const udp_load_summary& summary);

}  // namespace riptide::load_test
