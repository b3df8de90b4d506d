#include "tracker/runtime/process_signals.hpp"

#include <pthread.h>
#include <signal.h>

namespace riptide::runtime {
namespace {

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGHUP);   // the usual "reload" of daemons; never a reason to die
  sigaddset(&set, SIGPIPE);  // never delivered as a kill: writes report EPIPE instead
  return set;
}

}  // namespace

void block_process_signals() {
  const sigset_t set = handled_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

process_signal wait_for_process_signal() {
  const sigset_t set = handled_signals();
  for (;;) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) continue;
    if (signal_number == SIGINT || signal_number == SIGTERM) return process_signal::stop;
    if (signal_number == SIGUSR1 || signal_number == SIGHUP) return process_signal::reload;
  }
}

}  // namespace riptide::runtime
