#pragma once
// `load_test ws`: warm-up (connect every connection, announce once), the measured phase with a
// progress line a second on stderr, then the summary on stdout.

#include "ws_load_config.hpp"

namespace riptide::load_test {

// Returns the process exit code.
int run_ws_load(const ws_load_config& config, bool json_summary);

}  // namespace riptide::load_test
