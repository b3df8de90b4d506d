#pragma once
// The configuration of `load_test udp`: what `load_test udp -p` prints and `-c` loads.

#include <cstdint>
#include <string>

namespace riptide::load_test {

enum class popularity_distribution : std::uint8_t { pareto, gamma, uniform };

struct udp_target_config {
  std::string address = "127.0.0.1";  // the tracker; IPv4 or IPv6 literal
  std::uint16_t port = 6969;
};

struct udp_run_config {
  std::uint32_t threads = 1;
  std::uint32_t sockets_per_thread = 8;
  // IPv4 targets: socket i binds first_source_address + i (127.0.0.2, 127.0.0.3, ...), so that the
  // tracker's SO_REUSEPORT hash spreads the load. IPv6 targets bind every socket to ::1.
  std::string first_source_address = "127.0.0.2";
  std::uint32_t in_flight_per_socket = 16;
  std::uint32_t duration_seconds = 10;
  std::uint32_t request_timeout_ms = 2000;  // a reply later than this counts as lost
  std::uint32_t seed = 1;                   // same seed: same torrents, peers and requests
};

struct udp_request_config {
  std::uint32_t connect_weight = 0;
  std::uint32_t announce_weight = 90;
  std::uint32_t scrape_weight = 10;
  std::uint32_t max_scrape_hashes = 10;  // a scrape asks for 1..this many hashes
  std::uint32_t num_want = 50;
  std::uint32_t connection_id_reuse_seconds = 60;  // like libtorrent: connect again after this
};

struct udp_torrent_config {
  std::uint32_t count = 100000;
  popularity_distribution distribution = popularity_distribution::pareto;
  // Pareto: rank = floor(scale * (X - 1)) with X ~ Pareto(1, shape); P(rank >= k) = (1 + k/scale)^-shape.
  double pareto_shape = 1.0;
  double pareto_scale = 1000.0;
  // Gamma: rank = floor(X) with X ~ Gamma(shape, scale).
  double gamma_shape = 0.2;
  double gamma_scale = 2000.0;
};

struct udp_peer_config {
  std::uint32_t count = 400000;  // the population; each peer belongs to one torrent for the run
  double seeder_probability = 0.25;
  bool warmup = true;  // announce every peer once (event started) before measuring
};

struct udp_load_config {
  udp_target_config target;
  udp_run_config run;
  udp_request_config requests;
  udp_torrent_config torrents;
  udp_peer_config peers;
};

}  // namespace riptide::load_test
