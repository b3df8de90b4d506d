#pragma once
// The counters and gauges of tracker_ws's workers. Every socket worker and every request worker
// owns one ws_counters and is its only writer; /stats and the statistics line sum all of them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tracker/runtime/counter_set.hpp"

namespace riptide::ws {

enum class ws_counter : std::size_t {
  connections_accepted,          // TCP connections admitted
  connections_refused,           // over max_connections or max_connections_per_ip: closed at accept, or
                                 // an upgrade on a monitoring place answered 503
  forwarded_refused,             // upgrades through a trusted proxy: the client over max_connections_per_ip
                                 // (429), or X-Forwarded-For without its address (400); or a
                                 // PROXY header's client over that limit (closed)
  proxy_headers_refused,         // network.proxy_protocol: a trusted connection without a valid header
  websocket_sessions,            // successful WebSocket handshakes
  http_requests,                 // requests answered with plain HTTP (health, stats, 404, a refused upgrade)
  announces,                     // announce messages without an answer
  answers,                       // announce messages carrying an answer
  scrapes,
  invalid_messages,              // not decodable: answered with a failure
  refused_announces,             // decoded, refused by the rules or the access list
  offers_relayed,                // offers sent on by the swarms
  answers_relayed,               // answers sent on by the swarms
  answers_dropped,               // no matching live offer
  messages_to_closed,            // the target connection was already gone
  slow_readers_dropped,          // limits.write_timeout_seconds, or replies far past the queue bounds
  relays_to_full_queues,         // offers and answers dropped: the target's outbound queue was full
  peers_removed_by_cleaning,
  peers_removed_by_disconnect,
  dropped_request_queue_full,    // a channel to a request worker was full
  dropped_response_queue_full,   // a channel to a socket worker was full
  dropped_pending_scrapes_full,  // too many split scrapes waiting for their parts
  expired_pending_scrapes,       // a split scrape whose parts did not all come back
  // Limits hit (those above count theirs already: connections_refused, slow_readers_dropped).
  oversized_messages,            // limits.max_message_bytes: the connection was closed
  handshake_timeouts,            // limits.handshake_timeout_seconds: TLS, HTTP or WebSocket handshake
  idle_timeouts,                 // limits.idle_timeout_seconds: no answer to the ping
  offers_over_limit,             // offers past limits.max_offers in one announce: ignored
  oversized_offers,              // offers longer than limits.max_sdp_bytes: skipped
  oversized_answers,             // answers longer than limits.max_sdp_bytes: refused (also invalid_messages)
  invalid_offers,                // entries of `offers` that are not an offer: skipped
  too_many_torrents,             // announces refused by limits.max_torrents_per_connection
  tracker_full,                  // announces refused by limits.max_torrents or limits.max_peers
  // Memory.
  heap_trims,                    // freed memory given back to the system after a burst (heap_trim_policy)
  count_
};

enum class ws_gauge : std::size_t {
  open_connections,  // socket workers: TCP connections open now
  torrents,          // request workers (or the inline swarm service): their share of the swarms
  peers,
  seeders,
  leechers,
  pending_offers,
  completed_counts_kept,  // downloaded counts of torrents without peers (protocol.completed_retention_seconds)
  count_
};

using ws_counters = runtime::counter_set<ws_counter, ws_gauge>;

// Adds every worker's counters and gauges into `total` (a fresh set, owned by the caller).
void sum_ws_counters(const std::vector<const ws_counters*>& workers, ws_counters& total);

// {"connections":..,"torrents":..,"peers":..,"seeders":..,"leechers":..,"pending_offers":..,
//  "messages":{"announce":..,"answer":..,"scrape":..,"invalid":..,"refused":..}, ...}
std::string format_stats_json(const ws_counters& total);

// One log line with the same numbers.
std::string format_stats_line(const ws_counters& total);

// The same numbers for Prometheus (text exposition format 0.0.4): each gauge as
// riptide_ws_NAME, each counter as riptide_ws_NAME_total, NAME as in the enums above.
std::string format_stats_prometheus(const ws_counters& total);

}  // namespace riptide::ws
