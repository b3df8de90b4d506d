#include "ws_tracker.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "tracker/runtime/access_list_holder.hpp"
#include "tracker/proto/forwarded_for.hpp"
#include "tracker/runtime/log.hpp"
#include "tracker/runtime/open_file_limit.hpp"
#include "tracker/runtime/privileges.hpp"
#include "tracker/runtime/process_signals.hpp"
#include "tracker/runtime/serving.hpp"
#include "tracker/runtime/tracker_clock.hpp"
#include "tracker/runtime/worker_set.hpp"
#include "tls_context.hpp"
#include "ws_request_worker.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace {

// "0.0.0.0:8000" or "[::1]:8000": the address bound, as configured (tracker_udp prints it too).
std::string printable(const std::string& address, bool ipv6, std::uint16_t port) {
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

// The settings of shard `shard_index` of `shard_count`: the tracker-wide bounds are split over them
// (the keyed hash spreads torrents evenly).
ws_swarm_settings swarm_settings_of(const ws_tracker_config& config, std::uint64_t shard_count,
                                    std::uint64_t shard_index) {
  ws_swarm_settings settings;
  settings.rules.max_torrents = core::share_of_total(config.limits.max_torrents, shard_count, shard_index);
  settings.rules.max_peers = core::share_of_total(config.limits.max_peers, shard_count, shard_index);
  settings.rules.peer_timeout_seconds = config.protocol.peer_timeout_seconds;
  settings.rules.completed_retention_seconds = config.protocol.completed_retention_seconds;
  settings.rules.offer_lifetime_seconds = config.protocol.offer_lifetime_seconds;
  settings.rules.max_offers_relayed = config.protocol.max_offers_relayed;
  // Three announces' worth of offers pending per peer (webtorrent_rules).
  settings.rules.max_pending_offers_per_peer = std::max<std::uint32_t>(1, 3 * config.protocol.max_offers_relayed);
  settings.rules.max_torrents_per_connection = config.limits.max_torrents_per_connection;
  settings.announce_interval_seconds = config.protocol.announce_interval_seconds;
  settings.cleaning_interval_seconds = config.cleaning.interval_seconds;
  settings.report_released_torrents = config.workers.request_workers > 0;
  return settings;
}

struct listening_on {
  std::uint16_t port = 0;
  std::vector<runtime::listening_address> addresses;
};

// Every socket worker listens on both families, all on one port: with port 0 the first acceptor
// picks it and the others follow. That port may already be taken in the other family (a TCP
// client's ephemeral port, another process): then every acceptor is dropped and the kernel asked
// again, a few times. Returns the port and addresses, or one line of error.
std::variant<listening_on, std::string> listen_everywhere(
    const ws_tracker_config& config, const std::vector<std::unique_ptr<ws_socket_worker>>& socket_workers) {
  constexpr int max_bind_attempts = 20;
  const bool secure = config.tls.enabled;
  const std::pair<const char*, const std::string*> families[] = {
      {secure ? "wss4" : "ws4", &config.network.ipv4_address}, {secure ? "wss6" : "ws6", &config.network.ipv6_address}};
  listening_on result;
  std::string bind_error;
  for (int attempt = 0; attempt < max_bind_attempts; ++attempt) {
    result = {config.network.port, {}};
    bind_error.clear();
    for (const auto& worker : socket_workers) worker->close_listeners();
    for (const auto& [name, address] : families) {
      if (address->empty() || !bind_error.empty()) continue;
      for (const auto& worker : socket_workers) {
        auto bound = worker->listen(*address, result.port, worker == socket_workers.front());
        if (auto* error = std::get_if<std::string>(&bound)) {
          bind_error = *error;
          break;
        }
        result.port = std::get<std::uint16_t>(bound);
      }
      if (bind_error.empty()) {
        result.addresses.push_back(
            {name, printable(*address, address == &config.network.ipv6_address, result.port)});
      }
    }
    const bool kernel_chose_port = config.network.port == 0 && !result.addresses.empty();
    if (bind_error.empty() || !kernel_chose_port) break;
  }
  if (!bind_error.empty()) return bind_error;
  return result;
}

// SIGUSR1: the certificate and key again, for new connections; a bad pair keeps the old one.
void reload_tls(const tls_config& tls, const std::vector<std::unique_ptr<ws_socket_worker>>& socket_workers) {
  auto loaded = load_tls_context(tls.certificate_chain_path, tls.private_key_path);
  if (auto* error = std::get_if<std::string>(&loaded)) {
    runtime::log_error("TLS reload failed, keeping the previous certificate: ", *error);
    return;
  }
  const auto context = std::get<std::shared_ptr<boost::asio::ssl::context>>(std::move(loaded));
  for (const auto& worker : socket_workers) worker->replace_tls_context(context);
  runtime::log_info("TLS certificate reloaded");
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
      runtime::write_error_line("tracker_ws", *error);
      return 1;
    }
    tls = std::get<std::shared_ptr<boost::asio::ssl::context>>(std::move(loaded));
  }

  const runtime::tracker_clock clock;
  const std::size_t socket_worker_count = config.workers.socket_workers;
  const std::size_t request_worker_count = config.workers.request_workers;
  const bool inline_swarms = request_worker_count == 0;  // the single socket worker owns them
  const core::shard_router router(core::random_siphash_key(),
                                  static_cast<std::uint32_t>(inline_swarms ? 1 : request_worker_count));
  connection_limiter limiter(config.limits.max_connections, config.limits.max_connections_per_ip,
                             config.limits.monitoring_connections);
  process_heap_trim heap_trim(socket_worker_count, config.cleaning.return_freed_memory);
  // Checked when the configuration was loaded.
  const auto trusted_proxies = proto::parse_prefix_list(config.network.trusted_proxies).prefixes;
  // A prefix this wide is more likely a mistake (clients' networks listed) than a fleet of proxies.
  for (const auto& proxy : trusted_proxies) {
    if (proxy.length() < (proxy.family() == proto::address_family::ipv4 ? 8u : 32u)) {
      runtime::log_warning("network.trusted_proxies: ", proxy.to_string(),
                           " is very wide: any host in it can name any client in network.forwarded_header"
                           " (list the proxies' own addresses)");
    }
  }

  // One channel per (socket worker, request worker) pair in each direction.
  const auto request_inboxes = runtime::make_each<ws_request_inbox>(request_worker_count, socket_worker_count,
                                                                    config.channels.request_queue_capacity);
  const auto response_inboxes = runtime::make_each<ws_response_inbox>(
      inline_swarms ? 0 : socket_worker_count, request_worker_count, config.channels.response_queue_capacity);
  const auto counters = runtime::make_each<ws_counters>(socket_worker_count + request_worker_count);
  const auto counter_pointers = runtime::pointers_to(counters);

  std::vector<std::unique_ptr<ws_request_worker>> request_workers;
  for (std::size_t i = 0; i < request_worker_count; ++i) {
    request_workers.push_back(std::make_unique<ws_request_worker>(
        static_cast<std::uint16_t>(i), clock, *request_inboxes[i], runtime::pointers_to(response_inboxes),
        swarm_settings_of(config, request_worker_count, i), core::random_siphash_key(),
        core::random_siphash_key().k0, clock.now_seconds(), *counters[socket_worker_count + i]));
  }
  std::vector<std::unique_ptr<ws_socket_worker>> socket_workers;
  for (std::size_t i = 0; i < socket_worker_count; ++i) {
    ws_swarm_access swarms;
    if (inline_swarms) {
      swarms.inline_service =
          std::make_unique<ws_swarm_service>(swarm_settings_of(config, 1, 0), core::random_siphash_key(),
                                             core::random_siphash_key().k0, clock.now_seconds(), *counters[i]);
    } else {
      swarms.request_inboxes = runtime::pointers_to(request_inboxes);
      swarms.responses = response_inboxes[i].get();
    }
    ws_socket_worker_services services{*access_list, clock, router, limiter, heap_trim, trusted_proxies,
                                       {counter_pointers.begin(), counter_pointers.end()}};
    socket_workers.push_back(std::make_unique<ws_socket_worker>(static_cast<std::uint16_t>(i), config,
                                                                std::move(services), std::move(swarms), *counters[i],
                                                                tls));
  }

  // Every connection is a descriptor; the tracker's own (listeners, wake-ups, files) are a few dozen.
  const std::uint64_t open_files = runtime::raise_open_file_limit();
  constexpr std::uint64_t own_descriptors = 64;
  const std::uint64_t most_connections =
      std::uint64_t{config.limits.max_connections} + config.limits.monitoring_connections;
  if (open_files < most_connections + own_descriptors) {
    runtime::log_warning("limits.max_connections and monitoring_connections make ", most_connections,
                         " but the open-file limit is ", open_files, ": accepts fail beyond about ",
                         open_files > own_descriptors ? open_files - own_descriptors : 0,
                         " connections (raise the hard limit: ulimit -Hn, systemd LimitNOFILE=)");
  }
  const auto listening = listen_everywhere(config, socket_workers);
  if (auto* error = std::get_if<std::string>(&listening)) {
    runtime::write_error_line("tracker_ws", *error);
    return 1;
  }
  // Plain names, not a structured binding: lambdas below capture them (clang before 16 cannot).
  const std::uint16_t port = std::get<listening_on>(listening).port;
  const std::vector<runtime::listening_address>& bound = std::get<listening_on>(listening).addresses;
  const bool secure = config.tls.enabled;

  // Files reloaded on SIGUSR1, as reachable from inside the chroot (if any); resolved before the
  // drop, while their paths and the chroot directory name what they named at start-up.
  const std::string access_list_reload_path = runtime::path_after_chroot(config.access_list.path, config.privileges);
  tls_config reloaded_tls = config.tls;
  reloaded_tls.certificate_chain_path = runtime::path_after_chroot(config.tls.certificate_chain_path, config.privileges);
  reloaded_tls.private_key_path = runtime::path_after_chroot(config.tls.private_key_path, config.privileges);
  if (auto error = runtime::drop_privileges(config.privileges)) {
    runtime::write_error_line("tracker_ws", *error);
    return 1;
  }
  access_list->reload_from(access_list_reload_path);
  if (config.access_list.mode != config::access_list_mode_config::off) {
    runtime::warn_if_unreadable_after_drop(config.privileges, "access list", access_list_reload_path);
  }
  if (config.tls.enabled) {
    runtime::warn_if_unreadable_after_drop(config.privileges, "TLS certificate chain",
                                           reloaded_tls.certificate_chain_path);
    runtime::warn_if_unreadable_after_drop(config.privileges, "TLS private key", reloaded_tls.private_key_path);
  }

  runtime::serve_until_stopped(
      request_workers, socket_workers,
      [&] {
        runtime::print_ready(bound);
        runtime::log_info("tracker_ws serving ", secure ? "wss://" : "ws://", " on port ", port, " with ",
                          socket_worker_count, " socket worker(s) and ", request_worker_count, " request worker(s)",
                          inline_swarms ? " (the socket worker owns every swarm)" : "");
      },
      [&] {
        if (config.tls.enabled) reload_tls(reloaded_tls, socket_workers);
        runtime::reload_access_list(*access_list);
      });
  // The totals at the stop, with what came since the last line: every worker has stopped.
  if (config.statistics.interval_seconds != 0 && !socket_workers.empty()) {
    runtime::log_info("statistics at the stop: ", socket_workers.front()->stats_line());
  }
  socket_workers.clear();
  runtime::log_info("stopped");
  return 0;
}

}  // namespace riptide::ws
