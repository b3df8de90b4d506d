#pragma once
// The counters of one socket worker. Owned and written by that worker's thread only; /stats and
// the statistics line are produced on the same thread, so plain integers suffice.

#include <cstdint>
#include <string>

#include "tracker/core/webtorrent_shard.hpp"

namespace riptide::ws {

struct ws_counters {
  std::uint64_t connections_accepted = 0;     // TCP connections admitted
  std::uint64_t connections_refused = 0;      // over max_connections or max_connections_per_ip
  std::uint64_t websocket_sessions = 0;       // successful WebSocket handshakes
  std::uint64_t http_requests = 0;            // plain HTTP requests (health, stats, 404)
  std::uint64_t announces = 0;                // announce messages without an answer
  std::uint64_t answers = 0;                  // announce messages carrying an answer
  std::uint64_t scrapes = 0;
  std::uint64_t invalid_messages = 0;         // not decodable: answered with a failure
  std::uint64_t refused_announces = 0;        // decoded, refused by the rules or the access list
  std::uint64_t offers_relayed = 0;
  std::uint64_t answers_relayed = 0;
  std::uint64_t answers_dropped = 0;          // no matching live offer
  std::uint64_t relays_to_closed = 0;         // target connection already gone
  std::uint64_t slow_readers_dropped = 0;     // outbound queue full: disconnected
  std::uint64_t peers_removed_by_cleaning = 0;
  std::uint64_t peers_removed_by_disconnect = 0;
};

// {"connections":..,"torrents":..,"peers":..,"seeders":..,"leechers":..,"pending_offers":..,
//  "messages":{"announce":..,"answer":..,"scrape":..,"invalid":..}, ...}
std::string format_stats_json(const ws_counters& counters, const core::webtorrent_totals& totals,
                              std::uint64_t open_connections);

// One log line with the same numbers.
std::string format_stats_line(const ws_counters& counters, const core::webtorrent_totals& totals,
                              std::uint64_t open_connections);

}  // namespace riptide::ws
