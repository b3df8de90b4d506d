#pragma once
// Runs tracker_udp with a loaded configuration until SIGINT or SIGTERM.

#include "udp_tracker_config.hpp"

namespace riptide::udp {

// Binds every socket, drops privileges when configured, starts the workers, prints the bound
// addresses and a "ready" line on stdout, and serves until SIGINT/SIGTERM; SIGUSR1 reloads the
// access list. Returns the process exit code: 0 after a graceful stop, non-zero (with one line on
// stderr) when start-up fails, e.g. the port is in use or the access list cannot be read.
int run(const udp_tracker_config& config);

}  // namespace riptide::udp
