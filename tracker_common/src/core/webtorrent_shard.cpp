#include "tracker/core/webtorrent_shard.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "tracker/core/map_shrinking.hpp"
#include "tracker/core/seeders_first.hpp"

namespace riptide::core {
namespace {

std::size_t family_index(proto::address_family family) { return family == proto::address_family::ipv4 ? 0 : 1; }

// Expired when the expiry has come: expires_at <= now.
bool has_passed(std::uint32_t expires_at, std::uint32_t now) { return expires_at <= now; }

std::uint32_t saturating_add(std::uint32_t a, std::uint32_t b) {
  return b > std::numeric_limits<std::uint32_t>::max() - a ? std::numeric_limits<std::uint32_t>::max() : a + b;
}

}  // namespace

std::string_view failure_reason(webtorrent_announce_status status) {
  switch (status) {
    case webtorrent_announce_status::accepted:
      return "";
    case webtorrent_announce_status::peer_id_taken:
      return "peer_id in use by another connection";
    case webtorrent_announce_status::another_peer_id_on_connection:
      return "another peer_id already announced this torrent on this connection";
    case webtorrent_announce_status::too_many_torrents_on_connection:
      return "too many torrents on one connection";
    case webtorrent_announce_status::torrent_full:
      return "torrent is full";
    case webtorrent_announce_status::tracker_full:
      return "tracker is full";
  }
  return "refused";
}

std::size_t webtorrent_shard::offer_key_hasher::operator()(const offer_key& key_value) const {
  std::array<std::uint8_t, proto::peer_id::size + proto::offer_id::size> bytes{};
  std::copy(key_value.offerer.bytes.begin(), key_value.offerer.bytes.end(), bytes.begin());
  std::copy(key_value.id.bytes.begin(), key_value.id.bytes.end(), bytes.begin() + proto::peer_id::size);
  return siphash13(key, bytes);
}

std::size_t webtorrent_shard::connection_hasher::operator()(const connection_ref& connection) const {
  std::array<std::uint8_t, 10> bytes{};
  bytes[0] = static_cast<std::uint8_t>(connection.socket_worker >> 8);
  bytes[1] = static_cast<std::uint8_t>(connection.socket_worker);
  for (std::size_t i = 0; i < 8; ++i)
    bytes[2 + i] = static_cast<std::uint8_t>(connection.connection_id >> (56 - 8 * i));
  return siphash13(key, bytes);
}

webtorrent_shard::webtorrent_shard(webtorrent_rules rules, siphash_key hash_key)
    : rules_(rules),
      inner_key_{hash_key.k0 ^ 0x9e3779b97f4a7c15ULL, hash_key.k1},
      torrents_(0, keyed_info_hash_hasher{hash_key}),
      connections_(0, connection_hasher{siphash_key{hash_key.k0, hash_key.k1 ^ 0x6a09e667f3bcc909ULL}}),
      emptied_(rules.completed_retention_seconds, rules.max_torrents, hash_key) {}

webtorrent_announce_result webtorrent_shard::announce(webtorrent_announce input, std::uint32_t now,
                                                      std::mt19937_64& random) {
  webtorrent_announce_result result;
  const std::size_t family = family_index(input.family);
  auto torrent_it = torrents_.find(input.hash);

  if (input.event == peer_event::stopped) {
    if (torrent_it == torrents_.end()) return result;  // a stop never creates state
    torrent& swarm_torrent = torrent_it->second;
    const auto peer_it = swarm_torrent.peers.find(input.peer);
    if (peer_it != swarm_torrent.peers.end()) {
      if (peer_it->second.owner != input.connection) {
        // Nobody stops another connection's peer; an expired one goes with the next cleaning.
        if (!has_passed(peer_it->second.expires_at, now)) result.status = webtorrent_announce_status::peer_id_taken;
        return result;
      }
      webtorrent_removal removal;
      remove_peer(swarm_torrent, input.hash, peer_it, true, removal);
    }
    if (swarm_torrent.peers.empty()) {
      emptied_.keep(input.hash, swarm_torrent.downloaded, now);
      torrents_.erase(torrent_it);
      return result;
    }
    const family_swarm& swarm = swarm_torrent.families[family];
    result.complete = swarm.seeders;
    result.incomplete = static_cast<std::uint32_t>(swarm.order.size()) - swarm.seeders;
    return result;
  }

  // Decide before changing anything: a refusal leaves no trace.
  bool own = false;       // this connection already holds this peer id here
  bool takeover = false;  // another connection holds it, but it expired
  if (torrent_it != torrents_.end()) {
    const auto peer_it = torrent_it->second.peers.find(input.peer);
    if (peer_it != torrent_it->second.peers.end()) {
      if (peer_it->second.owner == input.connection) {
        own = true;
      } else if (has_passed(peer_it->second.expires_at, now)) {
        takeover = true;
      } else {
        result.status = webtorrent_announce_status::peer_id_taken;
        return result;
      }
    }
  }
  if (!own) {
    const auto connection_it = connections_.find(input.connection);
    const std::size_t held = connection_it != connections_.end() ? connection_it->second.size() : 0;
    if (connection_it != connections_.end()) {
      for (const connection_entry& entry : connection_it->second) {
        if (entry.hash == input.hash) {
          result.status = webtorrent_announce_status::another_peer_id_on_connection;
          return result;
        }
      }
    }
    if (held >= rules_.max_torrents_per_connection) {
      result.status = webtorrent_announce_status::too_many_torrents_on_connection;
      return result;
    }
    const std::size_t peers_after_takeover =
        torrent_it != torrents_.end() ? torrent_it->second.peers.size() - (takeover ? 1 : 0) : 0;
    if (peers_after_takeover >= rules_.max_peers_per_torrent) {
      result.status = webtorrent_announce_status::torrent_full;
      return result;
    }
    // A takeover replaces a peer: it adds none.
    if ((torrent_it == torrents_.end() && torrents_.size() >= rules_.max_torrents) ||
        (!takeover && seeders_ + leechers_ >= rules_.max_peers)) {
      result.status = webtorrent_announce_status::tracker_full;
      return result;
    }
  }

  if (takeover) {
    webtorrent_removal removal;
    remove_peer(torrent_it->second, input.hash, torrent_it->second.peers.find(input.peer), true, removal);
  }
  if (torrent_it == torrents_.end()) {
    // Back within the retention time: it counts on from the downloads it had.
    torrent_it = torrents_.try_emplace(input.hash, inner_key_).first;
    torrent_it->second.downloaded = emptied_.take(input.hash);
  }
  torrent& swarm_torrent = torrent_it->second;

  // Seeder iff left == 0 or a `completed` event; a new peer whose `left` is unknown (null, absent)
  // is a leecher. A known peer's unknown `left` changes nothing: the WebTorrent client's answer
  // messages carry none, and bittorrent-tracker's client leaves it out of its regular announces
  // unless told how much is left, so a peer that said `completed` stays a seeder.
  bool seeder = input.event == peer_event::completed || input.left == std::uint64_t{0};
  const std::uint32_t expires_at = saturating_add(now, rules_.peer_timeout_seconds);

  if (!own) {
    peer_state& state = swarm_torrent.peers.try_emplace(input.peer).first->second;
    state.owner = input.connection;
    state.expires_at = expires_at;
    state.family = input.family;
    state.seeder = seeder;
    attach(swarm_torrent, input.peer, state);
    connections_[input.connection].push_back(connection_entry{input.hash, input.peer});
    ++(seeder ? seeders_ : leechers_);
    // A `completed` from a peer not seen before (the WebTorrent seeder's first announce) makes a
    // seeder but is no download.
  } else {
    peer_state& state = swarm_torrent.peers.find(input.peer)->second;
    if (!input.left && !seeder) seeder = state.seeder;
    const bool was_seeder = state.seeder;
    if (input.family != state.family) {
      // Not expected (a connection has one family), but offers never cross families.
      while (state.offers_made != no_slot) unlink_offer(swarm_torrent, state.offers_made);
      while (state.offers_received != no_slot) unlink_offer(swarm_torrent, state.offers_received);
    }
    if (seeder != state.seeder || input.family != state.family) {
      detach(swarm_torrent, state);
      --(state.seeder ? seeders_ : leechers_);
      state.seeder = seeder;
      state.family = input.family;
      attach(swarm_torrent, input.peer, state);
      ++(seeder ? seeders_ : leechers_);
    }
    state.expires_at = expires_at;
    // A known leecher finishing: once per peer, so repeated `completed` cannot inflate the count.
    if (input.event == peer_event::completed && !was_seeder && !state.download_counted) {
      state.download_counted = true;
      ++swarm_torrent.downloaded;
    }
  }

  if (input.answer) relay_answer(swarm_torrent, input, now, result);
  if (!input.offers.empty()) relay_offers(swarm_torrent, input, now, random, result);

  const family_swarm& swarm = swarm_torrent.families[family];
  result.complete = swarm.seeders;
  result.incomplete = static_cast<std::uint32_t>(swarm.order.size()) - swarm.seeders;
  return result;
}

void webtorrent_shard::relay_answer(torrent& swarm_torrent, webtorrent_announce& input, std::uint32_t now,
                                    webtorrent_announce_result& result) {
  webtorrent_answer& answer = *input.answer;
  const auto index_it = swarm_torrent.offer_index.find(offer_key{answer.to_peer_id, answer.id});
  if (index_it == swarm_torrent.offer_index.end()) {
    ++result.answers_dropped;
    return;
  }
  const std::uint32_t slot = index_it->second;
  const pending_offer& offer = swarm_torrent.offer_slots[slot];
  // Not the peer the offer went to: leave the offer for its real target.
  if (offer.target != input.peer || offer.target_connection != input.connection) {
    ++result.answers_dropped;
    return;
  }
  const auto offerer_it = swarm_torrent.peers.find(offer.key.offerer);
  const bool deliverable = !has_passed(offer.expires_at, now) && offerer_it != swarm_torrent.peers.end() &&
                           offerer_it->second.owner == offer.offerer_connection;
  if (deliverable) {
    result.deliveries.push_back(webtorrent_delivery{offer.offerer_connection, relay_kind::answer, input.hash,
                                                    input.peer, answer.id, std::move(answer.payload)});
  } else {
    ++result.answers_dropped;
  }
  unlink_offer(swarm_torrent, slot);  // consumed, or dead
}

void webtorrent_shard::relay_offers(torrent& swarm_torrent, webtorrent_announce& input, std::uint32_t now,
                                    std::mt19937_64& random, webtorrent_announce_result& result) {
  peer_state& offerer = swarm_torrent.peers.find(input.peer)->second;
  const peer_state self = offerer;  // a copy of its place: the offer lists change below
  const family_swarm& swarm = swarm_torrent.families[family_index(self.family)];
  // Candidates: [begin, end) of the family's order, minus the announcer. A seeder offers to
  // leechers only.
  const std::uint32_t begin = self.seeder ? swarm.seeders : 0;
  const auto end = static_cast<std::uint32_t>(swarm.order.size());
  const bool self_inside = self.position >= begin;
  const std::uint32_t candidates = end - begin - (self_inside ? 1 : 0);

  std::size_t wanted = std::min<std::size_t>(input.offers.size(), rules_.max_offers_relayed);
  if (input.numwant) wanted = std::min<std::size_t>(wanted, *input.numwant);
  // More offers than pending slots would evict this announce's own offers before any answer.
  wanted = std::min<std::size_t>(wanted, rules_.max_pending_offers_per_torrent);
  wanted = std::min<std::size_t>(wanted, rules_.max_pending_offers_per_peer);
  const auto count = static_cast<std::uint32_t>(std::min<std::size_t>(wanted, candidates));
  result.offers_not_relayed = static_cast<std::uint32_t>(input.offers.size() - count);
  if (count == 0) return;

  // Floyd's algorithm: `count` distinct values of [0, candidates) with `count` random draws.
  chosen_.clear();
  for (std::uint32_t j = candidates - count; j < candidates; ++j) {
    const auto t = std::uniform_int_distribution<std::uint32_t>(0, j)(random);
    const bool taken = std::find(chosen_.begin(), chosen_.end(), t) != chosen_.end();
    chosen_.push_back(taken ? j : t);
  }

  const std::uint32_t expires_at = saturating_add(now, rules_.offer_lifetime_seconds);
  result.deliveries.reserve(result.deliveries.size() + count);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t position = begin + chosen_[i];
    if (self_inside && position >= self.position) ++position;  // skip the announcer
    const proto::peer_id target_id = swarm.order[position];
    peer_state& target = swarm_torrent.peers.find(target_id)->second;
    webtorrent_offer& offer = input.offers[i];
    record_offer(swarm_torrent, offer_key{input.peer, offer.id}, offerer, target_id, target, expires_at, result);
    result.deliveries.push_back(webtorrent_delivery{target.owner, relay_kind::offer, input.hash, input.peer,
                                                    offer.id, std::move(offer.payload)});
  }
}

