#include "udp_load_run.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "load_phases.hpp"
#include "udp_load_report.hpp"
#include "udp_load_worker.hpp"
#include "workload.hpp"

namespace riptide::load_test {
namespace {

// Warm-up announces every peer once; if the tracker does not answer, the run goes on to measure
// (and reports what it gets) rather than hanging.
constexpr auto warmup_limit = std::chrono::seconds(120);

struct live_totals {
  std::uint64_t replies[3] = {};
  std::uint64_t error_replies = 0;
  std::uint64_t malformed = 0;
  std::uint64_t lost = 0;
};

live_totals sum_live(const std::vector<std::unique_ptr<udp_load_worker>>& workers) {
  live_totals totals;
  for (const auto& worker : workers) {
    const live_counters& live = worker->live();
    for (std::size_t i = 0; i < 3; ++i) totals.replies[i] += live.replies[i].load(std::memory_order_relaxed);
    totals.error_replies += live.error_replies.load(std::memory_order_relaxed);
    totals.malformed += live.malformed.load(std::memory_order_relaxed);
    totals.lost += live.lost.load(std::memory_order_relaxed);
  }
  return totals;
}

void print_progress(const char* phase, double elapsed, const live_totals& now, const live_totals& before,
                    double seconds) {
  const auto rate = [seconds](std::uint64_t a, std::uint64_t b) { return static_cast<double>(a - b) / seconds; };
  std::fprintf(stderr,
               "load_test: %-7s t=%5.1fs responses/s connect %.0f announce %.0f scrape %.0f | errors %llu "
               "malformed %llu lost %llu\n",
               phase, elapsed, rate(now.replies[0], before.replies[0]), rate(now.replies[1], before.replies[1]),
               rate(now.replies[2], before.replies[2]), static_cast<unsigned long long>(now.error_replies),
               static_cast<unsigned long long>(now.malformed), static_cast<unsigned long long>(now.lost));
}

}  // namespace

int run_udp_load(const udp_load_config& config, bool json_summary) {
  const std::uint32_t total_sockets = config.run.threads * config.run.sockets_per_thread;
  in_addr v4{};
  const bool ipv4 = ::inet_pton(AF_INET, config.target.address.c_str(), &v4) == 1;
  const peer_population peers(config, total_sockets, ipv4 && !config.run.first_source_address.empty());

  run_control control;
  control.phase.store(config.peers.warmup ? load_phase::warmup : load_phase::measure);
  std::vector<std::unique_ptr<udp_load_worker>> workers;
  try {
    for (std::uint32_t t = 0; t < config.run.threads; ++t) {
      workers.push_back(
          std::make_unique<udp_load_worker>(config, peers, t * config.run.sockets_per_thread, t, control));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load_test: %s\n", e.what());
    return 1;
  }

  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&worker] { worker->run(); });

  const auto window = run_load_phases(
      load_phase_settings{config.peers.warmup, warmup_limit, config.run.duration_seconds},
      [&] { return sum_live(workers); },
      [&] { return control.threads_warmed_up.load() >= config.run.threads; }, [] {},
      [&] { control.phase.store(load_phase::measure, std::memory_order_release); }, print_progress);
  control.phase.store(load_phase::drain, std::memory_order_release);
  const double measured_seconds = window.seconds;

  // Threads leave the drain once nothing is in flight, at most one request timeout later.
  for (std::thread& thread : threads) thread.join();
  control.phase.store(load_phase::done);

  udp_load_summary summary;
  summary.measured_seconds = measured_seconds;
  for (const auto& worker : workers) summary.results.merge(worker->results());
  const std::string text = json_summary ? format_summary_json(config, summary) : format_summary_text(config, summary);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  // A run the tracker answered nothing in measured nothing of it: say so, for scripts too.
  const auto& replies = summary.results.replies;
  if (summary.results.error_replies == 0 &&
      std::all_of(replies.begin(), replies.end(), [](std::uint64_t count) { return count == 0; })) {
    std::fprintf(stderr, "load_test: the tracker at %s port %u answered none of the requests measured\n",
                 config.target.address.c_str(), static_cast<unsigned>(config.target.port));
    return 1;
  }
  return 0;
}

int print_info_hashes(const udp_load_config& config) {
  std::string text;
  for (std::uint32_t i = 0; i < config.torrents.count; ++i) {
    text += proto::to_hex(torrent_info_hash(config.run.seed, i));
    text += '\n';
    if (text.size() > (1U << 20)) {
      std::fputs(text.c_str(), stdout);
      text.clear();
    }
  }
  std::fputs(text.c_str(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace riptide::load_test
