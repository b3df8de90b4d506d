#pragma once
// The configuration of tracker_udp: what `-p` prints and `-c` loads.

#include <cstdint>
#include <string>

#include "tracker/config/common_config.hpp"

namespace riptide::udp {

struct network_config {
  std::string ipv4_address = "0.0.0.0";  // empty: no IPv4 socket
  std::string ipv6_address = "::";       // empty: no IPv6 socket (bound IPV6_V6ONLY)
  std::uint16_t port = 6969;             // 0: any free port (tests)
  std::uint32_t socket_receive_buffer_bytes = 8 * 1024 * 1024;  // SO_RCVBUF; 0: the OS default
  std::uint32_t socket_send_buffer_bytes = 8 * 1024 * 1024;     // SO_SNDBUF; 0: the OS default
};

struct protocol_config {
  std::uint32_t connection_id_lifetime_seconds = 120;  // BEP 15: at least two minutes
  std::uint32_t max_scrape_hashes = 74;                // more in one scrape get an error reply
  std::uint32_t receive_batch = 64;                    // datagrams per recvmmsg / sendmmsg
  std::uint32_t max_pending_scrapes = 4096;            // split scrapes awaiting parts, per socket worker
};

struct udp_tracker_config {
  network_config network;
  protocol_config protocol;
  config::workers_config workers;
  config::swarm_config swarm;
  config::channel_config channels;
  config::cleaning_config cleaning;
  config::statistics_config statistics;
  config::access_list_config access_list;
  config::privileges_config privileges;
  config::log_config log;
};

}  // namespace riptide::udp
