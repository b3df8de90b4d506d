#pragma once
// A shard with the work around it: applies requests, cleans on schedule, publishes gauges.
// Owned by exactly one thread: a request worker (the usual layout), or the only socket worker when
// workers.request_workers = 0 (one thread does everything: no channel, no context switch, the
// fastest layout on a single core).

#include <cstdint>
#include <vector>

#include "tracker/core/torrent_shard.hpp"
#include "tracker/runtime/shard_messages.hpp"
#include "tracker/runtime/worker_counters.hpp"

namespace riptide::runtime {

struct shard_settings {
  core::swarm_rules rules;
  std::uint32_t cleaning_interval_seconds = 60;
};

class shard_service {
 public:
  shard_service(const shard_settings& settings, core::siphash_key hash_key, std::uint64_t random_seed,
                std::uint32_t now, worker_counters& counters);

  using request_type = shard_request;
  using response_type = shard_response;

  shard_response handle(const shard_request& request, std::uint32_t now);
  // As a request worker calls it: the response goes to out[its socket worker].
  void handle(shard_request& request, std::uint32_t now, std::vector<std::vector<shard_response>>& out);

  // Cleans when the interval has passed; cheap to call often.
  void clean_if_due(std::uint32_t now);

  // Copies the shard's totals into the owner's gauges.
  void publish_gauges();

  void count_dropped_responses(std::uint64_t count);

 private:
  core::torrent_shard shard_;
  std::uint32_t cleaning_interval_seconds_;
  std::uint32_t next_cleaning_;
  worker_counters& counters_;
};

}  // namespace riptide::runtime
