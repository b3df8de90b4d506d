#pragma once
// A request worker: the one thread that owns a shard of the torrents. It takes requests in batches
// from its request inbox, applies them to its service, and sends what the service made, again in
// batches, to the response inbox of each socket worker concerned. The service also cleans its own
// shard, so swarm data is never touched by two threads and never locked.
//
// One loop for every tracker: `Service` (tracker_udp's shard_service, tracker_ws's
// ws_swarm_service) provides
//   using request_type = ...; using response_type = ...;
//   void handle(request_type&, std::uint32_t now, std::vector<std::vector<response_type>>& out);
//                                      // responses to out[socket worker]
//   void clean_if_due(std::uint32_t now);
//   void publish_gauges();
//   void count_dropped_responses(std::uint64_t count);  // a response channel was full

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "tracker/runtime/channels.hpp"
#include "tracker/runtime/tracker_clock.hpp"

namespace riptide::runtime {

template <typename Service>
class request_worker {
 public:
  using request_type = typename Service::request_type;
  using response_type = typename Service::response_type;
  using input_inbox = basic_request_inbox<request_type>;
  using output_inbox = basic_response_inbox<response_type>;

  static constexpr std::size_t batch_size = 256;  // requests taken from the inbox at once

  // This is request worker `id`; `outputs[i]` is the response inbox of socket worker i; the
  // service is constructed from `service_arguments`.
  template <typename... ServiceArguments>
  request_worker(std::uint16_t id, const tracker_clock& clock, input_inbox& input,
                 const std::vector<output_inbox*>& outputs, ServiceArguments&&... service_arguments)
      : id_(id),
        clock_(clock),
        service_(std::forward<ServiceArguments>(service_arguments)...),
        input_(input),
        outputs_(outputs),
        pending_responses_(outputs.size()) {}

  // Serves until `stopping` is set; returns within about 100 ms after that.
  void run(const std::atomic<bool>& stopping) {
    std::vector<request_type> batch(batch_size);
    while (!stopping.load(std::memory_order_relaxed)) {
      const std::size_t count = input_.receive(batch.data(), batch.size(), idle_wait_us);
      const std::uint32_t now = clock_.now_seconds();
      for (std::size_t i = 0; i < count; ++i) {
        service_.handle(batch[i], now, pending_responses_);
        batch[i] = request_type{};  // free what it holds now, not when the slot is reused
      }
      // Gauges before replies: whoever has a reply sees the gauges count its request.
      if (count > 0) service_.publish_gauges();
      flush_responses();
      service_.clean_if_due(now);
    }
  }

 private:
  // How long the worker sleeps on an empty inbox before it looks at the stop flag and the
  // cleaning timer again.
  static constexpr std::int64_t idle_wait_us = 100'000;

  void flush_responses() {
    for (std::size_t i = 0; i < pending_responses_.size(); ++i) {
      auto& responses = pending_responses_[i];
      if (responses.empty()) continue;
      const std::size_t offered = responses.size();
      const std::size_t sent = outputs_[i]->from(id_).send(responses);
      if (sent < offered) service_.count_dropped_responses(offered - sent);
      if (sent > 0) outputs_[i]->notify();
    }
  }

  std::uint16_t id_;
  const tracker_clock& clock_;
  Service service_;
  input_inbox& input_;
  std::vector<output_inbox*> outputs_;
  std::vector<std::vector<response_type>> pending_responses_;  // per socket worker, one batch
};

}  // namespace riptide::runtime
