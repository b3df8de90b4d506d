#include "tracker/runtime/request_worker.hpp"

namespace riptide::runtime {
namespace {

// How long the worker sleeps on an empty channel before it looks at the stop flag and the
// cleaning timer again.
constexpr std::int64_t idle_wait_us = 100'000;

}  // namespace

request_worker::request_worker(std::uint16_t id, const request_worker_settings& settings, core::siphash_key hash_key,
                               std::uint64_t random_seed, const tracker_clock& clock, request_inbox& input,
                               const std::vector<response_inbox*>& outputs, worker_counters& counters)
    : id_(id),
      batch_size_(settings.batch_size),
      clock_(clock),
      shard_(settings.shard, hash_key, random_seed, clock.now_seconds(), counters),
      input_(input),
      outputs_(outputs),
      pending_responses_(outputs.size()),
      counters_(counters) {}

void request_worker::run(const std::atomic<bool>& stopping) {
  std::vector<shard_request> batch(batch_size_);
  while (!stopping.load(std::memory_order_relaxed)) {
    const std::size_t count = input_.receive(batch.data(), batch.size(), idle_wait_us);
    const std::uint32_t now = clock_.now_seconds();
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint16_t socket_worker = socket_worker_of(batch[i]);
      if (socket_worker >= pending_responses_.size()) continue;  // cannot happen: routes come from our workers
      pending_responses_[socket_worker].push_back(shard_.handle(batch[i], now));
    }
    flush_responses();
    shard_.clean_if_due(now);
    if (count > 0) shard_.publish_gauges();
  }
}

void request_worker::flush_responses() {
  for (std::size_t i = 0; i < pending_responses_.size(); ++i) {
    auto& batch = pending_responses_[i];
    if (batch.empty()) continue;
    const std::size_t offered = batch.size();
    const std::size_t sent = outputs_[i]->from(id_).send(batch);
    counters_.add(counter::dropped_response_queue_full, offered - sent);
    outputs_[i]->notify();
  }
}

}  // namespace riptide::runtime
