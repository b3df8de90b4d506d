#pragma once
// One shard of the WebTorrent swarms with the work around it: applies announce, scrape and
// disconnect requests, writes the JSON replies and relays, cleans on schedule and publishes its
// gauges. No sockets: requests come in, ws_response batches (by socket worker) go out, so tests
// drive it directly. Owned by exactly one thread: a request worker, or the only socket worker when
// workers.request_workers = 0.

#include <cstdint>
#include <random>

#include "tracker/core/siphash.hpp"
#include "tracker/core/webtorrent_shard.hpp"
#include "ws_counters.hpp"
#include "ws_messages.hpp"

namespace riptide::ws {

struct ws_swarm_settings {
  core::webtorrent_rules rules;
  std::uint32_t announce_interval_seconds = 120;  // told to clients in announce responses
  std::uint32_t cleaning_interval_seconds = 60;
  // With request workers: tell the socket worker when an announce leaves its connection without a
  // peer in the torrent (ws_torrent_released).
  bool report_released_torrents = false;
};

class ws_swarm_service {
 public:
  ws_swarm_service(const ws_swarm_settings& settings, core::siphash_key hash_key, std::uint64_t random_seed,
                   std::uint32_t now, ws_counters& counters);

  using request_type = ws_request;
  using response_type = ws_response;

  // Applies one request; what it makes goes to `out[socket worker]`. A request never names a
  // socket worker outside `out` (they come from this tracker's own workers); if one did, its
  // responses would be skipped.
  void handle(ws_request& request, std::uint32_t now, ws_response_batches& out);

  // Cleans when the interval has passed; cheap to call often.
  void clean_if_due(std::uint32_t now);

  // Copies the shard's totals into the owner's gauges.
  void publish_gauges();

  void count_dropped_responses(std::uint64_t count) { counters_.add(ws_counter::dropped_response_queue_full, count); }

 private:
  void announce(ws_announce_request& request, std::uint32_t now, ws_response_batches& out);
  void scrape(const ws_scrape_request& request, ws_response_batches& out);
  void relay(core::webtorrent_delivery& delivery, ws_response_batches& out);

  core::webtorrent_shard shard_;
  std::mt19937_64 random_;
  std::uint32_t announce_interval_seconds_;
  std::uint32_t cleaning_interval_seconds_;
  bool report_released_torrents_;
  std::uint32_t next_cleaning_;
  ws_counters& counters_;
};

}  // namespace riptide::ws
