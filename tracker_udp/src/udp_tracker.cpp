#include "udp_tracker.hpp"

#include <unistd.h>

#include <memory>
#include <vector>

#include "tracker/core/connection_id_validator.hpp"
#include "tracker/core/shard_router.hpp"
#include "tracker/runtime/access_list_holder.hpp"
#include "tracker/runtime/channels.hpp"
#include "tracker/runtime/log.hpp"
#include "tracker/runtime/privileges.hpp"
#include "tracker/runtime/process_signals.hpp"
#include "tracker/runtime/request_worker.hpp"
#include "tracker/runtime/serving.hpp"
#include "tracker/runtime/statistics_reporter.hpp"
#include "tracker/runtime/worker_set.hpp"
#include "udp_socket_binding.hpp"
#include "udp_socket_worker.hpp"

namespace riptide::udp {
namespace {

struct worker_sockets {
  int ipv4_fd = -1;
  int ipv6_fd = -1;
};

// Closes whatever was bound if start-up fails half way.
struct socket_set {
  std::vector<worker_sockets> per_worker;
  ~socket_set() {
    for (const worker_sockets& sockets : per_worker) {
      if (sockets.ipv4_fd >= 0) ::close(sockets.ipv4_fd);
      if (sockets.ipv6_fd >= 0) ::close(sockets.ipv6_fd);
    }
  }
  void release() { per_worker.clear(); }  // the workers own the descriptors now
};

struct bound_address {
  proto::address_family family;
  std::string address;
};

// Binds one socket per family per socket worker, all on one port. With port 0 the first socket
// picks a free port and the others follow it, so that every worker serves the same port.
std::variant<std::uint16_t, std::string> bind_sockets(const udp_tracker_config& config, socket_set& sockets,
                                                      std::vector<bound_address>& bound) {
  std::uint16_t port = config.network.port;
  sockets.per_worker.resize(config.workers.socket_workers);
  const std::pair<proto::address_family, const std::string*> families[] = {
      {proto::address_family::ipv4, &config.network.ipv4_address},
      {proto::address_family::ipv6, &config.network.ipv6_address}};
  for (const auto& [family, address] : families) {
    if (address->empty()) continue;
    if (port != 0) {
      if (auto taken = check_port_free(*address, port)) return *taken;
    }
    for (worker_sockets& worker : sockets.per_worker) {
      auto result = bind_udp_socket({*address, port, config.network.socket_receive_buffer_bytes,
                                     config.network.socket_send_buffer_bytes});
      if (auto* error = std::get_if<std::string>(&result)) return *error;
      const bound_socket socket = std::get<bound_socket>(result);
      if (socket.family != family) {
        ::close(socket.fd);
        return std::string(family == proto::address_family::ipv4 ? "network.ipv4_address" : "network.ipv6_address") +
               " is not an " + (family == proto::address_family::ipv4 ? "IPv4" : "IPv6") + " address: " + *address;
      }
      (family == proto::address_family::ipv4 ? worker.ipv4_fd : worker.ipv6_fd) = socket.fd;
      port = socket.port;
    }
    bound.push_back({family, *address});
  }
  if (bound.empty()) return std::string("no address to listen on: network.ipv4_address and network.ipv6_address are both empty");
  return port;
}

}  // namespace

int run(const udp_tracker_config& config) {
  // First of all, so that no signal can end the process during start-up (a reload asked for
  // while the access list loads is then taken once the tracker serves).
  runtime::block_process_signals();
  runtime::set_log_level(config.log.level);

  const auto access_list = runtime::open_access_list(config.access_list, "tracker_udp");
  if (!access_list) return 1;

  socket_set sockets;
  std::vector<bound_address> bound;
  const auto port_or_error = bind_sockets(config, sockets, bound);
  if (auto* error = std::get_if<std::string>(&port_or_error)) {
    runtime::write_error_line("tracker_udp", *error);
    return 1;
  }
  const std::uint16_t port = std::get<std::uint16_t>(port_or_error);

  // Resolved before the drop, while the path and the chroot directory name what they named at start-up.
  const std::string access_list_reload_path = runtime::path_after_chroot(config.access_list.path, config.privileges);
  if (auto error = runtime::drop_privileges(config.privileges)) {
    runtime::write_error_line("tracker_udp", *error);
    return 1;
  }
  access_list->reload_from(access_list_reload_path);
  if (config.access_list.mode != config::access_list_mode_config::off) {
    runtime::warn_if_unreadable_after_drop(config.privileges, "access list", access_list_reload_path);
  }

  const std::size_t socket_worker_count = config.workers.socket_workers;
  const std::size_t request_worker_count = config.workers.request_workers;
  const runtime::tracker_clock clock;
  const core::connection_id_validator connection_ids(core::random_siphash_key(),
                                                     config.protocol.connection_id_lifetime_seconds);
  // With no request workers, the single socket worker owns every torrent: one shard.
  const bool inline_shard = request_worker_count == 0;
  const core::shard_router router(core::random_siphash_key(),
                                  static_cast<std::uint32_t>(inline_shard ? 1 : request_worker_count));

  // One channel per (socket worker, request worker) pair in each direction.
  const auto request_inboxes = runtime::make_each<runtime::request_inbox>(request_worker_count, socket_worker_count,
                                                                 config.channels.request_queue_capacity);
  const auto response_inboxes = runtime::make_each<runtime::response_inbox>(
      inline_shard ? 0 : socket_worker_count, request_worker_count, config.channels.response_queue_capacity);
  const std::vector<runtime::request_inbox*> request_inbox_pointers = runtime::pointers_to(request_inboxes);
  const std::vector<runtime::response_inbox*> response_inbox_pointers = runtime::pointers_to(response_inboxes);

  const auto counters = runtime::make_each<runtime::worker_counters>(socket_worker_count + request_worker_count);
  const auto counter_views = runtime::pointers_to(counters);
  const std::vector<const runtime::worker_counters*> counter_pointers(counter_views.begin(), counter_views.end());

  runtime::shard_settings shard_settings;
  shard_settings.rules.peer_timeout_seconds = config.swarm.peer_timeout_seconds;
  shard_settings.rules.default_peers_wanted = config.swarm.default_num_want;
  shard_settings.rules.max_peers_ipv4 = config.swarm.max_peers_ipv4;
  shard_settings.rules.max_peers_ipv6 = config.swarm.max_peers_ipv6;
  shard_settings.rules.completed_retention_seconds = config.swarm.completed_retention_seconds;
  shard_settings.rules.ipv6_source_prefix_bits = config.swarm.ipv6_source_prefix_length;
  shard_settings.cleaning_interval_seconds = config.cleaning.interval_seconds;
  // Shard `index`'s part of the tracker-wide bounds, split over the shards (the keyed hash spreads
  // torrents evenly). The parts add up to the configured totals exactly: rounding each part up
  // would let, say, 3 shards hold 102 torrents under max_torrents = 100.
  const std::uint64_t shard_count = inline_shard ? 1 : request_worker_count;
  const auto settings_of_shard = [&](std::size_t index) {
    runtime::shard_settings own = shard_settings;
    own.rules.max_torrents = core::share_of_total(config.swarm.max_torrents, shard_count, index);
    own.rules.max_peers = core::share_of_total(config.swarm.max_peers, shard_count, index);
    // A source's peers spread over the shards as its torrents do, so each holds its share of them.
    own.rules.max_peers_per_source =
        static_cast<std::uint32_t>(core::share_of_total(config.swarm.max_peers_per_source, shard_count, index));
    return own;
  };
  using request_worker = runtime::request_worker<runtime::shard_service>;
  std::vector<std::unique_ptr<request_worker>> request_workers;
  for (std::size_t i = 0; i < request_worker_count; ++i) {
    request_workers.push_back(std::make_unique<request_worker>(
        static_cast<std::uint16_t>(i), clock, *request_inboxes[i], response_inbox_pointers, settings_of_shard(i),
        core::random_siphash_key(), core::random_siphash_key().k0, clock.now_seconds(),
        *counters[socket_worker_count + i]));
  }

  udp_socket_worker_settings socket_settings;
  socket_settings.announce_interval_seconds = config.swarm.announce_interval_seconds;
  socket_settings.max_scrape_hashes = config.protocol.max_scrape_hashes;
  socket_settings.batch_size = config.protocol.receive_batch;
  socket_settings.max_pending_scrapes = config.protocol.max_pending_scrapes;
  const udp_socket_worker_services services{connection_ids, router, *access_list, clock};
  std::vector<std::unique_ptr<udp_socket_worker>> socket_workers;
  for (std::size_t i = 0; i < socket_worker_count; ++i) {
    std::unique_ptr<runtime::shard_service> local_shard;
    if (inline_shard) {
      local_shard = std::make_unique<runtime::shard_service>(settings_of_shard(0), core::random_siphash_key(),
                                                             core::random_siphash_key().k0, clock.now_seconds(),
                                                             *counters[i]);
    }
    socket_workers.push_back(std::make_unique<udp_socket_worker>(
        static_cast<std::uint16_t>(i), socket_settings, services, sockets.per_worker[i].ipv4_fd,
        sockets.per_worker[i].ipv6_fd, request_inbox_pointers, inline_shard ? nullptr : response_inbox_pointers[i],
        std::move(local_shard), *counters[i]));
  }
  sockets.release();

  std::vector<runtime::listening_address> listening;
  for (const bound_address& address : bound) {
    listening.push_back({address.family == proto::address_family::ipv4 ? "udp4" : "udp6",
                         format_socket_address(address.address, address.family, port)});
  }
  runtime::statistics_reporter statistics(counter_pointers, config.statistics.interval_seconds);
  runtime::serve_until_stopped(
      request_workers, socket_workers,
      [&] {
        statistics.start();
        runtime::print_ready(listening);
        runtime::log_info("tracker_udp serving on port ", port, " with ", socket_worker_count,
                          " socket worker(s) and ", request_worker_count, " request worker(s)");
      },
      [&] { runtime::reload_access_list(*access_list); });
  statistics.stop();
  runtime::log_info("stopped");
  return 0;
}

}  // namespace riptide::udp
