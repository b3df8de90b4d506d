#pragma once
// How both trackers serve once their workers exist: the lines that say they are ready, each
// worker on a thread of its own, the main thread waiting for signals (runtime/process_signals),
// and the stop: socket workers first (tracker_ws's say goodbye to their clients while the swarms
// still answer), then request workers.

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tracker/runtime/log.hpp"
#include "tracker/runtime/process_signals.hpp"

namespace riptide::runtime {

struct listening_address {
  std::string name;     // "udp4", "ws6", "wss4", ...
  std::string address;  // "127.0.0.1:6969", "[::1]:8000"
};

// Prints "listening NAME ADDRESS" for each address, then "ready": what scripts and tests wait for.
inline void print_ready(const std::vector<listening_address>& addresses) {
  for (const listening_address& address : addresses) {
    std::printf("listening %s %s\n", address.name.c_str(), address.address.c_str());
  }
  std::printf("ready\n");
  std::fflush(stdout);
}

// Runs request workers (`run(const std::atomic<bool>& stopping)`) and socket workers (`run()`,
// ended by `stop()`) until a stop signal. `on_started()` is called once every thread has been
// started, `on_reload()` on each reload signal. Socket workers are stopped and joined first, then
// the request workers; also when starting a thread or a callback throws, so that no thread is
// left running (which would end the process).
template <typename RequestWorker, typename SocketWorker, typename OnStarted, typename OnReload>
void serve_until_stopped(const std::vector<std::unique_ptr<RequestWorker>>& request_workers,
                         const std::vector<std::unique_ptr<SocketWorker>>& socket_workers, OnStarted on_started,
                         OnReload on_reload) {
  std::atomic<bool> stopping{false};
  std::vector<std::thread> request_threads;
  std::vector<std::thread> socket_threads;
  struct stop_and_join {
    const std::vector<std::unique_ptr<SocketWorker>>& socket_workers;
    std::vector<std::thread>& socket_threads;
    std::atomic<bool>& stopping;
    std::vector<std::thread>& request_threads;
    ~stop_and_join() {
      for (const auto& worker : socket_workers) worker->stop();
      for (std::thread& thread : socket_threads) thread.join();
      stopping.store(true);
      for (std::thread& thread : request_threads) thread.join();
    }
  } stop_at_exit{socket_workers, socket_threads, stopping, request_threads};

  for (const auto& worker : request_workers) request_threads.emplace_back([&worker, &stopping] { worker->run(stopping); });
  for (const auto& worker : socket_workers) socket_threads.emplace_back([&worker] { worker->run(); });
  on_started();
  while (wait_for_process_signal() != process_signal::stop) on_reload();
  log_info("stopping");
}

}  // namespace riptide::runtime
