#pragma once
// The configuration of `load_test ws`: what `load_test ws -p` prints and `-c` loads.

#include <cstdint>
#include <string>

#include "udp_load_config.hpp"  // udp_torrent_config: the popularity model is shared with the UDP mode

namespace riptide::load_test {

struct ws_target_config {
  std::string address = "127.0.0.1";  // the tracker; IPv4 or IPv6 literal
  std::uint16_t port = 8000;
  // wss://. The tracker's certificate is NOT verified: this is a load generator, not a client.
  bool tls = false;
};

struct ws_run_config {
  std::uint32_t threads = 1;  // each runs its own io_context and owns connections / threads of them
  std::uint32_t connections = 1000;
  // IPv4 targets: connection i binds first_source_address + i / connections_per_address, so that
  // tracker_ws's limits.max_connections_per_ip (64 by default) is not hit. IPv6 or empty: the kernel chooses.
  std::string first_source_address = "127.0.0.2";
  std::uint32_t connections_per_address = 50;
  std::uint32_t duration_seconds = 10;
  std::uint32_t warmup_timeout_seconds = 60;  // connect everything and announce once, at most this long
  std::uint32_t seed = 1;
  // The load threads never sleep: they poll their sockets and timers in a loop, each using its
  // whole core. Over loopback a sleeping generator is woken by the server's own send (an
  // inter-processor interrupt, dear on a virtual machine), so the server pays for the client's
  // wake-up, which over a network it never does; polling takes that off the server's bill.
  bool busy_poll = false;
};

struct ws_request_config {
  // Each connection sends one message every message_interval_ms (the first at a random offset), an
  // announce with offers or a scrape by weight; answers to relayed offers are sent at once, on top.
  std::uint32_t message_interval_ms = 1000;
  std::uint32_t announce_weight = 90;
  std::uint32_t scrape_weight = 10;
  std::uint32_t offers_per_announce = 5;
  std::uint32_t sdp_bytes = 1000;  // length of the sdp text of each offer and answer
  std::uint32_t max_scrape_hashes = 5;
  std::uint32_t max_queued_messages = 32;  // per connection; beyond, a message is dropped and counted
};

// Fewer, more skewed torrents than the UDP mode: offers are only relayed inside a swarm.
inline udp_torrent_config default_ws_torrents() {
  udp_torrent_config torrents;
  torrents.count = 100;
  torrents.pareto_scale = 10.0;
  return torrents;
}

struct ws_load_config {
  ws_target_config target;
  ws_run_config run;
  ws_request_config requests;
  udp_torrent_config torrents = default_ws_torrents();
};

}  // namespace riptide::load_test
