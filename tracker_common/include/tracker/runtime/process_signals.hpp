#pragma once
// Signals are handled synchronously on the main thread: block them before any thread starts
// (threads inherit the mask, so no worker is ever interrupted), then wait for them with sigwait.

namespace riptide::runtime {

enum class process_signal { stop, reload };

// Blocks SIGINT, SIGTERM, SIGUSR1, SIGHUP and SIGPIPE in the calling thread and the threads it
// starts. Call it before anything else, so that no signal can end the process during start-up.
void block_process_signals();

// Waits for SIGINT/SIGTERM (stop) or SIGUSR1/SIGHUP (reload).
process_signal wait_for_process_signal();

}  // namespace riptide::runtime
