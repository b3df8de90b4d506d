#pragma once
// What crosses between tracker_ws's socket workers and the owners of the swarms (request workers,
// or with workers.request_workers = 0 the only socket worker's own ws_swarm_service).
//
// A request names the connection it came from: (socket worker, connection id). Responses are
// grouped by the socket worker that must send them: the announcer's for its announce response,
// the target's for a relayed offer or answer, the scraper's for a scrape part. Socket workers
// decode and encode nothing for the swarms' sake beyond this: the swarm side writes the final JSON
// text, so a relay to another socket worker's connection is one string handed over.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tracker/core/webtorrent_shard.hpp"
#include "tracker/proto/webtorrent_codec.hpp"

namespace riptide::ws {

struct ws_announce_request {
  core::webtorrent_announce input;  // input.connection: the announcer
  bool reply = true;                // false for an answer message, which the reference tracker does not answer
  std::uint32_t sequence = 0;       // the announcer's count of announces routed: see ws_torrent_released
  bool took_place = false;          // it took a new place of max_torrents_per_connection
};

// The hashes of one scrape that live in one shard; `index` is the hash's place in the reply.
struct ws_scrape_request {
  core::connection_ref connection;  // the scraper
  std::uint64_t pending_id = 0;     // the entry in its socket worker's pending_scrapes
  // The scraper's: counts are those of the swarm its announces would join, as in an announce reply.
  proto::address_family family = proto::address_family::ipv4;
  struct hash_at {
    std::uint8_t index = 0;
    proto::info_hash hash;
  };
  std::vector<hash_at> hashes;
};

// A connection closed: its peers leave this shard's swarms at once.
struct ws_disconnect_request {
  core::connection_ref connection;
};

using ws_request = std::variant<ws_announce_request, ws_scrape_request, ws_disconnect_request>;

// A reply answers the connection's own message (an announce response, a failure, a scrape
// response) and is always queued; a relay (an offer or an answer from another peer) is dropped
// when the connection's outbound queue is full (ws_session), and counted as relayed only once
// queued.
enum class message_kind : std::uint8_t { reply, offer_relay, answer_relay };

// One text message for one connection of the receiving socket worker.
struct ws_outbound_message {
  std::uint64_t connection_id = 0;
  std::string text;
  message_kind kind = message_kind::reply;
  bool owed = false;  // the reply its announce owes the connection (ws_connection::owe_reply)
};

struct ws_scrape_part {
  std::uint64_t pending_id = 0;
  struct file_at {
    std::uint8_t index = 0;
    proto::webtorrent::scrape_file file;
  };
  std::vector<file_at> files;
};

// With request workers, the socket worker counts each connection's torrents against
// max_torrents_per_connection (no shard sees the others). After an announce that leaves the
// connection without a peer in the torrent (a stopped, a refusal), the shard says so, with that
// announce's sequence number: a later announce of the torrent, routed meanwhile, makes it stale.
struct ws_torrent_released {
  std::uint64_t connection_id = 0;
  proto::info_hash hash;
  std::uint32_t sequence = 0;
};

using ws_response = std::variant<ws_outbound_message, ws_scrape_part, ws_torrent_released>;

// Responses made while handling requests, one batch per socket worker.
using ws_response_batches = std::vector<std::vector<ws_response>>;

}  // namespace riptide::ws