void webtorrent_shard::record_offer(torrent& swarm_torrent, const offer_key& key, peer_state& offerer,
                                    const proto::peer_id& target, peer_state& target_state, std::uint32_t expires_at,
                                    webtorrent_announce_result& result) {
  // The same (offerer, offer id) again replaces the earlier offer: one pending offer per key.
  const auto existing = swarm_torrent.offer_index.find(key);
  if (existing != swarm_torrent.offer_index.end()) unlink_offer(swarm_torrent, existing->second);
  if (offerer.offers_made_count >= rules_.max_pending_offers_per_peer && offerer.offers_made != no_slot) {
    // Its own oldest: the tail of its list (newest first), at most the bound away.
    std::uint32_t oldest_made = offerer.offers_made;
    while (swarm_torrent.offer_slots[oldest_made].made_next != no_slot) {
      oldest_made = swarm_torrent.offer_slots[oldest_made].made_next;
    }
    unlink_offer(swarm_torrent, oldest_made);
    ++result.pending_offers_evicted;
  }
  while (swarm_torrent.offer_index.size() >= rules_.max_pending_offers_per_torrent && swarm_torrent.oldest != no_slot) {
    unlink_offer(swarm_torrent, swarm_torrent.oldest);
    ++result.pending_offers_evicted;
  }

  std::uint32_t slot = swarm_torrent.free_slot;
  if (slot != no_slot) {
    swarm_torrent.free_slot = swarm_torrent.offer_slots[slot].newer;
  } else {
    slot = static_cast<std::uint32_t>(swarm_torrent.offer_slots.size());
    swarm_torrent.offer_slots.emplace_back();
  }
  std::vector<pending_offer>& slots = swarm_torrent.offer_slots;

  pending_offer& offer = slots[slot];
  offer.key = key;
  offer.target = target;
  offer.offerer_connection = offerer.owner;
  offer.target_connection = target_state.owner;
  offer.expires_at = expires_at;
  offer.older = swarm_torrent.newest;
  offer.newer = no_slot;
  if (swarm_torrent.newest != no_slot) {
    slots[swarm_torrent.newest].newer = slot;
  } else {
    swarm_torrent.oldest = slot;
  }
  swarm_torrent.newest = slot;
  offer.made_prev = no_slot;
  offer.made_next = offerer.offers_made;
  if (offer.made_next != no_slot) slots[offer.made_next].made_prev = slot;
  offerer.offers_made = slot;
  ++offerer.offers_made_count;
  offer.received_prev = no_slot;
  offer.received_next = target_state.offers_received;
  if (offer.received_next != no_slot) slots[offer.received_next].received_prev = slot;
  target_state.offers_received = slot;

  swarm_torrent.offer_index.emplace(key, slot);
  ++pending_offers_;
}

