#include "tracker/core/torrent_shard.hpp"

#include <algorithm>

#include "tracker/core/map_shrinking.hpp"

namespace riptide::core {
namespace {

void apply(shard_totals& totals, const peer_count_change& change) {
  totals.seeders = static_cast<std::uint64_t>(static_cast<std::int64_t>(totals.seeders) + change.seeders);
  totals.leechers = static_cast<std::uint64_t>(static_cast<std::int64_t>(totals.leechers) + change.leechers);
}

// Keys of their own for the per-source counts, derived from the shard's.
siphash_key source_key_of(siphash_key key) {
  key.k1 ^= 0xc2b2ae3d27d4eb4fULL;
  return key;
}

}  // namespace

torrent_shard::torrent_shard(swarm_rules rules, siphash_key hash_key, std::uint64_t random_seed)
    : rules_(rules),
      coarse_clock_(rules.peer_timeout_seconds),
      endpoint_hasher_{hash_key},
      random_(random_seed),
      ipv4_(rules, hash_key, source_key_of(hash_key)),
      ipv6_(rules, hash_key, source_key_of(hash_key)) {
  // The maps hash under the same key: they never share a bucket array, so nothing is gained by
  // separate keys, and the endpoint index inside big swarms gets its own derivative.
  endpoint_hasher_.key.k0 ^= 0x9e3779b97f4a7c15ULL;
}

template <typename Endpoint>
announce_outcome torrent_shard::announce_in(family_state<Endpoint>& state, const announce_input<Endpoint>& input,
                                            std::uint32_t now, std::uint32_t max_peers_per_reply,
                                            std::vector<Endpoint>& peers_out) {
  // Whether a peer not here yet may be added; asked once, and only for such a peer, so that a
  // re-announce costs no lookup of its source.
  announce_refusal refusal = announce_refusal::none;
  source_peer_counts::slot source;
  bool admitted = false;
  const auto may_add = [&] {
    if (admitted) return true;
    if (state.totals.seeders + state.totals.leechers >= rules_.max_peers) {
      refusal = announce_refusal::tracker_full;
      return false;
    }
    source = state.sources.slot_of(input.endpoint);
    if (!state.sources.may_add(source)) {
      refusal = announce_refusal::source_full;
      return false;
    }
    admitted = true;
    return true;
  };

  const bool stopped = input.event == peer_event::stopped;
  auto it = state.torrents.find(input.hash);
  const bool created = it == state.torrents.end();
  if (created) {
    if (stopped) return {};  // nothing to remove, and a stop must not create a torrent
    if (state.totals.torrents >= rules_.max_torrents) return announce_outcome{0, 0, announce_refusal::tracker_full};
    // A new torrent means a new peer: refused before the map takes it (and perhaps grows).
    if (!may_add()) return announce_outcome{0, 0, refusal};
    it = state.torrents.try_emplace(input.hash).first;
    ++state.totals.torrents;
  }
  swarm<Endpoint>& peers = it->second;

  swarm_announce<Endpoint> request;
  request.endpoint = input.endpoint;
  request.seeder = input.left == 0;
  request.event = input.event;
  request.expires_at = coarse_clock_.at(now + rules_.peer_timeout_seconds);
  const std::uint32_t wanted = input.num_want < 0 ? rules_.default_peers_wanted : static_cast<std::uint32_t>(input.num_want);
  request.peers_wanted = std::min(wanted, max_peers_per_reply);

  const peer_count_change change = peers.announce(request, endpoint_hasher_, random_, peers_out, may_add);
  apply(state.totals, change);
  // A peer added (+1, admitted above) or removed (-1); a seeder that became a leecher or back is
  // neither.
  const std::int64_t peers_added = change.seeders + change.leechers;
  if (peers_added > 0) state.sources.added(source);
  if (peers_added < 0) state.sources.removed(state.sources.slot_of(input.endpoint));
  if (created && !peers.empty()) peers.add_completed(state.emptied.take(input.hash));
  const announce_outcome outcome{static_cast<std::uint32_t>(peers.seeders()),
                                 static_cast<std::uint32_t>(peers.leechers()), refusal};
  if (peers.empty()) {
    state.emptied.keep(input.hash, peers.completed(), now);
    state.torrents.erase(it);
    --state.totals.torrents;
  }
  return outcome;
}

announce_outcome torrent_shard::announce(const announce_input<proto::ipv4_endpoint>& input, std::uint32_t now,
                                         std::vector<proto::ipv4_endpoint>& peers_out) {
  return announce_in(ipv4_, input, now, rules_.max_peers_ipv4, peers_out);
}

announce_outcome torrent_shard::announce(const announce_input<proto::ipv6_endpoint>& input, std::uint32_t now,
                                         std::vector<proto::ipv6_endpoint>& peers_out) {
  return announce_in(ipv6_, input, now, rules_.max_peers_ipv6, peers_out);
}

scrape_counts torrent_shard::scrape(proto::address_family family, const proto::info_hash& hash) const {
  const auto count = [&hash](const auto& state) -> scrape_counts {
    const auto it = state.torrents.find(hash);
    if (it == state.torrents.end()) return {0, state.emptied.find(hash), 0};
    return {static_cast<std::uint32_t>(it->second.seeders()), it->second.completed(),
            static_cast<std::uint32_t>(it->second.leechers())};
  };
  return family == proto::address_family::ipv4 ? count(ipv4_) : count(ipv6_);
}

template <typename Endpoint>
void torrent_shard::clean_family(family_state<Endpoint>& state, std::uint32_t now, cleaning_report& report) {
  const std::uint64_t peers_before = state.totals.seeders + state.totals.leechers;
  const auto removed = boost::unordered::erase_if(state.torrents, [&](auto& entry) {
    apply(state.totals, entry.second.remove_expired(coarse_clock_.at(now), endpoint_hasher_, [&](const Endpoint& gone) {
      state.sources.removed(state.sources.slot_of(gone));
    }));
    if (!entry.second.empty()) return false;
    state.emptied.keep(entry.first, entry.second.completed(), now);
    return true;
  });
  state.emptied.expire(now);
  state.totals.torrents -= removed;
  report.torrents_removed += removed;
  report.peers_removed += peers_before - (state.totals.seeders + state.totals.leechers);
  shrink_map_if_sparse(state.torrents);
}

cleaning_report torrent_shard::clean(std::uint32_t now) {
  cleaning_report report;
  clean_family(ipv4_, now, report);
  clean_family(ipv6_, now, report);
  return report;
}

std::size_t torrent_shard::torrent_capacity() const {
  return ipv4_.torrents.bucket_count() + ipv6_.torrents.bucket_count();
}

std::size_t torrent_shard::kept_completed_counts() const { return ipv4_.emptied.size() + ipv6_.emptied.size(); }

shard_totals torrent_shard::totals(proto::address_family family) const {
  return family == proto::address_family::ipv4 ? ipv4_.totals : ipv6_.totals;
}

}  // namespace riptide::core
