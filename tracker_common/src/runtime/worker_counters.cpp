#include "tracker/runtime/worker_counters.hpp"

namespace riptide::runtime {

std::string_view counter_name(counter which) {
  switch (which) {
    case counter::received_packets: return "received_packets";
    case counter::received_bytes: return "received_bytes";
    case counter::sent_packets: return "sent_packets";
    case counter::sent_bytes: return "sent_bytes";
    case counter::connect_requests: return "connect_requests";
    case counter::announce_requests: return "announce_requests";
    case counter::scrape_requests: return "scrape_requests";
    case counter::invalid_requests: return "invalid_requests";
    case counter::connect_responses: return "connect_responses";
    case counter::announce_responses: return "announce_responses";
    case counter::scrape_responses: return "scrape_responses";
    case counter::error_responses: return "error_responses";
    case counter::refused_tracker_full: return "refused_tracker_full";
    case counter::refused_source_full: return "refused_source_full";
    case counter::dropped_bad_connection_id: return "dropped_bad_connection_id";
    case counter::dropped_unanswerable: return "dropped_unanswerable";
    case counter::dropped_request_queue_full: return "dropped_request_queue_full";
    case counter::dropped_response_queue_full: return "dropped_response_queue_full";
    case counter::dropped_pending_scrapes_full: return "dropped_pending_scrapes_full";
    case counter::dropped_by_kernel: return "dropped_by_kernel";
    case counter::expired_pending_scrapes: return "expired_pending_scrapes";
    case counter::send_errors: return "send_errors";
    case counter::peers_removed_by_cleaning: return "peers_removed_by_cleaning";
    case counter::torrents_removed_by_cleaning: return "torrents_removed_by_cleaning";
    case counter::count_: break;
  }
  return "?";
}

std::string_view gauge_name(gauge which) {
  switch (which) {
    case gauge::torrents_ipv4: return "torrents_ipv4";
    case gauge::torrents_ipv6: return "torrents_ipv6";
    case gauge::seeders_ipv4: return "seeders_ipv4";
    case gauge::leechers_ipv4: return "leechers_ipv4";
    case gauge::seeders_ipv6: return "seeders_ipv6";
    case gauge::leechers_ipv6: return "leechers_ipv6";
    case gauge::completed_counts_kept: return "completed_counts_kept";
    case gauge::count_: break;
  }
  return "?";
}

}  // namespace riptide::runtime