void webtorrent_shard::unlink_offer(torrent& swarm_torrent, std::uint32_t slot) {
  std::vector<pending_offer>& slots = swarm_torrent.offer_slots;
  pending_offer& offer = slots[slot];
  if (offer.older != no_slot) {
    slots[offer.older].newer = offer.newer;
  } else {
    swarm_torrent.oldest = offer.newer;
  }
  if (offer.newer != no_slot) {
    slots[offer.newer].older = offer.older;
  } else {
    swarm_torrent.newest = offer.older;
  }
  peer_state& offerer = swarm_torrent.peers.find(offer.key.offerer)->second;
  --offerer.offers_made_count;
  if (offer.made_prev != no_slot) {
    slots[offer.made_prev].made_next = offer.made_next;
  } else {
    offerer.offers_made = offer.made_next;
  }
  if (offer.made_next != no_slot) slots[offer.made_next].made_prev = offer.made_prev;
  if (offer.received_prev != no_slot) {
    slots[offer.received_prev].received_next = offer.received_next;
  } else {
    swarm_torrent.peers.find(offer.target)->second.offers_received = offer.received_next;
  }
  if (offer.received_next != no_slot) slots[offer.received_next].received_prev = offer.received_prev;

  swarm_torrent.offer_index.erase(offer.key);
  offer.older = no_slot;
  offer.newer = swarm_torrent.free_slot;
  swarm_torrent.free_slot = slot;
  --pending_offers_;
}

