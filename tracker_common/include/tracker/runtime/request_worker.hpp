#pragma once
// A request worker: the one thread that owns a shard of the torrent maps. It takes requests in
// batches from its request_inbox, applies them to its shard, and sends the responses, again in
// batches, to the response_inbox of the socket worker each came from. It also cleans its own
// shard on a timer, so swarm data is never touched by two threads and never locked.

#include <atomic>
#include <cstdint>
#include <vector>

#include "tracker/runtime/channels.hpp"
#include "tracker/runtime/shard_service.hpp"
#include "tracker/runtime/tracker_clock.hpp"
#include "tracker/runtime/worker_counters.hpp"

namespace riptide::runtime {

struct request_worker_settings {
  shard_settings shard;
  std::size_t batch_size = 256;  // requests taken from the channel at once
};

class request_worker {
 public:
  // This is request worker `id`; `outputs[i]` is the response inbox of socket worker i.
  request_worker(std::uint16_t id, const request_worker_settings& settings, core::siphash_key hash_key,
                 std::uint64_t random_seed, const tracker_clock& clock, request_inbox& input,
                 const std::vector<response_inbox*>& outputs, worker_counters& counters);

  // Serves until `stopping` is set; returns within about 100 ms after that.
  void run(const std::atomic<bool>& stopping);

 private:
  void flush_responses();

  std::uint16_t id_;
  std::size_t batch_size_;
  const tracker_clock& clock_;
  shard_service shard_;
  request_inbox& input_;
  std::vector<response_inbox*> outputs_;
  std::vector<std::vector<shard_response>> pending_responses_;  // per socket worker, one batch
  worker_counters& counters_;
};

}  // namespace riptide::runtime
