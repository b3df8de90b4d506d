#pragma once
// One request worker's share of the WebTorrent torrents: who is in which swarm, and which offers
// and answers to relay to whom. No JSON, no sockets: the caller decodes a message into a
// webtorrent_announce, and sends each webtorrent_delivery to the connection it names.
// Pure: time (seconds on the tracker's monotonic clock, never decreasing) and randomness come in.
//
// Identity. A connection is (socket worker, connection id): a delivery produced here travels to
// that socket worker, which owns the connection. A peer of a torrent is its peer id, held by
// exactly one connection; a connection holds at most one peer id per torrent, and another
// connection cannot take a peer id over while its holder is live (not expired). The address family
// belongs to the connection; IPv4 and IPv6 peers of one torrent never see each other's offers.
//
// Offers and answers (docs/protocols.md, WebTorrent "Rules"): an announce's offers go to distinct
// random other peers of the same torrent and family (a seeder's only to leechers: two seeders have
// nothing to exchange). Each relayed offer is recorded as pending, keyed by (offerer, offer id) so
// a peer cannot overwrite another's pending offer by reusing its offer id. An answer is relayed
// only when a live pending offer (to_peer_id, offer_id) exists whose target is the answering peer
// on the answering connection; it consumes the pending offer (one answer per offer). A wrong
// answerer does not consume it, so guessing an offer id cannot cancel someone else's offer.
// Pending offers of a torrent are bounded, and so are those one peer made there; at either bound
// the oldest (of the torrent, of the peer) is dropped: it is the one most likely answered already
// or abandoned (the WebTorrent client gives up on an offer after 50 s), and a flood of offers
// cannot lock out later ones for a whole offer lifetime. The per-peer bound makes the memory a
// connection can pin with offers proportional to the torrents it holds, not to its message rate.
//
// Memory: each pending offer sits in three intrusive lists (age, offerer's, target's), so removing
// a peer removes its pending offers in time proportional to their number, and the oldest is found
// in O(1). Each connection has an index of the (torrent, peer id) it holds, bounded by
// max_torrents_per_connection, so a closed connection is removed without a scan.
//
// Thread safety: none. Exactly one request worker owns a shard and is the only thread to touch it.

#include <array>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/core/emptied_torrent_counts.hpp"
#include "tracker/core/endpoint_hash.hpp"
#include "tracker/core/peer_event.hpp"
#include "tracker/core/peer_table.hpp"
#include "tracker/core/siphash.hpp"
#include "tracker/proto/types.hpp"
#include "tracker/proto/webtorrent_codec.hpp"
#include "tracker/proto/webtorrent_types.hpp"