void webtorrent_shard::move_in_order(torrent& swarm_torrent, family_swarm& swarm, std::uint32_t from,
                                     std::uint32_t to) {
  swarm.order[to] = swarm.order[from];
  swarm_torrent.peers.find(swarm.order[to])->second.position = to;
}

void webtorrent_shard::attach(torrent& swarm_torrent, const proto::peer_id& id, peer_state& state) {
  family_swarm& swarm = swarm_torrent.families[family_index(state.family)];
  const auto end = static_cast<std::uint32_t>(swarm.order.size());
  swarm.order.push_back(id);
  state.position = seeders_first::slot_for_new_peer(
      swarm.seeders, end, state.seeder,
      [&](std::uint32_t from, std::uint32_t to) { move_in_order(swarm_torrent, swarm, from, to); });
  swarm.order[state.position] = id;
}

void webtorrent_shard::detach(torrent& swarm_torrent, const peer_state& state) {
  family_swarm& swarm = swarm_torrent.families[family_index(state.family)];
  seeders_first::remove_at(
      swarm.seeders, static_cast<std::uint32_t>(swarm.order.size()), state.position,
      [&](std::uint32_t from, std::uint32_t to) { move_in_order(swarm_torrent, swarm, from, to); });
  swarm.order.pop_back();
}

