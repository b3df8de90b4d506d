#include "ws_counters.hpp"

#include <array>
#include <sstream>
#include <string_view>

namespace riptide::ws {

void sum_ws_counters(const std::vector<const ws_counters*>& workers, ws_counters& total) {
  for (const ws_counters* worker : workers) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(ws_counter::count_); ++i) {
      total.add(static_cast<ws_counter>(i), worker->get(static_cast<ws_counter>(i)));
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(ws_gauge::count_); ++i) {
      const auto which = static_cast<ws_gauge>(i);
      total.set(which, total.get(which) + worker->get(which));
    }
  }
}

std::string format_stats_json(const ws_counters& t) {
  using c = ws_counter;
  using g = ws_gauge;
  std::ostringstream out;
  out << "{\"connections\":" << t.get(g::open_connections) << ",\"torrents\":" << t.get(g::torrents)
      << ",\"peers\":" << t.get(g::peers) << ",\"seeders\":" << t.get(g::seeders) << ",\"leechers\":"
      << t.get(g::leechers) << ",\"pending_offers\":" << t.get(g::pending_offers)
      << ",\"completed_counts_kept\":" << t.get(g::completed_counts_kept)
      << ",\"messages\":{\"announce\":" << t.get(c::announces) << ",\"answer\":" << t.get(c::answers)
      << ",\"scrape\":" << t.get(c::scrapes) << ",\"invalid\":" << t.get(c::invalid_messages)
      << ",\"refused\":" << t.get(c::refused_announces) << "}"
      << ",\"relayed\":{\"offers\":" << t.get(c::offers_relayed) << ",\"answers\":" << t.get(c::answers_relayed) << "}"
      << ",\"dropped\":{\"answers\":" << t.get(c::answers_dropped) << ",\"to_closed_connections\":"
      << t.get(c::messages_to_closed) << ",\"slow_readers\":" << t.get(c::slow_readers_dropped)
      << ",\"relays_to_full_queues\":" << t.get(c::relays_to_full_queues)
      << ",\"connections_refused\":" << t.get(c::connections_refused)
      << ",\"forwarded_refused\":" << t.get(c::forwarded_refused)
      << ",\"proxy_headers_refused\":" << t.get(c::proxy_headers_refused) << ",\"request_queue_full\":"
      << t.get(c::dropped_request_queue_full) << ",\"response_queue_full\":" << t.get(c::dropped_response_queue_full)
      << ",\"pending_scrapes_full\":" << t.get(c::dropped_pending_scrapes_full)
      << ",\"expired_scrapes\":" << t.get(c::expired_pending_scrapes) << "}"
      << ",\"limits\":{\"oversized_messages\":" << t.get(c::oversized_messages)
      << ",\"handshake_timeouts\":" << t.get(c::handshake_timeouts) << ",\"idle_timeouts\":" << t.get(c::idle_timeouts)
      << ",\"offers_over_limit\":" << t.get(c::offers_over_limit) << ",\"oversized_offers\":"
      << t.get(c::oversized_offers) << ",\"oversized_answers\":" << t.get(c::oversized_answers)
      << ",\"invalid_offers\":" << t.get(c::invalid_offers)
      << ",\"too_many_torrents\":" << t.get(c::too_many_torrents) << ",\"tracker_full\":" << t.get(c::tracker_full)
      << "}"
      << ",\"totals\":{\"connections_accepted\":" << t.get(c::connections_accepted)
      << ",\"websocket_sessions\":" << t.get(c::websocket_sessions) << ",\"http_requests\":" << t.get(c::http_requests)
      << ",\"peers_removed_by_cleaning\":" << t.get(c::peers_removed_by_cleaning)
      << ",\"peers_removed_by_disconnect\":" << t.get(c::peers_removed_by_disconnect)
      << ",\"heap_trims\":" << t.get(c::heap_trims) << "}}";
  return out.str();
}

