#pragma once
// How both trackers serve once their workers exist: each worker on a thread of its own, the main
// thread waiting for signals (runtime/process_signals), and a stop in the order that lets socket
// workers say goodbye to their clients while the swarms still answer.

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
// ended by `stop()`) until a stop signal. `started()` is called once every thread runs, `reload()`
// on each reload signal. Socket workers are stopped and joined first, then the request workers.
template <typename RequestWorker, typename SocketWorker, typename Started, typename Reload>
void serve_until_stopped(const std::vector<std::unique_ptr<RequestWorker>>& request_workers,
                         const std::vector<std::unique_ptr<SocketWorker>>& socket_workers, Started started,
                         Reload reload) {
  std::atomic<bool> stopping{false};
  std::vector<std::thread> request_threads;
  std::vector<std::thread> socket_threads;
  for (const auto& worker : request_workers) request_threads.emplace_back([&worker, &stopping] { worker->run(stopping); });
  for (const auto& worker : socket_workers) socket_threads.emplace_back([&worker] { worker->run(); });
  started();

  while (wait_for_process_signal() != process_signal::stop) reload();

  log_info("stopping");
  for (const auto& worker : socket_workers) worker->stop();
  for (std::thread& thread : socket_threads) thread.join();
  stopping.store(true);
  for (std::thread& thread : request_threads) thread.join();
}

}  // namespace riptide::runtime