void webtorrent_shard::remove_peer(torrent& swarm_torrent, const proto::info_hash& hash, peer_iterator peer,
                                   bool update_connection_index, webtorrent_removal& removal) {
  peer_state& state = peer->second;
  // unlink_offer updates the list heads of `state` through the map: same element, no rehash.
  while (state.offers_made != no_slot) {
    unlink_offer(swarm_torrent, state.offers_made);
    ++removal.pending_offers;
  }
  while (state.offers_received != no_slot) {
    unlink_offer(swarm_torrent, state.offers_received);
    ++removal.pending_offers;
  }
  detach(swarm_torrent, state);
  --(state.seeder ? seeders_ : leechers_);
  if (update_connection_index) remove_connection_entry(state.owner, hash);
  swarm_torrent.peers.erase(peer);
  ++removal.peers;
  if (swarm_torrent.offer_index.empty()) {
    // Nothing pending: the slots are all free, start afresh.
    swarm_torrent.offer_slots.clear();
    swarm_torrent.free_slot = no_slot;
  }
}

void webtorrent_shard::remove_connection_entry(const connection_ref& connection, const proto::info_hash& hash) {
  const auto connection_it = connections_.find(connection);
  if (connection_it == connections_.end()) return;
  std::vector<connection_entry>& entries = connection_it->second;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].hash == hash) {
      entries[i] = entries.back();
      entries.pop_back();
      break;
    }
  }
  if (entries.empty()) connections_.erase(connection_it);
}

bool webtorrent_shard::holds(const connection_ref& connection, const proto::info_hash& hash) const {
  const auto connection_it = connections_.find(connection);
  if (connection_it == connections_.end()) return false;
  for (const connection_entry& entry : connection_it->second) {
    if (entry.hash == hash) return true;
  }
  return false;
}

webtorrent_scrape_counts webtorrent_shard::scrape(const proto::info_hash& hash,
                                                  std::optional<proto::address_family> family) const {
  const auto torrent_it = torrents_.find(hash);
  if (torrent_it == torrents_.end()) return webtorrent_scrape_counts{0, 0, emptied_.find(hash)};
  const torrent& swarm_torrent = torrent_it->second;
  webtorrent_scrape_counts counts;
  counts.downloaded = swarm_torrent.downloaded;
  for (std::size_t i = 0; i < swarm_torrent.families.size(); ++i) {
    if (family && family_index(*family) != i) continue;
    const family_swarm& swarm = swarm_torrent.families[i];
    counts.complete += swarm.seeders;
    counts.incomplete += static_cast<std::uint32_t>(swarm.order.size()) - swarm.seeders;
  }
  return counts;
}

