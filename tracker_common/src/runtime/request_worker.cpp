#include "tracker/runtime/request_worker.hpp"

#include <algorithm>

namespace riptide::runtime {
namespace {

// How long the worker sleeps on an empty channel before it looks at the stop flag and the
// cleaning timer again.
constexpr std::int64_t idle_wait_us = 100'000;

}  // namespace

request_worker::request_worker(request_worker_settings settings, core::siphash_key hash_key, std::uint64_t random_seed,
                               const tracker_clock& clock, request_channel& input,
                               const std::vector<response_channel*>& outputs, worker_counters& counters)
    : settings_(settings),
      shard_(settings.rules, hash_key, random_seed),
      clock_(clock),
      input_(input),
      input_token_(input.make_consumer_token()),
      outputs_(outputs),
      pending_responses_(outputs.size()),
      counters_(counters) {
  output_tokens_.reserve(outputs_.size());
  for (response_channel* output : outputs_) output_tokens_.push_back(output->make_producer_token());
  next_cleaning_ = clock_.now_seconds() + settings_.cleaning_interval_seconds;
}

void request_worker::run(const std::atomic<bool>& stopping) {
  std::vector<shard_request> batch(settings_.batch_size);
  while (!stopping.load(std::memory_order_relaxed)) {
    const std::size_t count = input_.receive_batch(input_token_, batch.data(), batch.size(), idle_wait_us);
    const std::uint32_t now = clock_.now_seconds();
    for (std::size_t i = 0; i < count; ++i) handle(batch[i], now);
    flush_responses();
    clean_if_due(now);
    if (count > 0) publish_gauges();
  }
}

void request_worker::handle(shard_request& request, std::uint32_t now) {
  const std::uint16_t socket_worker = socket_worker_of(request);
  if (socket_worker >= pending_responses_.size()) return;  // cannot happen: routes come from our own workers
  auto& out = pending_responses_[socket_worker];

  if (auto* announce = std::get_if<announce_request_ipv4>(&request)) {
    announce_response_ipv4 response{announce->route, {}, {}};
    response.counts = shard_.announce(announce->input, now, response.peers);
    out.emplace_back(std::move(response));
  } else if (auto* announce6 = std::get_if<announce_request_ipv6>(&request)) {
    announce_response_ipv6 response{announce6->route, {}, {}};
    response.counts = shard_.announce(announce6->input, now, response.peers);
    out.emplace_back(std::move(response));
  } else if (auto* part = std::get_if<scrape_part_request>(&request)) {
    out.emplace_back(scrape_part_response{part->pending_id, part->index, shard_.scrape(part->family, part->hash)});
  }
}

void request_worker::flush_responses() {
  for (std::size_t i = 0; i < pending_responses_.size(); ++i) {
    auto& batch = pending_responses_[i];
    if (batch.empty()) continue;
    if (!outputs_[i]->try_send_batch(output_tokens_[i], batch)) {
      counters_.add(counter::dropped_response_queue_full, batch.size());
    }
    batch.clear();
    outputs_[i]->notify();
  }
}

void request_worker::clean_if_due(std::uint32_t now) {
  if (now < next_cleaning_) return;
  const core::cleaning_report report = shard_.clean(now);
  counters_.add(counter::peers_removed_by_cleaning, report.peers_removed);
  counters_.add(counter::torrents_removed_by_cleaning, report.torrents_removed);
  next_cleaning_ = now + settings_.cleaning_interval_seconds;
  publish_gauges();
}

void request_worker::publish_gauges() {
  const core::shard_totals ipv4 = shard_.totals(proto::address_family::ipv4);
  const core::shard_totals ipv6 = shard_.totals(proto::address_family::ipv6);
  counters_.set(gauge::torrents_ipv4, ipv4.torrents);
  counters_.set(gauge::seeders_ipv4, ipv4.seeders);
  counters_.set(gauge::leechers_ipv4, ipv4.leechers);
  counters_.set(gauge::torrents_ipv6, ipv6.torrents);
  counters_.set(gauge::seeders_ipv6, ipv6.seeders);
  counters_.set(gauge::leechers_ipv6, ipv6.leechers);
}

}  // namespace riptide::runtime
