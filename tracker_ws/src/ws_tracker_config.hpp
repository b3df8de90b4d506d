#pragma once
// The configuration of tracker_ws: what `-p` prints and `-c` loads.

#include <cstdint>
#include <string>

#include "tracker/config/common_config.hpp"

namespace riptide::ws {

// The header in which trusted proxies name the client.
enum class forwarded_header_config : std::uint8_t { x_forwarded_for, forwarded };

struct network_config {
  std::string ipv4_address = "0.0.0.0";  // empty: no IPv4 acceptor
  std::string ipv6_address = "::";       // empty: no IPv6 acceptor (bound IPV6_V6ONLY)
  std::uint16_t port = 8000;             // 0: any free port (tests)
  std::string trusted_proxies;           // addresses and prefixes, comma-separated; empty: none
  forwarded_header_config forwarded_header = forwarded_header_config::x_forwarded_for;
  bool proxy_protocol = false;           // connections from trusted_proxies start with a PROXY header
};

struct protocol_config {
  std::uint32_t announce_interval_seconds = 120;  // told to clients (the reference tracker's 2 minutes)
  std::uint32_t peer_timeout_seconds = 240;       // about two intervals (docs/protocols.md)
  std::uint32_t completed_retention_seconds = 86'400;  // a torrent without peers keeps its downloaded count
  std::uint32_t offer_lifetime_seconds = 50;      // the WebTorrent client abandons an offer after 50 s
  std::uint32_t max_offers_relayed = 10;          // offers relayed per announce
};

struct limits_config {
  std::uint32_t max_message_bytes = 65536;        // one WebSocket message, all its fragments
  std::uint32_t max_offers = 10;                  // offers read from one announce
  std::uint32_t max_sdp_bytes = 16384;            // compact JSON of one offer or answer, as relayed
  std::uint32_t max_connections = 10000;          // open TCP connections in total
  std::uint32_t max_connections_per_ip = 64;      // open TCP connections from one address
  std::uint32_t monitoring_connections = 16;      // past max_connections: plain HTTP only
  std::uint32_t max_torrents_per_connection = 256;
  std::uint64_t max_torrents = 1'000'000;
  std::uint64_t max_peers = 2'000'000;
  std::uint32_t max_outbound_messages = 4096;     // queued per connection; beyond: relays dropped,
  std::uint32_t max_outbound_bytes = 1 << 20;     // ... and the connection's own requests wait
  std::uint32_t write_timeout_seconds = 30;       // a write stuck this long: the reader is dropped
  std::uint32_t handshake_timeout_seconds = 10;   // HTTP request + WebSocket handshake
  std::uint32_t idle_timeout_seconds = 300;       // ping at half, close at the whole
};

struct tls_config {
  bool enabled = false;                // true: the port serves wss:// and https:// only
  std::string certificate_chain_path;  // PEM, leaf first; reloaded on SIGUSR1
  std::string private_key_path;        // PEM; reloaded on SIGUSR1
};

struct ws_workers_config {
  std::uint32_t socket_workers = 1;   // threads owning connections
  std::uint32_t request_workers = 0;  // threads owning swarms; 0: the one socket worker owns them
};

// A message in a channel can be as large as limits.max_message_bytes (an announce with offers, a
// relayed offer): the capacities are kept small enough that a flood aimed at one request worker
// stays within tens of MiB per pair.
struct ws_channels_config {
  std::uint32_t request_queue_capacity = 1024;   // per (socket worker, request worker) pair
  std::uint32_t response_queue_capacity = 8192;  // per (request worker, socket worker) pair
};

// The shared [cleaning] keys, and what only tracker_ws cleans up.
struct ws_cleaning_config : config::cleaning_config {
  bool return_freed_memory = true;  // malloc_trim after a burst of connections (process_heap_trim)
};

struct ws_tracker_config {
  network_config network;
  tls_config tls;
  protocol_config protocol;
  limits_config limits;
  ws_workers_config workers;
  ws_channels_config channels;
  ws_cleaning_config cleaning;
  config::statistics_config statistics;
  config::access_list_config access_list;
  config::privileges_config privileges;
  config::log_config log;
};

}  // namespace riptide::ws