namespace riptide::core {

// A WebSocket connection, tracker-wide: the socket worker that owns it and its id there.
struct connection_ref {
  std::uint16_t socket_worker = 0;
  std::uint64_t connection_id = 0;
  friend bool operator==(const connection_ref&, const connection_ref&) = default;
};

struct webtorrent_rules {
  // A peer not heard from for this long is dropped: about two announce intervals (protocols.md).
  std::uint32_t peer_timeout_seconds = 240;
  // An answer after this is not relayed. The WebTorrent client abandons an offer after 50 s.
  std::uint32_t offer_lifetime_seconds = 50;
  // Offers relayed per announce at most (the WebTorrent client sends 5 to 10).
  std::uint32_t max_offers_relayed = 10;
  // Pending offers per torrent; at the bound the oldest is dropped. 0 relays no offers at all.
  std::uint32_t max_pending_offers_per_torrent = 4096;
  // Pending offers one peer made, in its torrent; at the bound its own oldest is dropped. Three
  // announces' worth within an offer's lifetime: a client re-announces rarely more often, and a
  // flood of announces with offers holds no more memory than this per torrent it is in.
  std::uint32_t max_pending_offers_per_peer = 30;
  // Torrents one connection may hold a peer in. A client announces every torrent it shares over
  // one socket per tracker, so this is generous; it bounds the per-connection index.
  std::uint32_t max_torrents_per_connection = 256;
  // Peers of one torrent, both families together.
  std::uint32_t max_peers_per_torrent = 20'000;
  // Torrents and peers in this shard (its share of the tracker's limits): a new one beyond is
  // refused ("tracker is full"); peers already in a swarm keep announcing.
  std::uint64_t max_torrents = 1'000'000;
  std::uint64_t max_peers = 2'000'000;
  // How long the downloaded count of a torrent left without peers is kept (scrapes report it, and
  // the torrent counts on from it if a peer comes back); 0: dropped with the torrent. At most
  // max_torrents counts are kept (emptied_torrent_counts).
  std::uint32_t completed_retention_seconds = 86'400;
};

// An offer as the announce carried it; the payload (the offer's JSON object) is opaque here and
// travels on as it came, so relaying it costs no second parse.
struct webtorrent_offer {
  proto::offer_id id;
  proto::webtorrent::json_text payload;
};

struct webtorrent_answer {
  proto::peer_id to_peer_id;  // the peer that made the offer
  proto::offer_id id;
  proto::webtorrent::json_text payload;  // the answer's JSON object, opaque here
};

// One announce message (offers, an answer, or neither), already decoded and checked by the caller.
struct webtorrent_announce {
  proto::info_hash hash;
  proto::peer_id peer;
  connection_ref connection;
  proto::address_family family = proto::address_family::ipv4;  // of the connection
  peer_event event = peer_event::none;
  std::optional<std::uint64_t> left;     // null or absent: unknown (a leecher)
  std::optional<std::uint32_t> numwant;  // absent: as many as there are offers
  std::vector<webtorrent_offer> offers;  // moved into the deliveries
  std::optional<webtorrent_answer> answer;
};

enum class webtorrent_announce_status : std::uint8_t {
  accepted,
  peer_id_taken,                    // another live connection holds this peer id in the torrent
  another_peer_id_on_connection,    // this connection already holds another peer id in the torrent
  too_many_torrents_on_connection,  // max_torrents_per_connection
  torrent_full,                     // max_peers_per_torrent
  tracker_full,                     // max_torrents or max_peers
};

// The failure reason to send for a refusal ("" for accepted).
std::string_view failure_reason(webtorrent_announce_status status);

enum class relay_kind : std::uint8_t { offer, answer };

// A message to send to one connection: {"action":"announce","info_hash":hash,"peer_id":from,
// "offer_id":offer,"offer"|"answer":payload}.
struct webtorrent_delivery {
  connection_ref target;
  relay_kind kind = relay_kind::offer;
  proto::info_hash hash;
  proto::peer_id from;
  proto::offer_id offer;
  proto::webtorrent::json_text payload;
};

struct webtorrent_announce_result {
  webtorrent_announce_status status = webtorrent_announce_status::accepted;
  // Of the announcer's family after the announce: the peers it can be matched with.
  std::uint32_t complete = 0;                // seeders
  std::uint32_t incomplete = 0;              // leechers
  std::uint32_t offers_not_relayed = 0;      // beyond the caps or with no one to send them to
  std::uint32_t answers_dropped = 0;         // an answer with no matching live pending offer
  std::uint32_t pending_offers_evicted = 0;  // oldest pending offers dropped at the bound
  std::vector<webtorrent_delivery> deliveries;

  bool accepted() const { return status == webtorrent_announce_status::accepted; }
};

struct webtorrent_scrape_counts {
  std::uint32_t complete = 0;
  std::uint32_t incomplete = 0;
  std::uint32_t downloaded = 0;
};

struct webtorrent_totals {
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
  std::uint64_t seeders = 0;
  std::uint64_t leechers = 0;
  std::uint64_t pending_offers = 0;
  std::uint64_t connections = 0;  // connections holding at least one peer here
};

// What clean() or disconnect() removed.
struct webtorrent_removal {
  std::uint64_t peers = 0;
  std::uint64_t pending_offers = 0;
  std::uint64_t torrents = 0;
};

class webtorrent_shard {
 public:
  webtorrent_shard(webtorrent_rules rules, siphash_key hash_key);

  // Applies one announce message. Refused: nothing changes, no delivery. `stopped` removes the
  // peer (with its pending offers) and relays nothing. Otherwise the peer is added or refreshed,
  // then the answer and the offers are relayed. The input's payloads move into the deliveries.
  webtorrent_announce_result announce(webtorrent_announce input, std::uint32_t now, std::mt19937_64& random);

  // Counts of one torrent, all zeros when unknown; a scrape never creates state. tracker_ws passes
  // the scraper's family, so a scrape agrees with the announce replies the same client gets (the
  // swarm it can meet); nullopt sums both families. `downloaded` is the torrent's, whatever the
  // family.
  webtorrent_scrape_counts scrape(const proto::info_hash& hash,
                                  std::optional<proto::address_family> family = std::nullopt) const;

  // Whether `connection` holds a peer of `hash` here (what max_torrents_per_connection counts).
  bool holds(const connection_ref& connection, const proto::info_hash& hash) const;

  // A connection closed: removes its peers in every torrent and their pending offers, at once.
  webtorrent_removal disconnect(const connection_ref& connection, std::uint32_t now);

  // Drops expired peers, expired pending offers, torrents left without peers, and downloaded
  // counts kept past their time.
  webtorrent_removal clean(std::uint32_t now);

  webtorrent_totals totals() const;
  // Slots of the shard's torrent and connection maps: what their arrays take.
  std::size_t torrent_capacity() const { return torrents_.bucket_count(); }
  std::size_t connection_capacity() const { return connections_.bucket_count(); }
  // Downloaded counts kept for torrents without peers.
  std::size_t kept_completed_counts() const { return emptied_.size(); }
  const webtorrent_rules& rules() const { return rules_; }

  // For tests: checks every internal invariant (indexes, lists, counts); O(size).
  bool invariants_hold() const;

