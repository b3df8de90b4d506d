#include "workload.hpp"

#include <cmath>

namespace riptide::load_test {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

proto::info_hash torrent_info_hash(std::uint32_t seed, std::uint32_t index) {
  std::uint64_t state = (static_cast<std::uint64_t>(seed) << 32) | index;
  proto::info_hash hash;
  for (std::size_t i = 0; i < proto::info_hash::size; i += 8) {
    const std::uint64_t word = splitmix64(state);
    for (std::size_t b = 0; b < 8 && i + b < proto::info_hash::size; ++b) {
      hash.bytes[i + b] = static_cast<std::uint8_t>(word >> (8 * b));
    }
  }
  return hash;
}

popularity_sampler::popularity_sampler(const udp_torrent_config& config)
    : distribution_(config.distribution),
      count_(config.count),
      pareto_shape_(config.pareto_shape),
      pareto_scale_(config.pareto_scale),
      gamma_(config.gamma_shape, config.gamma_scale) {}

peer_population::peer_population(const udp_load_config& config, std::uint32_t total_sockets,
                                 bool distinct_source_addresses)
    : total_sockets_(total_sockets),
      distinct_source_addresses_(distinct_source_addresses),
      torrent_of_(config.peers.count), seeder_(config.peers.count) {
  // One generator for the whole population, seeded by the configuration alone.
  std::mt19937_64 random(config.run.seed);
  popularity_sampler popularity(config.torrents);
  std::bernoulli_distribution seeder(config.peers.seeder_probability);
  for (std::uint32_t peer = 0; peer < config.peers.count; ++peer) {
    torrent_of_[peer] = popularity.sample(random);
    seeder_[peer] = seeder(random) ? 1 : 0;
  }
}

proto::peer_id peer_population::peer_id_of(std::uint32_t peer) const {
  // Azureus style, like real clients: "-RT0100-" and then the peer number, zero-padded.
  proto::peer_id id;
  const char prefix[] = "-RT0100-";
  for (std::size_t i = 0; i < 8; ++i) id.bytes[i] = static_cast<std::uint8_t>(prefix[i]);
  std::uint32_t rest = peer;
  for (std::size_t i = proto::peer_id::size; i-- > 8;) {
    id.bytes[i] = static_cast<std::uint8_t>('0' + rest % 10);
    rest /= 10;
  }
  return id;
}

}  // namespace riptide::load_test
