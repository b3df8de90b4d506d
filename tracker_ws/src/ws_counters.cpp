#include "ws_counters.hpp"

#include <sstream>

namespace riptide::ws {

std::string format_stats_json(const ws_counters& c, const core::webtorrent_totals& t, std::uint64_t open_connections) {
  std::ostringstream out;
  out << "{\"connections\":" << open_connections << ",\"torrents\":" << t.torrents << ",\"peers\":" << t.peers
      << ",\"seeders\":" << t.seeders << ",\"leechers\":" << t.leechers << ",\"pending_offers\":" << t.pending_offers
      << ",\"messages\":{\"announce\":" << c.announces << ",\"answer\":" << c.answers << ",\"scrape\":" << c.scrapes
      << ",\"invalid\":" << c.invalid_messages << ",\"refused\":" << c.refused_announces << "}"
      << ",\"relayed\":{\"offers\":" << c.offers_relayed << ",\"answers\":" << c.answers_relayed << "}"
      << ",\"dropped\":{\"answers\":" << c.answers_dropped << ",\"relays_to_closed\":" << c.relays_to_closed
      << ",\"slow_readers\":" << c.slow_readers_dropped << ",\"connections_refused\":" << c.connections_refused << "}"
      << ",\"totals\":{\"connections_accepted\":" << c.connections_accepted
      << ",\"websocket_sessions\":" << c.websocket_sessions << ",\"http_requests\":" << c.http_requests
      << ",\"peers_removed_by_cleaning\":" << c.peers_removed_by_cleaning
      << ",\"peers_removed_by_disconnect\":" << c.peers_removed_by_disconnect << "}}";
  return out.str();
}

std::string format_stats_line(const ws_counters& c, const core::webtorrent_totals& t, std::uint64_t open_connections) {
  std::ostringstream out;
  out << "connections=" << open_connections << " torrents=" << t.torrents << " seeders=" << t.seeders
      << " leechers=" << t.leechers << " pending_offers=" << t.pending_offers << " | messages announce=" << c.announces
      << " answer=" << c.answers << " scrape=" << c.scrapes << " invalid=" << c.invalid_messages
      << " refused=" << c.refused_announces << " | relayed offers=" << c.offers_relayed
      << " answers=" << c.answers_relayed << " | dropped answers=" << c.answers_dropped
      << " slow_readers=" << c.slow_readers_dropped << " connections_refused=" << c.connections_refused;
  return out.str();
}

}  // namespace riptide::ws
