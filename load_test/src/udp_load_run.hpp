#pragma once
// `load_test udp`: builds the workload, starts the load threads, runs warm-up, the measured phase
// and a drain, prints a progress line every second (stderr) and the summary (stdout).

#include "udp_load_config.hpp"

namespace riptide::load_test {

// Returns the process exit code: 0 after a run (its figures say how it went), 1 if the run could
// not start (e.g. a source address cannot be bound).
int run_udp_load(const udp_load_config& config, bool json_summary);

// Prints every torrent's info hash, one per line as 40 hex digits: the whitelist a tracker needs
// to serve this workload in allow mode (opentracker's Debian build serves only whitelisted hashes).
int print_info_hashes(const udp_load_config& config);

}  // namespace riptide::load_test
