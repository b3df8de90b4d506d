#include "ws_tracker_options.hpp"

#include <cstdint>

#include "tracker/config/common_options.hpp"
#include "tracker/proto/forwarded_for.hpp"

namespace riptide::ws {

namespace {

using option = config::option<ws_tracker_config>;

constexpr std::uint64_t one_day_seconds = 86400;
// A connection remembers the request workers it announced to in a 64-bit mask.
constexpr std::uint64_t max_workers = 64;
// All channels together may hold at most this many messages. The queues' own slots are resident
// from start-up (moodycamel preallocates twice a queue's capacity): measured, an idle tracker with
// one socket and one request worker and both capacities at 2^20 has an RSS 377 MiB above one with
// capacities of 16, about 188 bytes a slot. 2^23 slots is then about 1.5 GiB, as in tracker_udp,
// before what the messages carry.
constexpr std::uint64_t max_channel_slots = std::uint64_t{1} << 23;

// A real announce with 5 offers is about 7 KB (docs/protocols.md); below 16 KiB real clients
// break. Above 16 MiB one connection could pin that much memory per message read.
constexpr std::uint64_t min_message_bytes = 16 * 1024;
constexpr std::uint64_t max_message_bytes = 16 * 1024 * 1024;

config::option_table<ws_tracker_config> make_table() {
  std::vector<config::section_spec> sections = {
      {"network", "Listening sockets. One TCP acceptor per address family, both on the same port;\n"
                  "WebSocket (ws://) and plain HTTP GET /health, /stats and /metrics share it."},
      {"tls", "TLS (wss://). When enabled, the port speaks TLS only: wss:// and https:// /health, /stats, /metrics.\n"
              "SIGUSR1 reloads the certificate and key for new connections (a bad pair keeps the old one)."},
      {"protocol", "WebTorrent announce and relay rules."},
      {"limits", "Every size, count and time a client can make the tracker spend."},
      {"workers", "Threads. Socket workers own connections (accept, TLS, WebSocket, JSON); request workers\n"
                  "own the swarms, each a share of the info hashes. The default, one socket worker owning\n"
                  "the swarms itself, is the fastest on one or two cores."},
      {"channels", "Bounded queues between socket and request workers (with request_workers > 0); when one\n"
                   "is full the message is dropped and counted (a disconnect waits for room instead). Their\n"
                   "memory (about 190 bytes a slot) is taken at start-up: socket_workers * request_workers *\n"
                   "(request_queue_capacity + response_queue_capacity) is at most 8388608 (2^23) slots."},
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
      option::string("network", "trusted_proxies", [](auto& c) -> auto& { return c.network.trusted_proxies; },
                     "Reverse proxies in front of the tracker (TLS terminated by nginx, Caddy, a load\n"
                     "balancer), as addresses or prefixes separated by commas: \"127.0.0.1, ::1\".\n"
                     "A WebSocket upgrade from one of them counts as coming from the client its\n"
                     "forwarded_header names (the right-most entry that is not a trusted proxy): for\n"
                     "limits.max_connections_per_ip, and for the swarms of its address family. Anything at\n"
                     "a listed address can name any client, so list the proxies' own addresses, not their\n"
                     "clients' networks. Empty: the header is ignored, as it must be when clients connect\n"
                     "directly."),
      option::template enumeration<forwarded_header_config>(
          "network", "forwarded_header",
          {{"x-forwarded-for", forwarded_header_config::x_forwarded_for},
           {"forwarded", forwarded_header_config::forwarded}},
          [](auto& c) -> auto& { return c.network.forwarded_header; },
          "The header in which trusted_proxies name the client: x-forwarded-for (nginx's\n"
          "$proxy_add_x_forwarded_for, Caddy, most balancers) or forwarded (RFC 7239's\n"
          "Forwarded: for=...;proto=..., e.g. HAProxy's option forwarded). Only this one is read:\n"
          "a proxy passes the other on as the client wrote it. A Forwarded for=unknown or an\n"
          "obfuscated for=_name leaves the connection the proxy's own, as no header does."),
      option::boolean("network", "proxy_protocol", [](auto& c) -> auto& { return c.network.proxy_protocol; },
                      "Connections from trusted_proxies start with a PROXY protocol header (version 1 or\n"
                      "2), as TCP-mode load balancers send it (HAProxy's send-proxy, nginx's\n"
                      "proxy_protocol, AWS NLB): it names the client, for limits.max_connections_per_ip\n"
                      "and the swarms of its address family, and works with TLS passed through\n"
                      "(X-Forwarded-For is then not read). A header that names no client (v1 UNKNOWN, v2\n"
                      "LOCAL: health checks, unix sockets) leaves the connection the balancer's own. A\n"
                      "connection from trusted_proxies without a valid header is closed; connections from\n"
                      "other addresses are served as they come. Needs trusted_proxies."),

      // [tls]
      option::boolean("tls", "enabled", [](auto& c) -> auto& { return c.tls.enabled; },
                      "Serve wss:// instead of ws://; needs certificate_chain_path and private_key_path."),
      option::string("tls", "certificate_chain_path", [](auto& c) -> auto& { return c.tls.certificate_chain_path; },
                     "PEM file: the server certificate first, then its intermediates. A regular file of\n"
                     "at most 1 MiB (not a pipe such as /dev/fd/N)."),
      option::string("tls", "private_key_path", [](auto& c) -> auto& { return c.tls.private_key_path; },
                     "PEM file: the private key of the certificate. A regular file of at most 1 MiB."),

      // [protocol]
      option::integer("protocol", "announce_interval_seconds", "seconds", 1, one_day_seconds,
                      [](auto& c) -> auto& { return c.protocol.announce_interval_seconds; },
                      "Interval between announces, told to clients in every announce response."),
      option::integer("protocol", "peer_timeout_seconds", "seconds", 1, 2 * one_day_seconds,
                      [](auto& c) -> auto& { return c.protocol.peer_timeout_seconds; },
                      "A peer not heard from for this long is dropped (a closed connection drops its\n"
                      "peers at once). Must be greater than protocol.announce_interval_seconds."),
      // A kept count is a map slot (32 to 64 bytes with the map's load), no allocation of its own,
      // and there are at most limits.max_torrents of them.
      option::integer("protocol", "completed_retention_seconds", "seconds", 0, 30 * one_day_seconds,
                      [](auto& c) -> auto& { return c.protocol.completed_retention_seconds; },
                      "How long a torrent left without peers keeps its downloaded count: scrapes still\n"
                      "show it, and the torrent counts on from it when a peer comes back. At most\n"
                      "limits.max_torrents counts, 32 to 64 bytes each; 0: the count goes with the last\n"
                      "peer."),
      option::integer("protocol", "offer_lifetime_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.protocol.offer_lifetime_seconds; },
                      "An answer to an offer older than this is not relayed."),
      option::integer("protocol", "max_offers_relayed", "offers", 0, 100,
                      [](auto& c) -> auto& { return c.protocol.max_offers_relayed; },
                      "Offers of one announce relayed to other peers at most. A peer has at most three\n"
                      "times this many offers waiting for an answer in a torrent; beyond, its oldest goes."),

      // [limits]
      option::integer("limits", "max_message_bytes", "bytes", min_message_bytes, max_message_bytes,
                      [](auto& c) -> auto& { return c.limits.max_message_bytes; },
                      "Largest WebSocket message read; a larger one closes the connection.\n"
                      "A real announce with 5 offers is about 7 KB."),
      option::integer("limits", "max_offers", "offers", 0, 100, [](auto& c) -> auto& { return c.limits.max_offers; },
                      "Offers kept from one announce; well-formed ones past it are ignored (offers_over_limit).\n"
                      "Malformed or oversized entries are skipped and do not count towards it."),
      option::integer("limits", "max_sdp_bytes", "bytes", 256, max_message_bytes,
                      [](auto& c) -> auto& { return c.limits.max_sdp_bytes; },
                      "Largest offer or answer (compact JSON); a larger offer is skipped, a larger answer refused."),
      option::integer("limits", "max_connections", "connections", 1, 10'000'000,
                      [](auto& c) -> auto& { return c.limits.max_connections; },
                      "Open TCP connections in total; beyond, new ones are closed at once (but for\n"
                      "monitoring_connections)."),
      option::integer("limits", "max_connections_per_ip", "connections", 1, 10'000'000,
                      [](auto& c) -> auto& { return c.limits.max_connections_per_ip; },
                      "Open TCP connections from one IP address (for IPv6: from one /64); beyond, new ones\n"
                      "are closed at once."),
      // Each lives at most 2 s and one response, one per address: a handful is plenty.
      option::integer("limits", "monitoring_connections", "connections", 0, 1024,
                      [](auto& c) -> auto& { return c.limits.monitoring_connections; },
                      "Connections taken past max_connections for plain HTTP only, so that GET /health,\n"
                      "/stats and /metrics still answer when the tracker is full; a WebSocket upgrade on\n"
                      "one gets 503. One per address at a time (within max_connections_per_ip; a trusted\n"
                      "proxy's connections take any free one), each for at most 2 s (or\n"
                      "handshake_timeout_seconds if shorter). 0: none."),
      // A connection's torrents are scanned on each of its announces (socket worker and shard): a
      // few thousand at most keeps that cheap whatever a client does.
      option::integer("limits", "max_torrents_per_connection", "torrents", 1, 10'000,
                      [](auto& c) -> auto& { return c.limits.max_torrents_per_connection; },
                      "Torrents one connection may announce; one WebSocket carries every torrent of a client."),
      // Whatever many connections announce: about 520 bytes a torrent with one peer, 1.4 KB one with
      // five (scripts/ws_swarm_memory.py, docs/configuration.md).
      option::integer("limits", "max_torrents", "torrents", 1, 4294967295U,
                      [](auto& c) -> auto& { return c.limits.max_torrents; },
                      "Most torrents, both address families together; an announce that would add one more\n"
                      "gets the failure \"tracker is full\"."),
      option::integer("limits", "max_peers", "peers", 1, 4294967295U, [](auto& c) -> auto& { return c.limits.max_peers; },
                      "Most peers, both address families together; an announce that would add one more gets\n"
                      "the failure \"tracker is full\" (peers already in a swarm keep announcing)."),
      // The outbound queue of a connection is bounded twice, in messages and in bytes: at either
      // bound, offers and answers relayed to it are dropped (the offerer's client gives up on an
      // offer after 50 s anyway), and the connection's own messages are not read until its queue
      // is under both again, so a client that sends many requests without reading the replies is
      // slowed down, not dropped. A reader that stops reading is dropped by write_timeout_seconds.
      // Writes complete between turns of a socket worker's loop, so the message bound must hold what
      // one turn queues for one connection: 4096 messages is one drain of the response channel.
      // The byte bound holds several hundred relays of real SDP; a larger burst to one connection
      // within one turn loses its last relays.
      option::integer("limits", "max_outbound_messages", "messages", 1, 100'000,
                      [](auto& c) -> auto& { return c.limits.max_outbound_messages; },
                      "Messages waiting to be sent on one connection. At this many, offers and answers\n"
                      "relayed to it are dropped, and its own messages wait unread until it catches up."),
      // 1 MiB: 64 relays of the largest offer (limits.max_sdp_bytes), several hundred real ones.
      option::integer("limits", "max_outbound_bytes", "bytes", 65536, 1 << 30,
                      [](auto& c) -> auto& { return c.limits.max_outbound_bytes; },
                      "Bytes waiting to be sent on one connection (64 more per message); the same rule\n"
                      "as max_outbound_messages. Replies to its own messages may take up to 4 times this,\n"
                      "then the connection is closed."),
      option::integer("limits", "write_timeout_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.limits.write_timeout_seconds; },
                      "A connection to which no write completes for this long is closed: a reader that\n"
                      "stopped reading, or one far slower than what it is sent (a write is up to 16 messages)."),
      option::integer("limits", "handshake_timeout_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.limits.handshake_timeout_seconds; },
                      "Time allowed for the HTTP request and the WebSocket handshake."),
      option::integer("limits", "idle_timeout_seconds", "seconds", 2, one_day_seconds,
                      [](auto& c) -> auto& { return c.limits.idle_timeout_seconds; },
                      "A connection silent for half of this gets a ping; silent for all of it, it is closed.\n"
                      "Must be at least twice protocol.announce_interval_seconds."),

      // [workers]
      option::integer("workers", "socket_workers", "threads", 1, max_workers,
                      [](auto& c) -> auto& { return c.workers.socket_workers; },
                      "Threads that accept connections and own each one for its life (SO_REUSEPORT)."),
      option::integer("workers", "request_workers", "threads", 0, max_workers,
                      [](auto& c) -> auto& { return c.workers.request_workers; },
                      "Threads that own the swarms, each a keyed share of the info hashes.\n"
                      "0: the single socket worker owns every swarm itself (needs socket_workers = 1)."),

      // [channels]
      option::integer("channels", "request_queue_capacity", "messages", 16, 1'048'576,
                      [](auto& c) -> auto& { return c.channels.request_queue_capacity; },
                      "Requests in flight from one socket worker to one request worker. A request holds\n"
                      "up to its message (an announce with offers: a few KB, at most\n"
                      "limits.max_message_bytes), so this bounds the memory a flood can pin."),
      option::integer("channels", "response_queue_capacity", "messages", 16, 1'048'576,
                      [](auto& c) -> auto& { return c.channels.response_queue_capacity; },
                      "Replies and relays in flight from one request worker to one socket worker\n"
                      "(an announce with offers makes up to 1 + protocol.max_offers_relayed; a relay\n"
                      "carries one offer or answer, at most limits.max_sdp_bytes)."),

      // [cleaning]
      option::integer("cleaning", "interval_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.cleaning.interval_seconds; },
                      "How often expired peers, expired offers and empty torrents are dropped."),
      option::boolean("cleaning", "return_freed_memory", [](auto& c) -> auto& { return c.cleaning.return_freed_memory; },
                      "After a burst of connections, give the memory they freed back to the system\n"
                      "(glibc's malloc_trim): once the connections that are not WebSocket sessions (TLS and\n"
                      "HTTP handshakes, plain HTTP requests, closing ones) rose by 256 and fell back to\n"
                      "within an eighth of that rise, or once 1024 connections, and a quarter of those\n"
                      "open, have closed; counted over all socket workers, at most once a minute. A wss://\n"
                      "handshake holds about 35 KB, so without it 4000 browsers reconnecting at once leave\n"
                      "about 190 MB resident for good (reused by later connections). A trim pauses the\n"
                      "worker that runs it, and threads allocating meanwhile: about 20 ms after 4000 wss://\n"
                      "handshakes, up to several hundred ms on a heap of millions of small free blocks.\n"
                      "Clients can cause one (256 connections opened and dropped), once a minute at most.\n"
                      "Each trim is logged with its duration and counted (heap_trims in /stats). false: never."),
  };
  for (auto& shared : config::shared_tracker_options<ws_tracker_config>()) options.push_back(std::move(shared));

  return {"tracker_ws", std::move(sections), std::move(options), validate_ws_tracker_config};
}

}  // namespace

std::optional<std::string> validate_ws_tracker_config(const ws_tracker_config& config) {
  if (auto problem = config::validate_listen_addresses(config.network.ipv4_address, config.network.ipv6_address)) {
    return problem;
  }
  if (const auto proxies = proto::parse_prefix_list(config.network.trusted_proxies); !proxies.bad_entry.empty()) {
    return "network.trusted_proxies: " + config::toml_quoted(proxies.bad_entry) +
           " is not an IP address or prefix (such as 10.0.0.0/8)";
  }
  if (config.network.proxy_protocol && config.network.trusted_proxies.find_first_not_of(" \t,") == std::string::npos) {
    return "network.proxy_protocol is true: network.trusted_proxies must list the load balancers that send the header";
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
  if (auto problem = config::validate_worker_layout(
          {config.workers.socket_workers, config.workers.request_workers, config.channels.request_queue_capacity,
           config.channels.response_queue_capacity},
          "swarms", max_channel_slots, "1.5 GiB, taken at start-up")) {
    return problem;
  }
  if (auto problem = config::validate_split_limits(
          {{"limits.max_torrents", config.limits.max_torrents}, {"limits.max_peers", config.limits.max_peers}},
          config.workers.request_workers)) {
    return problem;
  }
  return config::validate_access_and_privileges(config.access_list, config.privileges);
}

const config::option_table<ws_tracker_config>& ws_tracker_options() {
  static const config::option_table<ws_tracker_config> table = make_table();
  return table;
}

}  // namespace riptide::ws
