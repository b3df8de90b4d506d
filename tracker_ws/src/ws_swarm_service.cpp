#include "ws_swarm_service.hpp"

#include <string>
#include <type_traits>
#include <utility>

namespace riptide::ws {

namespace wt = proto::webtorrent;

ws_swarm_service::ws_swarm_service(const ws_swarm_settings& settings, core::siphash_key hash_key,
                                   std::uint64_t random_seed, std::uint32_t now, ws_counters& counters)
    : shard_(settings.rules, hash_key),
      random_(random_seed),
      announce_interval_seconds_(settings.announce_interval_seconds),
      cleaning_interval_seconds_(settings.cleaning_interval_seconds),
      report_released_torrents_(settings.report_released_torrents),
      next_cleaning_(now + settings.cleaning_interval_seconds),
      counters_(counters) {}

void ws_swarm_service::handle(ws_request& request, std::uint32_t now, ws_response_batches& out) {
  std::visit(
      [&](auto& message) {
        using message_type = std::decay_t<decltype(message)>;
        if constexpr (std::is_same_v<message_type, ws_announce_request>) {
          announce(message, now, out);
        } else if constexpr (std::is_same_v<message_type, ws_scrape_request>) {
          scrape(message, out);
        } else {
          const auto removed = shard_.disconnect(message.connection, now);
          counters_.add(ws_counter::peers_removed_by_disconnect, removed.peers);
        }
      },
      request);
}

void ws_swarm_service::announce(ws_announce_request& request, std::uint32_t now, ws_response_batches& out) {
  const core::connection_ref announcer = request.input.connection;
  const proto::info_hash hash = request.input.hash;
  auto* replies = announcer.socket_worker < out.size() ? &out[announcer.socket_worker] : nullptr;
  const bool stopped = request.input.event == core::peer_event::stopped;
  const std::uint32_t sequence = request.sequence;

  auto result = shard_.announce(std::move(request.input), now, random_);
  // An accepted announce other than a stop leaves its peer in the swarm; otherwise ask the shard.
  if (report_released_torrents_ && replies != nullptr && (stopped || !result.accepted()) &&
      !shard_.holds(announcer, hash)) {
    replies->push_back(ws_torrent_released{announcer.connection_id, hash, sequence});
  }
  if (!result.accepted()) {
    counters_.add(ws_counter::refused_announces);
    if (result.status == core::webtorrent_announce_status::too_many_torrents_on_connection) {
      counters_.add(ws_counter::too_many_torrents);
    } else if (result.status == core::webtorrent_announce_status::tracker_full) {
      counters_.add(ws_counter::tracker_full);
    }
    if (replies != nullptr) {
      // Owed unless the announce was an answer, which has no reply unless refused.
      replies->push_back(ws_outbound_message{
          announcer.connection_id,
          wt::encode_failure({std::string(core::failure_reason(result.status)), wt::message_action::announce, hash}),
          message_kind::reply, request.reply});
    }
    return;
  }
  counters_.add(ws_counter::answers_dropped, result.answers_dropped);
  if (request.reply && replies != nullptr) {
    replies->push_back(ws_outbound_message{
        announcer.connection_id,
        wt::encode_announce_response({hash, announce_interval_seconds_, result.complete, result.incomplete, {}}),
        message_kind::reply, true});
  }
  for (auto& delivery : result.deliveries) relay(delivery, out);
}

void ws_swarm_service::relay(core::webtorrent_delivery& delivery, ws_response_batches& out) {
  if (delivery.target.socket_worker >= out.size()) return;
  // Counted by the target's socket worker once queued (ws_socket_worker::send_to).
  ws_outbound_message message{delivery.target.connection_id, {}, message_kind::offer_relay};
  if (delivery.kind == core::relay_kind::offer) {
    message.text = wt::encode_offer_relay({delivery.hash, delivery.from, delivery.offer, std::move(delivery.payload)});
  } else {
    message.kind = message_kind::answer_relay;
    message.text = wt::encode_answer_relay({delivery.hash, delivery.from, delivery.offer, std::move(delivery.payload)});
  }
  out[delivery.target.socket_worker].push_back(std::move(message));
}

void ws_swarm_service::scrape(const ws_scrape_request& request, ws_response_batches& out) {
  if (request.connection.socket_worker >= out.size()) return;
  ws_scrape_part part;
  part.pending_id = request.pending_id;
  part.files.reserve(request.hashes.size());
  for (const auto& [index, hash] : request.hashes) {
    const auto counts = shard_.scrape(hash, request.family);
    part.files.push_back({index, {hash, {counts.complete, counts.incomplete, counts.downloaded}}});
  }
  out[request.connection.socket_worker].push_back(std::move(part));
}

void ws_swarm_service::clean_if_due(std::uint32_t now) {
  if (now < next_cleaning_) return;
  next_cleaning_ = now + cleaning_interval_seconds_;
  const auto removed = shard_.clean(now);
  counters_.add(ws_counter::peers_removed_by_cleaning, removed.peers);
  publish_gauges();
}

void ws_swarm_service::publish_gauges() {
  const auto totals = shard_.totals();
  counters_.set(ws_gauge::torrents, totals.torrents);
  counters_.set(ws_gauge::peers, totals.peers);
  counters_.set(ws_gauge::seeders, totals.seeders);
  counters_.set(ws_gauge::leechers, totals.leechers);
  counters_.set(ws_gauge::pending_offers, totals.pending_offers);
  counters_.set(ws_gauge::completed_counts_kept, shard_.kept_completed_counts());
}

}  // namespace riptide::ws
