#pragma once
// One request worker's share of the torrents: a map from info hash to swarm per address family
// (IPv4 and IPv6 peers never mix), the announce and scrape rules, and cleaning.
// Pure: no I/O; time (seconds on the tracker's monotonic clock) and randomness come in.
//
// A torrent left without peers (its last peer stopped or expired) is dropped at once: memory
// follows live peers. Its completed count stays behind for `completed_retention_seconds`
// (emptied_torrent_counts): scrapes report it, and the torrent counts on from it if a peer
// comes back in that time.
//
// Thread safety: none. Exactly one request worker owns a shard and is the only thread to touch it.

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "tracker/core/emptied_torrent_counts.hpp"
#include "tracker/core/endpoint_hash.hpp"
#include "tracker/core/source_peer_counts.hpp"
#include "tracker/core/swarm.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::core {

struct swarm_rules {
  std::uint32_t peer_timeout_seconds = 2700;  // a peer not heard from for this long is dropped
  std::uint32_t default_peers_wanted = 50;    // for num_want < 0
  std::uint32_t max_peers_ipv4 = 200;         // per reply; 20 + 6 * 200 bytes fit one datagram
  std::uint32_t max_peers_ipv6 = 66;          // per reply; 20 + 18 * 66 bytes fit one datagram
  // Bounds of this shard, per family: announces that would add a torrent or a peer beyond them
  // are refused (the caller answers "tracker is full"), so hostile announces cannot grow memory
  // without limit.
  std::uint64_t max_torrents = 5'000'000;
  std::uint64_t max_peers = 20'000'000;
  // Most peers of one source (an IPv4 address or an IPv6 prefix of ipv6_source_prefix_bits) in
  // this shard, per family, so that one source cannot take max_peers alone; 0: no limit. Counted
  // approximately, never below the truth (source_peer_counts.hpp).
  std::uint32_t max_peers_per_source = 0;
  unsigned ipv6_source_prefix_bits = source_peer_counts::default_ipv6_prefix_bits;
  // How long the completed count of a torrent left without peers is kept; 0: dropped with it.
  // At most max_torrents counts are kept, beyond which they are dropped.
  std::uint32_t completed_retention_seconds = 86'400;
};

// An announce as every front end (UDP, later HTTP) hands it over, already decoded.
template <typename Endpoint>
struct announce_input {
  proto::info_hash hash;
  Endpoint endpoint;  // source address, and the port the client announced
  std::int64_t left = 0;
  peer_event event = peer_event::none;
  std::int32_t num_want = -1;  // negative: the default
};

// Why an announce added nothing and got no peers.
enum class announce_refusal : std::uint8_t {
  none,
  tracker_full,  // max_torrents or max_peers
  source_full,   // max_peers_per_source: the announcer's address holds as many peers as it may
};

struct announce_outcome {
  std::uint32_t seeders = 0;
  std::uint32_t leechers = 0;
  announce_refusal refusal = announce_refusal::none;

  bool refused() const { return refusal != announce_refusal::none; }
};

struct scrape_counts {
  std::uint32_t seeders = 0;
  std::uint32_t completed = 0;
  std::uint32_t leechers = 0;
};

struct shard_totals {
  std::uint64_t torrents = 0;
  std::uint64_t seeders = 0;
  std::uint64_t leechers = 0;
};

struct cleaning_report {
  std::uint64_t peers_removed = 0;
  std::uint64_t torrents_removed = 0;
};

class torrent_shard {
 public:
  torrent_shard(swarm_rules rules, siphash_key hash_key, std::uint64_t random_seed);

  // Registers the announce (or, for `stopped`, removes the peer) and appends the peers to return.
  announce_outcome announce(const announce_input<proto::ipv4_endpoint>& input, std::uint32_t now,
                            std::vector<proto::ipv4_endpoint>& peers_out);
  announce_outcome announce(const announce_input<proto::ipv6_endpoint>& input, std::uint32_t now,
                            std::vector<proto::ipv6_endpoint>& peers_out);

  // Counts of one torrent; an unknown torrent is all zeros. A scrape never creates state.
  scrape_counts scrape(proto::address_family family, const proto::info_hash& hash) const;

  // Drops expired peers, torrents left without peers, and completed counts kept past their time.
  cleaning_report clean(std::uint32_t now);

  shard_totals totals(proto::address_family family) const;
  // Slots of the shard's torrent maps (both families): what their arrays take.
  std::size_t torrent_capacity() const;
  // Completed counts kept for torrents without peers (both families).
  std::size_t kept_completed_counts() const;

 private:
  template <typename Endpoint>
  struct family_state {
    family_state(const swarm_rules& rules, siphash_key hash_key, siphash_key source_key)
        : torrents(0, keyed_info_hash_hasher{hash_key}),
          emptied(rules.completed_retention_seconds, rules.max_torrents, hash_key),
          sources(rules.max_peers_per_source, rules.max_peers, rules.ipv6_source_prefix_bits, source_key) {}

    boost::unordered_flat_map<proto::info_hash, swarm<Endpoint>, keyed_info_hash_hasher> torrents;
    emptied_torrent_counts emptied;
    source_peer_counts sources;
    shard_totals totals;
  };

  template <typename Endpoint>
  announce_outcome announce_in(family_state<Endpoint>& state, const announce_input<Endpoint>& input,
                               std::uint32_t now, std::uint32_t max_peers_per_reply, std::vector<Endpoint>& peers_out);

  template <typename Endpoint>
  void clean_family(family_state<Endpoint>& state, std::uint32_t now, cleaning_report& report);

  swarm_rules rules_;
  coarse_clock coarse_clock_;
  keyed_endpoint_hasher endpoint_hasher_;
  std::mt19937_64 random_;
  family_state<proto::ipv4_endpoint> ipv4_;
  family_state<proto::ipv6_endpoint> ipv6_;
};

}  // namespace riptide::core
