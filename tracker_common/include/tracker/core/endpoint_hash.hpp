#pragma once
// Keyed hashes for the tracker's hash maps. Keys an attacker chooses (info hashes, peer ports and
// IPv6 addresses) must not be able to collide on purpose, so every map hashes with SipHash under
// a random per-process key (SipHash-1-3: see siphash.hpp).

#include <cstdint>
#include <span>

#include "tracker/core/siphash.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::core {

struct keyed_info_hash_hasher {
  siphash_key key;
  // Boost.Unordered: the hash is already well mixed; no extra post-mixing needed.
  using is_avalanching = void;
  std::size_t operator()(const proto::info_hash& hash) const { return siphash13(key, hash.bytes); }
};

struct keyed_endpoint_hasher {
  siphash_key key;
  using is_avalanching = void;

  template <typename Endpoint>
  std::size_t operator()(const Endpoint& endpoint) const {
    std::array<std::uint8_t, Endpoint::address_size + 2> bytes{};
    for (std::size_t i = 0; i < Endpoint::address_size; ++i) bytes[i] = endpoint.address[i];
    bytes[Endpoint::address_size] = static_cast<std::uint8_t>(endpoint.port >> 8);
    bytes[Endpoint::address_size + 1] = static_cast<std::uint8_t>(endpoint.port);
    return siphash13(key, bytes);
  }
};

}  // namespace riptide::core