namespace {

// The enums' names, in their order.
constexpr std::array<std::string_view, static_cast<std::size_t>(ws_counter::count_)> counter_names = {
    "connections_accepted", "connections_refused", "forwarded_refused", "proxy_headers_refused",
    "websocket_sessions", "http_requests",
    "announces", "answers", "scrapes", "invalid_messages", "refused_announces", "offers_relayed", "answers_relayed",
    "answers_dropped", "messages_to_closed", "slow_readers_dropped", "relays_to_full_queues",
    "peers_removed_by_cleaning", "peers_removed_by_disconnect", "dropped_request_queue_full",
    "dropped_response_queue_full", "dropped_pending_scrapes_full", "expired_pending_scrapes", "oversized_messages",
    "handshake_timeouts", "idle_timeouts", "offers_over_limit", "oversized_offers", "oversized_answers",
    "invalid_offers",
    "too_many_torrents", "tracker_full", "heap_trims"};
constexpr std::array<std::string_view, static_cast<std::size_t>(ws_gauge::count_)> gauge_names = {
    "open_connections", "torrents", "peers", "seeders", "leechers", "pending_offers", "completed_counts_kept"};
static_assert(counter_names.back() == "heap_trims" && gauge_names.back() == "completed_counts_kept",
              "a name for every counter and gauge, in enum order");

}  // namespace

std::string format_stats_prometheus(const ws_counters& t) {
  std::ostringstream out;
  for (std::size_t i = 0; i < gauge_names.size(); ++i) {
    out << "# TYPE riptide_ws_" << gauge_names[i] << " gauge\nriptide_ws_" << gauge_names[i] << ' '
        << t.get(static_cast<ws_gauge>(i)) << '\n';
  }
  for (std::size_t i = 0; i < counter_names.size(); ++i) {
    out << "# TYPE riptide_ws_" << counter_names[i] << "_total counter\nriptide_ws_" << counter_names[i] << "_total "
        << t.get(static_cast<ws_counter>(i)) << '\n';
  }
  return out.str();
}

std::string format_stats_line(const ws_counters& t) {
  using c = ws_counter;
  using g = ws_gauge;
  std::ostringstream out;
  out << "connections=" << t.get(g::open_connections) << " torrents=" << t.get(g::torrents)
      << " seeders=" << t.get(g::seeders) << " leechers=" << t.get(g::leechers)
      << " pending_offers=" << t.get(g::pending_offers) << " completed_counts_kept=" << t.get(g::completed_counts_kept)
      << " | messages announce=" << t.get(c::announces)
      << " answer=" << t.get(c::answers) << " scrape=" << t.get(c::scrapes) << " invalid=" << t.get(c::invalid_messages)
      << " refused=" << t.get(c::refused_announces) << " | relayed offers=" << t.get(c::offers_relayed)
      << " answers=" << t.get(c::answers_relayed) << " | dropped answers=" << t.get(c::answers_dropped)
      << " slow_readers=" << t.get(c::slow_readers_dropped) << " relays_to_full_queues="
      << t.get(c::relays_to_full_queues) << " connections_refused="
      << t.get(c::connections_refused) << " forwarded_refused=" << t.get(c::forwarded_refused)
      << " proxy_headers_refused=" << t.get(c::proxy_headers_refused) << " queue_full=" << t.get(c::dropped_request_queue_full) << "/"
      << t.get(c::dropped_response_queue_full) << " | limits oversized=" << t.get(c::oversized_messages)
      << " timeouts=" << t.get(c::handshake_timeouts) << "/" << t.get(c::idle_timeouts)
      << " offers_skipped=" << t.get(c::offers_over_limit) + t.get(c::oversized_offers) + t.get(c::invalid_offers)
      << " oversized_answers=" << t.get(c::oversized_answers)
      << " too_many_torrents=" << t.get(c::too_many_torrents) << " tracker_full=" << t.get(c::tracker_full);
  return out.str();
}

}  // namespace riptide::ws