webtorrent_removal webtorrent_shard::disconnect(const connection_ref& connection, std::uint32_t now) {
  webtorrent_removal removal;
  const auto connection_it = connections_.find(connection);
  if (connection_it == connections_.end()) return removal;
  const std::vector<connection_entry> entries = std::move(connection_it->second);
  connections_.erase(connection_it);
  for (const connection_entry& entry : entries) {
    const auto torrent_it = torrents_.find(entry.hash);
    if (torrent_it == torrents_.end()) continue;
    torrent& swarm_torrent = torrent_it->second;
    const auto peer_it = swarm_torrent.peers.find(entry.peer);
    if (peer_it == swarm_torrent.peers.end() || peer_it->second.owner != connection) continue;
    remove_peer(swarm_torrent, entry.hash, peer_it, false, removal);
    if (swarm_torrent.peers.empty()) {
      emptied_.keep(entry.hash, swarm_torrent.downloaded, now);
      torrents_.erase(torrent_it);
      ++removal.torrents;
    }
  }
  return removal;
}

webtorrent_removal webtorrent_shard::clean(std::uint32_t now) {
  webtorrent_removal removal;
  const auto removed = boost::unordered::erase_if(torrents_, [&](auto& torrent_entry) {
    torrent& swarm_torrent = torrent_entry.second;
    // Every offer has the same lifetime and time never goes back, so the age list is in expiry
    // order: the expired ones are at its front.
    while (swarm_torrent.oldest != no_slot &&
           has_passed(swarm_torrent.offer_slots[swarm_torrent.oldest].expires_at, now)) {
      unlink_offer(swarm_torrent, swarm_torrent.oldest);
      ++removal.pending_offers;
    }
    expired_peers_.clear();
    swarm_torrent.peers.for_each([&](const auto& peer) {
      if (has_passed(peer.second.expires_at, now)) expired_peers_.push_back(peer.first);
    });
    for (const proto::peer_id& id : expired_peers_) {
      remove_peer(swarm_torrent, torrent_entry.first, swarm_torrent.peers.find(id), true, removal);
    }
    if (swarm_torrent.peers.empty()) {
      emptied_.keep(torrent_entry.first, swarm_torrent.downloaded, now);
      return true;
    }
    // A swarm that was large once must not keep its memory forever.
    swarm_torrent.peers.shrink_if_sparse();
    for (family_swarm& swarm : swarm_torrent.families) {
      if (swarm.order.capacity() > 64 && swarm.order.size() < swarm.order.capacity() / 4) swarm.order.shrink_to_fit();
    }
    if (swarm_torrent.offer_index.empty()) {
      std::vector<pending_offer>().swap(swarm_torrent.offer_slots);
      swarm_torrent.free_slot = no_slot;
    }
    return false;
  });
  removal.torrents += removed;
  emptied_.expire(now);
  shrink_map_if_sparse(torrents_);
  shrink_map_if_sparse(connections_);
  return removal;
}

webtorrent_totals webtorrent_shard::totals() const {
  webtorrent_totals result;
  result.torrents = torrents_.size();
  result.seeders = seeders_;
  result.leechers = leechers_;
  result.peers = seeders_ + leechers_;
  result.pending_offers = pending_offers_;
  result.connections = connections_.size();
  return result;
}

