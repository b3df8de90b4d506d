#pragma once
// SipHash (Aumasson and Bernstein, 2012): a keyed pseudo-random function with a 128-bit key.
// The tracker uses it where an attacker must not predict the output: connection id MACs, the shard
// of an info hash, and the hash of the torrent maps (so crafted info hashes cannot pile onto one
// worker or one bucket).

#include <array>
#include <cstdint>
#include <span>

namespace riptide::core {

struct siphash_key {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
};

std::uint64_t siphash24(const siphash_key& key, std::span<const std::uint8_t> message);

// SipHash-1-3: one compression and three finalization rounds, about twice as fast. For hash-table
// keys (bucket choice, shard choice), where the output is never shown to anyone and only has to
// be unpredictable enough that collisions cannot be crafted; Rust's HashMap uses it for the same
// reason. Connection ids, whose bits a client sees, keep SipHash-2-4.
std::uint64_t siphash13(const siphash_key& key, std::span<const std::uint8_t> message);

// A key from the operating system's random source (getrandom). Throws std::system_error only if
// the kernel cannot provide randomness, which happens at start, never on the data plane.
siphash_key random_siphash_key();

}  // namespace riptide::core
