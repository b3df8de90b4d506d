#include "ws_tracker_options.hpp"

#include <arpa/inet.h>

#include <cstdint>

namespace riptide::ws {

namespace {

using option = config::option<ws_tracker_config>;
using config::access_list_mode_config;
using config::log_level;

constexpr std::uint64_t one_day_seconds = 86400;

// A real announce with 5 offers is about 7 KB (docs/protocols.md); below 16 KiB real clients
// break. Above 16 MiB one connection could pin that much memory per message read.
constexpr std::uint64_t min_message_bytes = 16 * 1024;
constexpr std::uint64_t max_message_bytes = 16 * 1024 * 1024;

bool is_ipv4_address(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool is_ipv6_address(const std::string& text) {
  in6_addr address{};
  return inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

config::option_table<ws_tracker_config> make_table() {
  std::vector<config::section_spec> sections = {
      {"network", "Listening sockets. One TCP acceptor per address family, both on the same port;\n"
                  "WebSocket (ws://) and plain HTTP GET /health and /stats share it."},
      {"tls", "TLS (wss://). When enabled, the port speaks TLS only: wss:// and https:// /health and /stats.\n"
              "SIGUSR1 reloads the certificate and key for new connections (a bad pair keeps the old one)."},
      {"protocol", "WebTorrent announce and relay rules."},
      {"limits", "Every size, count and time a client can make the tracker spend."},
      {"workers", "Threads. For now one socket worker owns every connection and every swarm."},
      {"cleaning", "Removal of expired peers, expired offers and empty torrents."},
      {"statistics", "Periodic summary of the counters in the log."},
      {"access_list", "Which info hashes are served."},
      {"privileges", "Privilege drop, after every socket is bound."},
      {"log", "Logging to stderr."},
  };

  std::vector<option> options = {
      // [network]
      option::string("network", "ipv4_address", [](auto& c) -> auto& { return c.network.ipv4_address; },
                     "IPv4 address to listen on; empty: no IPv4 acceptor."),
      option::string("network", "ipv6_address", [](auto& c) -> auto& { return c.network.ipv6_address; },
                     "IPv6 address to listen on (the acceptor is IPV6_V6ONLY); empty: no IPv6 acceptor."),
      option::integer("network", "port", "", 0, 65535, [](auto& c) -> auto& { return c.network.port; },
                      "TCP port of both acceptors; 0 picks any free port (used by tests)."),

      // [tls]
      option::boolean("tls", "enabled", [](auto& c) -> auto& { return c.tls.enabled; },
                      "Serve wss:// instead of ws://; needs certificate_chain_path and private_key_path."),
      option::string("tls", "certificate_chain_path", [](auto& c) -> auto& { return c.tls.certificate_chain_path; },
                     "PEM file: the server certificate first, then its intermediates."),
      option::string("tls", "private_key_path", [](auto& c) -> auto& { return c.tls.private_key_path; },
                     "PEM file: the private key of the certificate."),

      // [protocol]
      option::integer("protocol", "announce_interval_seconds", "seconds", 1, one_day_seconds,
                      [](auto& c) -> auto& { return c.protocol.announce_interval_seconds; },
                      "Interval between announces, told to clients in every announce response."),
      option::integer("protocol", "peer_timeout_seconds", "seconds", 1, 2 * one_day_seconds,
                      [](auto& c) -> auto& { return c.protocol.peer_timeout_seconds; },
                      "A peer not heard from for this long is dropped (a closed connection drops its\n"
                      "peers at once). Must be greater than protocol.announce_interval_seconds."),
      option::integer("protocol", "offer_lifetime_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.protocol.offer_lifetime_seconds; },
                      "An answer to an offer older than this is not relayed."),
      option::integer("protocol", "max_offers_relayed", "offers", 0, 100,
                      [](auto& c) -> auto& { return c.protocol.max_offers_relayed; },
                      "Offers of one announce relayed to other peers at most."),

      // [limits]
      option::integer("limits", "max_message_bytes", "bytes", min_message_bytes, max_message_bytes,
                      [](auto& c) -> auto& { return c.limits.max_message_bytes; },
                      "Largest WebSocket message read; a larger one closes the connection.\n"
                      "A real announce with 5 offers is about 7 KB."),
      option::integer("limits", "max_offers", "offers", 0, 100, [](auto& c) -> auto& { return c.limits.max_offers; },
                      "Offers read from one announce; the rest are ignored."),
      option::integer("limits", "max_sdp_bytes", "bytes", 256, max_message_bytes,
                      [](auto& c) -> auto& { return c.limits.max_sdp_bytes; },
                      "Largest offer or answer (compact JSON); a larger offer is skipped, a larger answer refused."),
      option::integer("limits", "max_connections", "connections", 1, 10'000'000,
                      [](auto& c) -> auto& { return c.limits.max_connections; },
                      "Open TCP connections in total; beyond, new ones are closed at once."),
      option::integer("limits", "max_connections_per_ip", "connections", 1, 10'000'000,
                      [](auto& c) -> auto& { return c.limits.max_connections_per_ip; },
                      "Open TCP connections from one IP address; beyond, new ones are closed at once."),
      option::integer("limits", "max_torrents_per_connection", "torrents", 1, 100'000,
                      [](auto& c) -> auto& { return c.limits.max_torrents_per_connection; },
                      "Torrents one connection may announce; one WebSocket carries every torrent of a client."),
      option::integer("limits", "max_outbound_messages", "messages", 1, 100'000,
                      [](auto& c) -> auto& { return c.limits.max_outbound_messages; },
                      "Messages waiting to be sent on one connection; a reader this slow is disconnected,\n"
                      "never buffered without bound."),
      option::integer("limits", "handshake_timeout_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.limits.handshake_timeout_seconds; },
                      "Time allowed for the HTTP request and the WebSocket handshake."),
      option::integer("limits", "idle_timeout_seconds", "seconds", 2, one_day_seconds,
                      [](auto& c) -> auto& { return c.limits.idle_timeout_seconds; },
                      "A connection silent for half of this gets a ping; silent for all of it, it is closed.\n"
                      "Must be at least twice protocol.announce_interval_seconds."),

      // [workers]
      option::integer("workers", "socket_workers", "threads", 1, 1,
                      [](auto& c) -> auto& { return c.workers.socket_workers; },
                      "Threads that own connections. Only 1 for now: that worker also owns every swarm,\n"
                      "so relays are direct calls (request workers for tracker_ws come next)."),

      // [cleaning]
      option::integer("cleaning", "interval_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.cleaning.interval_seconds; },
                      "How often expired peers, expired offers and empty torrents are dropped."),

      // [statistics]
      option::integer("statistics", "interval_seconds", "seconds", 0, one_day_seconds,
                      [](auto& c) -> auto& { return c.statistics.interval_seconds; },
                      "A summary line in the log every interval; 0 turns it off."),

      // [access_list]
      option::enumeration<access_list_mode_config>(
          "access_list", "mode",
          {{"off", access_list_mode_config::off},
           {"allow", access_list_mode_config::allow},
           {"deny", access_list_mode_config::deny}},
          [](auto& c) -> auto& { return c.access_list.mode; },
          "off: serve every info hash; allow: only those listed in path; deny: all but those listed."),
      option::string("access_list", "path", [](auto& c) -> auto& { return c.access_list.path; },
                     "File of info hashes, one per line as 40 hex digits ('#' starts a comment);\n"
                     "required unless mode is off. Reloaded on SIGUSR1 (inside the chroot, if any);\n"
                     "a bad file is refused whole."),

      // [privileges]
      option::boolean("privileges", "drop", [](auto& c) -> auto& { return c.privileges.drop; },
                      "After binding every socket: chroot (if chroot_path is set), then setgid and setuid to user."),
      option::string("privileges", "chroot_path", [](auto& c) -> auto& { return c.privileges.chroot_path; },
                     "Absolute directory to chroot into when drop is true; empty: no chroot."),
      option::string("privileges", "user", [](auto& c) -> auto& { return c.privileges.user; },
                     "User (and its primary group) to run as when drop is true."),

      // [log]
      option::enumeration<log_level>("log", "level",
                                     {{"debug", log_level::debug},
                                      {"info", log_level::info},
                                      {"warning", log_level::warning},
                                      {"error", log_level::error}},
                                     [](auto& c) -> auto& { return c.log.level; },
                                     "Least severe level written to stderr."),
  };

  return {"tracker_ws", std::move(sections), std::move(options), validate_ws_tracker_config};
}

}  // namespace

std::optional<std::string> validate_ws_tracker_config(const ws_tracker_config& config) {
  const auto& network = config.network;
  if (!network.ipv4_address.empty() && !is_ipv4_address(network.ipv4_address)) {
    return "network.ipv4_address: \"" + network.ipv4_address + "\" is not an IPv4 address";
  }
  if (!network.ipv6_address.empty() && !is_ipv6_address(network.ipv6_address)) {
    return "network.ipv6_address: \"" + network.ipv6_address + "\" is not an IPv6 address";
  }
  if (network.ipv4_address.empty() && network.ipv6_address.empty()) {
    return "network.ipv4_address and network.ipv6_address are both empty: no socket to serve on";
  }
  if (config.tls.enabled && (config.tls.certificate_chain_path.empty() || config.tls.private_key_path.empty())) {
    return "tls.enabled is true: tls.certificate_chain_path and tls.private_key_path must be set";
  }
  const auto& protocol = config.protocol;
  // A peer that announces on time must never expire between two announces.
  if (protocol.peer_timeout_seconds <= protocol.announce_interval_seconds) {
    return "protocol.peer_timeout_seconds (" + std::to_string(protocol.peer_timeout_seconds) +
           ") must be greater than protocol.announce_interval_seconds (" +
           std::to_string(protocol.announce_interval_seconds) + ")";
  }
  // protocols.md: close idle connections only after at least two intervals.
  if (std::uint64_t{config.limits.idle_timeout_seconds} < 2 * std::uint64_t{protocol.announce_interval_seconds}) {
    return "limits.idle_timeout_seconds (" + std::to_string(config.limits.idle_timeout_seconds) +
           ") must be at least twice protocol.announce_interval_seconds (" +
           std::to_string(protocol.announce_interval_seconds) + ")";
  }
  if (config.limits.max_connections_per_ip > config.limits.max_connections) {
    return "limits.max_connections_per_ip (" + std::to_string(config.limits.max_connections_per_ip) +
           ") must not exceed limits.max_connections (" + std::to_string(config.limits.max_connections) + ")";
  }
  if (config.limits.max_sdp_bytes >= config.limits.max_message_bytes) {
    return "limits.max_sdp_bytes (" + std::to_string(config.limits.max_sdp_bytes) +
           ") must be less than limits.max_message_bytes (" + std::to_string(config.limits.max_message_bytes) + ")";
  }
  if (config.access_list.mode != access_list_mode_config::off && config.access_list.path.empty()) {
    return "access_list.path must be set when access_list.mode is not \"off\"";
  }
  const auto& privileges = config.privileges;
  if (privileges.drop && privileges.user.empty()) {
    return "privileges.user must be set when privileges.drop is true";
  }
  if (!privileges.chroot_path.empty() && !privileges.drop) {
    return "privileges.chroot_path is set but privileges.drop is false: the chroot would not happen";
  }
  if (!privileges.chroot_path.empty() && privileges.chroot_path.front() != '/') {
    return "privileges.chroot_path: \"" + privileges.chroot_path + "\" is not an absolute path";
  }
  return std::nullopt;
}

const config::option_table<ws_tracker_config>& ws_tracker_options() {
  static const config::option_table<ws_tracker_config> table = make_table();
  return table;
}

}  // namespace riptide::ws
