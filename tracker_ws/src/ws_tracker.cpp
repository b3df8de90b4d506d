#include "ws_tracker.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tracker/runtime/access_list_holder.hpp"
#include "tracker/runtime/log.hpp"
#include "tracker/runtime/privileges.hpp"
#include "tracker/runtime/process_signals.hpp"
#include "tracker/runtime/tracker_clock.hpp"
#include "tls_context.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace {

struct bound_address {
  const char* name;  // "ws4" or "ws6"
  std::string printed;
};

// "127.0.0.1:8000" or "[::1]:8000"; an unspecified address is printed as loopback, which is
// where a local client (a test) reaches it.
std::string printable(const std::string& address, bool ipv6, std::uint16_t port) {
  std::string host = address;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

int run(const ws_tracker_config& config) {
  runtime::block_process_signals();
  runtime::set_log_level(config.log.level);

  const auto access_list = runtime::open_access_list(config.access_list, "tracker_ws");
  if (!access_list) return 1;

  std::shared_ptr<boost::asio::ssl::context> tls;
  if (config.tls.enabled) {
    auto loaded = load_tls_context(config.tls.certificate_chain_path, config.tls.private_key_path);
    if (auto* error = std::get_if<std::string>(&loaded)) {
      std::fprintf(stderr, "tracker_ws: %s\n", error->c_str());
      return 1;
    }
    tls = std::get<std::shared_ptr<boost::asio::ssl::context>>(std::move(loaded));
  }

  const runtime::tracker_clock clock;
  std::unique_ptr<ws_socket_worker> worker;

  // Both families on one port: with port 0 the first acceptor picks it and the second follows.
  // That port may already be taken in the other family (a TCP client's ephemeral port, another
  // process): then every acceptor is dropped and the kernel asked again, a few times.
  constexpr int max_bind_attempts = 20;
  std::uint16_t port = config.network.port;
  std::vector<bound_address> bound;
  std::string bind_error;
  const bool secure = config.tls.enabled;
  const std::pair<const char*, const std::string*> families[] = {
      {secure ? "wss4" : "ws4", &config.network.ipv4_address}, {secure ? "wss6" : "ws6", &config.network.ipv6_address}};
  for (int attempt = 0; attempt < max_bind_attempts; ++attempt) {
    worker = std::make_unique<ws_socket_worker>(config, *access_list, clock, tls);
    port = config.network.port;
    bound.clear();
    bind_error.clear();
    for (const auto& [name, address] : families) {
      if (address->empty()) continue;
      auto result = worker->listen(*address, port);
      if (auto* error = std::get_if<std::string>(&result)) {
        bind_error = *error;
        break;
      }
      port = std::get<std::uint16_t>(result);
      bound.push_back({name, printable(*address, address == &config.network.ipv6_address, port)});
    }
    const bool kernel_chose_port = config.network.port == 0 && !bound.empty();
    if (bind_error.empty() || !kernel_chose_port) break;
  }
  if (!bind_error.empty()) {
    std::fprintf(stderr, "tracker_ws: %s\n", bind_error.c_str());
    return 1;
  }

  if (auto error = runtime::drop_privileges(config.privileges)) {
    std::fprintf(stderr, "tracker_ws: %s\n", error->c_str());
    return 1;
  }

  std::thread worker_thread([&worker] { worker->run(); });

  for (const bound_address& address : bound) std::printf("listening %s %s\n", address.name, address.printed.c_str());
  std::printf("ready\n");
  std::fflush(stdout);
  runtime::log_info("tracker_ws serving ", secure ? "wss://" : "ws://", " on port ", port,
                    " with 1 socket worker owning every swarm");

  for (;;) {
    if (runtime::wait_for_process_signal() == runtime::process_signal::stop) break;
    if (config.tls.enabled) {
      auto reloaded_tls = load_tls_context(config.tls.certificate_chain_path, config.tls.private_key_path);
      if (auto* error = std::get_if<std::string>(&reloaded_tls)) {
        runtime::log_error("TLS reload failed, keeping the previous certificate: ", *error);
      } else {
        worker->replace_tls_context(std::get<std::shared_ptr<boost::asio::ssl::context>>(std::move(reloaded_tls)));
        runtime::log_info("TLS certificate reloaded");
      }
    }
    runtime::reload_access_list(*access_list);
  }

  runtime::log_info("stopping");
  worker->stop();
  worker_thread.join();
  worker.reset();
  runtime::log_info("stopped");
  return 0;
}

}  // namespace riptide::ws