bool webtorrent_shard::invariants_hold() const {
  std::uint64_t seeders = 0;
  std::uint64_t leechers = 0;
  std::uint64_t pending = 0;
  std::uint64_t held = 0;
  for (const auto& [hash, swarm_torrent] : torrents_) {
    if (swarm_torrent.peers.empty()) return false;
    std::size_t in_orders = 0;
    for (std::size_t f = 0; f < swarm_torrent.families.size(); ++f) {
      const family_swarm& swarm = swarm_torrent.families[f];
      if (swarm.seeders > swarm.order.size()) return false;
      for (std::uint32_t i = 0; i < swarm.order.size(); ++i) {
        const auto peer_it = swarm_torrent.peers.find(swarm.order[i]);
        if (peer_it == swarm_torrent.peers.end()) return false;
        const peer_state& state = peer_it->second;
        if (state.position != i || family_index(state.family) != f || state.seeder != (i < swarm.seeders)) return false;
      }
      in_orders += swarm.order.size();
      seeders += swarm.seeders;
      leechers += swarm.order.size() - swarm.seeders;
    }
    if (in_orders != swarm_torrent.peers.size()) return false;

    // Every peer is in its connection's index.
    const proto::info_hash torrent_hash = hash;  // clang 14 cannot capture structured bindings
    const bool indexed = swarm_torrent.peers.all_of([&](const auto& peer) {
      const auto connection_it = connections_.find(peer.second.owner);
      if (connection_it == connections_.end()) return false;
      const auto& entries = connection_it->second;
      return std::count_if(entries.begin(), entries.end(), [&](const connection_entry& entry) {
               return entry.hash == torrent_hash && entry.peer == peer.first;
             }) == 1;
    });
    if (!indexed) return false;

    // Pending offers: the age list, the index and the per-peer lists agree.
    std::size_t in_age_list = 0;
    std::uint32_t previous = no_slot;
    for (std::uint32_t slot = swarm_torrent.oldest; slot != no_slot; slot = swarm_torrent.offer_slots[slot].newer) {
      const pending_offer& offer = swarm_torrent.offer_slots[slot];
      if (offer.older != previous) return false;
      if (previous != no_slot && swarm_torrent.offer_slots[previous].expires_at > offer.expires_at) return false;
      const auto index_it = swarm_torrent.offer_index.find(offer.key);
      if (index_it == swarm_torrent.offer_index.end() || index_it->second != slot) return false;
      const auto offerer_it = swarm_torrent.peers.find(offer.key.offerer);
      const auto target_it = swarm_torrent.peers.find(offer.target);
      if (offerer_it == swarm_torrent.peers.end() || target_it == swarm_torrent.peers.end()) return false;
      if (offerer_it->second.owner != offer.offerer_connection) return false;
      if (target_it->second.owner != offer.target_connection) return false;
      if (offer.key.offerer == offer.target || offerer_it->second.family != target_it->second.family) return false;
      previous = slot;
      ++in_age_list;
      if (in_age_list > swarm_torrent.offer_slots.size()) return false;  // a cycle
    }
    if (previous != swarm_torrent.newest || in_age_list != swarm_torrent.offer_index.size()) return false;
    if (in_age_list > rules_.max_pending_offers_per_torrent) return false;
    std::size_t free_slots = 0;
    for (std::uint32_t slot = swarm_torrent.free_slot; slot != no_slot; slot = swarm_torrent.offer_slots[slot].newer) {
      if (slot >= swarm_torrent.offer_slots.size() || ++free_slots > swarm_torrent.offer_slots.size()) return false;
    }
    if (free_slots + in_age_list != swarm_torrent.offer_slots.size()) return false;
    std::size_t in_made = 0;
    std::size_t in_received = 0;
    const std::vector<pending_offer>& slots = swarm_torrent.offer_slots;  // clang 14: see above
    const bool lists_agree = swarm_torrent.peers.all_of([&](const auto& peer) {
      const proto::peer_id& id = peer.first;
      const peer_state& state = peer.second;
      std::uint32_t prev = no_slot;
      std::size_t made = 0;
      for (std::uint32_t slot = state.offers_made; slot != no_slot; slot = slots[slot].made_next) {
        const pending_offer& offer = slots[slot];
        if (offer.made_prev != prev || !(offer.key.offerer == id)) return false;
        prev = slot;
        ++made;
        if (++in_made > in_age_list) return false;
      }
      if (made != state.offers_made_count || made > rules_.max_pending_offers_per_peer) return false;
      prev = no_slot;
      for (std::uint32_t slot = state.offers_received; slot != no_slot;
           slot = slots[slot].received_next) {
        const pending_offer& offer = slots[slot];
        if (offer.received_prev != prev || !(offer.target == id)) return false;
        prev = slot;
        if (++in_received > in_age_list) return false;
      }
      return true;
    });
    if (!lists_agree || in_made != in_age_list || in_received != in_age_list) return false;
    pending += in_age_list;
  }
  for (const auto& [connection, entries] : connections_) {
    if (entries.empty() || entries.size() > rules_.max_torrents_per_connection) return false;
    held += entries.size();
  }
  return seeders == seeders_ && leechers == leechers_ && pending == pending_offers_ && held == seeders + leechers;
}

}  // namespace riptide::core
