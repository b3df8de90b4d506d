#pragma once
// The counters and gauges of tracker_udp's workers. Each worker owns one worker_counters and is the
// only thread to write it; the statistics thread reads every worker's set and sums them.

#include <cstdint>
#include <string_view>

#include "tracker/runtime/counter_set.hpp"

namespace riptide::runtime {

enum class counter : std::size_t {
  received_packets,
  received_bytes,
  sent_packets,
  sent_bytes,
  connect_requests,
  announce_requests,
  scrape_requests,
  invalid_requests,           // could not be decoded (answered with an error when authenticated)
  connect_responses,
  announce_responses,
  scrape_responses,
  error_responses,
  refused_tracker_full,       // announces refused by swarm.max_torrents or swarm.max_peers
  refused_source_full,        // announces refused by swarm.max_peers_per_source
  dropped_bad_connection_id,  // no reply, by design (anti-spoofing)
  dropped_unanswerable,       // bad protocol id, source port 0, truncated header: silent by protocol
  dropped_request_queue_full,
  dropped_response_queue_full,
  dropped_pending_scrapes_full,
  dropped_by_kernel,          // datagrams the kernel dropped before the tracker read them (sk_drops: mostly a
                              // full receive buffer; also bad checksums and socket filters)
  expired_pending_scrapes,
  send_errors,
  peers_removed_by_cleaning,
  torrents_removed_by_cleaning,
  count_
};

enum class gauge : std::size_t {
  torrents_ipv4,
  torrents_ipv6,
  seeders_ipv4,
  leechers_ipv4,
  seeders_ipv6,
  leechers_ipv6,
  completed_counts_kept,  // of torrents without peers, both families (swarm.completed_retention_seconds)
  count_
};

std::string_view counter_name(counter which);
std::string_view gauge_name(gauge which);

// tracker_udp's workers: see counter_set.
using worker_counters = counter_set<counter, gauge>;

}  // namespace riptide::runtime
