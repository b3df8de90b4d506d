#pragma once
// What crosses between socket workers and request workers. A request carries a reply_route that
// request workers never read, only hand back, so the same request workers serve every front end
// (UDP now, HTTP later) of one process: one set of swarms.

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "tracker/core/torrent_shard.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::runtime {

// Where and how to answer. Opaque to request workers.
struct reply_route {
  std::uint16_t socket_worker = 0;           // which socket worker gets the response
  std::uint8_t socket = 0;                   // which of its sockets (UDP: 0 = IPv4, 1 = IPv6)
  std::uint32_t transaction = 0;             // the client's transaction id (UDP)
  std::array<std::uint8_t, 16> address{};    // the client's address, IPv4 as v4-mapped
  std::uint16_t port = 0;                    // the client's source port
  std::uint32_t scope_id = 0;                // IPv6 link-local clients: the interface to answer on
};

struct announce_request_ipv4 {
  reply_route route;
  core::announce_input<proto::ipv4_endpoint> input;
};

struct announce_request_ipv6 {
  reply_route route;
  core::announce_input<proto::ipv6_endpoint> input;
};

// One info hash of a scrape. A scrape is split by shard; the socket worker that split it merges
// the parts, matching them by (pending_id, index).
struct scrape_part_request {
  std::uint16_t socket_worker = 0;
  std::uint64_t pending_id = 0;
  std::uint8_t index = 0;
  proto::address_family family = proto::address_family::ipv4;
  proto::info_hash hash;
};

using shard_request = std::variant<announce_request_ipv4, announce_request_ipv6, scrape_part_request>;

struct announce_response_ipv4 {
  reply_route route;
  core::announce_outcome counts;
  std::vector<proto::ipv4_endpoint> peers;
};

struct announce_response_ipv6 {
  reply_route route;
  core::announce_outcome counts;
  std::vector<proto::ipv6_endpoint> peers;
};

struct scrape_part_response {
  std::uint64_t pending_id = 0;
  std::uint8_t index = 0;
  core::scrape_counts counts;
};

using shard_response = std::variant<announce_response_ipv4, announce_response_ipv6, scrape_part_response>;

inline std::uint16_t socket_worker_of(const shard_request& request) {
  return std::visit(
      [](const auto& r) -> std::uint16_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(r)>, scrape_part_request>) {
          return r.socket_worker;
        } else {
          return r.route.socket_worker;
        }
      },
      request);
}

}  // namespace riptide::runtime