 private:
  static constexpr std::uint32_t no_slot = 0xffff'ffff;

  struct peer_id_hasher {
    siphash_key key;
    using is_avalanching = void;
    std::size_t operator()(const proto::peer_id& id) const { return siphash13(key, id.bytes); }
  };

  struct offer_key {
    proto::peer_id offerer;
    proto::offer_id id;
    friend bool operator==(const offer_key&, const offer_key&) = default;
  };
  struct offer_key_hasher {
    siphash_key key;
    using is_avalanching = void;
    std::size_t operator()(const offer_key& key_value) const;
  };

  struct connection_hasher {
    siphash_key key;
    using is_avalanching = void;
    std::size_t operator()(const connection_ref& connection) const;
  };

  struct peer_state {
    connection_ref owner;
    std::uint32_t expires_at = 0;
    std::uint32_t position = 0;               // in its family's `order`
    std::uint32_t offers_made = no_slot;      // list head: pending offers this peer made
    std::uint32_t offers_received = no_slot;  // list head: pending offers made to this peer
    std::uint32_t offers_made_count = 0;      // length of the offers_made list
    proto::address_family family = proto::address_family::ipv4;
    bool seeder = false;
    bool download_counted = false;  // `completed` counts once per peer
  };

  struct pending_offer {
    offer_key key;  // offerer and offer id
    proto::peer_id target;
    connection_ref offerer_connection;
    connection_ref target_connection;
    std::uint32_t expires_at = 0;
    std::uint32_t older = no_slot;  // age list (oldest first)
    std::uint32_t newer = no_slot;  // age list; in a free slot: the next free slot
    std::uint32_t made_prev = no_slot;
    std::uint32_t made_next = no_slot;
    std::uint32_t received_prev = no_slot;
    std::uint32_t received_next = no_slot;
  };

  // The peers of one family, for random choice: seeders in [0, seeders), leechers after.
  struct family_swarm {
    std::vector<proto::peer_id> order;
    std::uint32_t seeders = 0;
  };

  struct torrent {
    explicit torrent(const siphash_key& key) : peers(peer_id_hasher{key}), offer_index(0, offer_key_hasher{key}) {}

    peer_table<peer_state, peer_id_hasher> peers;
    std::array<family_swarm, 2> families;
    std::uint32_t downloaded = 0;
    // Pending offers: slots with a free list, an index by key, and the age list's ends.
    boost::unordered_flat_map<offer_key, std::uint32_t, offer_key_hasher> offer_index;
    std::vector<pending_offer> offer_slots;
    std::uint32_t free_slot = no_slot;
    std::uint32_t oldest = no_slot;
    std::uint32_t newest = no_slot;
  };

  struct connection_entry {
    proto::info_hash hash;
    proto::peer_id peer;
  };

  using torrent_map = boost::unordered_flat_map<proto::info_hash, torrent, keyed_info_hash_hasher>;
  using peer_iterator = decltype(torrent::peers)::iterator;

  void remove_peer(torrent& swarm_torrent, const proto::info_hash& hash, peer_iterator peer,
                   bool update_connection_index, webtorrent_removal& removal);
  void attach(torrent& swarm_torrent, const proto::peer_id& id, peer_state& state);
  void detach(torrent& swarm_torrent, const peer_state& state);
  void move_in_order(torrent& swarm_torrent, family_swarm& swarm, std::uint32_t from, std::uint32_t to);
  void unlink_offer(torrent& swarm_torrent, std::uint32_t slot);
  // `offerer` and `target_state` are the two peers' entries in swarm_torrent.peers, found once by
  // the caller (nothing is inserted meanwhile, so they stay put).
  void record_offer(torrent& swarm_torrent, const offer_key& key, peer_state& offerer, const proto::peer_id& target,
                    peer_state& target_state, std::uint32_t expires_at, webtorrent_announce_result& result);
  void relay_answer(torrent& swarm_torrent, webtorrent_announce& input, std::uint32_t now,
                    webtorrent_announce_result& result);
  void relay_offers(torrent& swarm_torrent, webtorrent_announce& input, std::uint32_t now, std::mt19937_64& random,
                    webtorrent_announce_result& result);
  void remove_connection_entry(const connection_ref& connection, const proto::info_hash& hash);

  webtorrent_rules rules_;
  siphash_key inner_key_;  // for the maps inside torrents
  torrent_map torrents_;
  boost::unordered_flat_map<connection_ref, std::vector<connection_entry>, connection_hasher> connections_;
  emptied_torrent_counts emptied_;
  std::uint64_t seeders_ = 0;
  std::uint64_t leechers_ = 0;
  std::uint64_t pending_offers_ = 0;
  std::vector<std::uint32_t> chosen_;          // scratch: targets of one announce's offers
  std::vector<proto::peer_id> expired_peers_;  // scratch: of one torrent while cleaning
};

}  // namespace riptide::core
