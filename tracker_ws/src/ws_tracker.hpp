#pragma once
// Runs tracker_ws with a loaded configuration until SIGINT or SIGTERM.

#include "ws_tracker_config.hpp"

namespace riptide::ws {

// Binds the acceptors, drops privileges when configured, starts the socket worker, prints the bound
// addresses and a "ready" line on stdout, and serves until SIGINT/SIGTERM; SIGUSR1 reloads the
// access list. Returns 0 after a graceful stop, 1 (with one line on stderr) when start-up fails.
int run(const ws_tracker_config& config);

}  // namespace riptide::ws
