#include "tracker/runtime/shard_service.hpp"

namespace riptide::runtime {

shard_service::shard_service(const shard_settings& settings, core::siphash_key hash_key, std::uint64_t random_seed,
                             std::uint32_t now, worker_counters& counters)
    : shard_(settings.rules, hash_key, random_seed),
      cleaning_interval_seconds_(settings.cleaning_interval_seconds),
      next_cleaning_(now + settings.cleaning_interval_seconds),
      counters_(counters) {}

void shard_service::handle(shard_request& request, std::uint32_t now,
                           std::vector<std::vector<shard_response>>& out) {
  const std::uint16_t socket_worker = socket_worker_of(request);
  if (socket_worker >= out.size()) return;  // cannot happen: routes come from our socket workers
  out[socket_worker].push_back(handle(request, now));
}

void shard_service::count_dropped_responses(std::uint64_t count) {
  counters_.add(counter::dropped_response_queue_full, count);
}

shard_response shard_service::handle(const shard_request& request, std::uint32_t now) {
  if (const auto* announce = std::get_if<announce_request_ipv4>(&request)) {
    announce_response_ipv4 response{announce->route, {}, {}};
    response.counts = shard_.announce(announce->input, now, response.peers);
    return response;
  }
  if (const auto* announce6 = std::get_if<announce_request_ipv6>(&request)) {
    announce_response_ipv6 response{announce6->route, {}, {}};
    response.counts = shard_.announce(announce6->input, now, response.peers);
    return response;
  }
  const auto& part = std::get<scrape_part_request>(request);
  return scrape_part_response{part.pending_id, part.index, shard_.scrape(part.family, part.hash)};
}

void shard_service::clean_if_due(std::uint32_t now) {
  if (now < next_cleaning_) return;
  const core::cleaning_report report = shard_.clean(now);
  counters_.add(counter::peers_removed_by_cleaning, report.peers_removed);
  counters_.add(counter::torrents_removed_by_cleaning, report.torrents_removed);
  next_cleaning_ = now + cleaning_interval_seconds_;
  publish_gauges();
}

void shard_service::publish_gauges() {
  const core::shard_totals ipv4 = shard_.totals(proto::address_family::ipv4);
  const core::shard_totals ipv6 = shard_.totals(proto::address_family::ipv6);
  counters_.set(gauge::torrents_ipv4, ipv4.torrents);
  counters_.set(gauge::seeders_ipv4, ipv4.seeders);
  counters_.set(gauge::leechers_ipv4, ipv4.leechers);
  counters_.set(gauge::torrents_ipv6, ipv6.torrents);
  counters_.set(gauge::seeders_ipv6, ipv6.seeders);
  counters_.set(gauge::leechers_ipv6, ipv6.leechers);
  counters_.set(gauge::completed_counts_kept, shard_.kept_completed_counts());
}

}  // namespace riptide::runtime
