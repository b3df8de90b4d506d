#pragma once
// The workload of a load test, fixed by the configuration and its seed: which torrents exist
// (deterministic info hashes), how popular each is, and the peer population (each peer belongs to
// one torrent for the whole run and is a seeder or not). Two runs with the same configuration
// build the same swarms, which is what makes a side-by-side comparison of two trackers fair.
// Pure: no I/O.

#include <cstdint>
#include <cmath>
#include <random>
#include <vector>

#include "tracker/proto/types.hpp"
#include "udp_load_config.hpp"

namespace riptide::load_test {

// The info hash of torrent `index` under `seed`: 20 bytes of splitmix64 output.
proto::info_hash torrent_info_hash(std::uint32_t seed, std::uint32_t index);

// Draws torrent indices in [0, count) with the configured skew (rank 0 the most popular).
class popularity_sampler {
 public:
  explicit popularity_sampler(const udp_torrent_config& config);

  template <typename Random>
  std::uint32_t sample(Random& random) {
    double rank = 0;
    switch (distribution_) {
      case popularity_distribution::pareto: {
        // Inverse transform: X = (1 - U)^(-1/shape) ~ Pareto(1, shape).
        const double u = uniform_(random);
        rank = pareto_scale_ * (std::pow(1.0 - u, -1.0 / pareto_shape_) - 1.0);
        break;
      }
      case popularity_distribution::gamma: rank = gamma_(random); break;
      case popularity_distribution::uniform: rank = uniform_(random) * count_; break;
    }
    // The tail beyond the last torrent wraps around rather than piling onto the last one.
    if (!(rank >= 0) || rank >= 1e18) rank = 0;
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(rank) % count_);
  }

 private:
  popularity_distribution distribution_;
  std::uint32_t count_;
  double pareto_shape_;
  double pareto_scale_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::gamma_distribution<double> gamma_;
};

// Peer k sends from socket k % sockets. When every socket has its own source address (IPv4 on
// 127.0.0.0/8) it announces port 1024 + k / sockets; when they share one (IPv6 on ::1) it announces
// port 1024 + k. Either way every peer is a distinct (address, port) for the tracker.
inline constexpr std::uint32_t first_peer_port = 1024;
inline constexpr std::uint32_t ports_per_socket = 65536 - first_peer_port;

class peer_population {
 public:
  peer_population(const udp_load_config& config, std::uint32_t total_sockets, bool distinct_source_addresses);

  std::uint32_t size() const { return static_cast<std::uint32_t>(torrent_of_.size()); }
  std::uint32_t torrent_of(std::uint32_t peer) const { return torrent_of_[peer]; }
  bool is_seeder(std::uint32_t peer) const { return seeder_[peer] != 0; }
  std::uint16_t port_of(std::uint32_t peer) const {
    return static_cast<std::uint16_t>(first_peer_port + (distinct_source_addresses_ ? peer / total_sockets_ : peer));
  }
  proto::peer_id peer_id_of(std::uint32_t peer) const;

  // How many peers socket `socket` speaks for, and the i-th of them.
  std::uint32_t peers_of_socket(std::uint32_t socket) const {
    return socket < size() ? (size() - socket + total_sockets_ - 1) / total_sockets_ : 0;
  }
  std::uint32_t peer_of_socket(std::uint32_t socket, std::uint32_t i) const { return socket + i * total_sockets_; }

 private:
  std::uint32_t total_sockets_;
  bool distinct_source_addresses_;
  std::vector<std::uint32_t> torrent_of_;
  std::vector<std::uint8_t> seeder_;
};

}  // namespace riptide::load_test
