#include "ws_load_run.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "load_phases.hpp"
#include "ws_load_report.hpp"
#include "ws_load_worker.hpp"

namespace riptide::load_test {
namespace {

// Each connection is a descriptor; the rest is stdio, epoll and the like.
constexpr rlim_t spare_descriptors = 64;

void raise_descriptor_limit(std::uint32_t connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < connections + spare_descriptors) {
    std::fprintf(stderr,
                 "load_test: the open-file limit (%llu, the hard limit) is below the %u connections asked for; "
                 "those beyond it will fail to connect (raise it with ulimit -Hn)\n",
                 static_cast<unsigned long long>(limit.rlim_cur), connections);
  }
}

ws_counts sum_live(const std::vector<std::unique_ptr<ws_load_worker>>& workers) {
  ws_counts total;
  for (const auto& worker : workers) total += worker->live().snapshot();
  return total;
}

void print_progress(const char* phase, double elapsed, const ws_counts& now, const ws_counts& before, double seconds) {
  const auto rate = [seconds](std::uint64_t a, std::uint64_t b) { return static_cast<double>(a - b) / seconds; };
  std::fprintf(stderr,
               "load_test: %-7s t=%5.1fs open %llu | sent/s announce %.0f answer %.0f scrape %.0f | received/s "
               "response %.0f offer %.0f answer %.0f scrape %.0f | failures %llu malformed %llu closed %llu\n",
               phase, elapsed, static_cast<unsigned long long>(now.connected - now.closed),
               rate(now.of(ws_sent::announce), before.of(ws_sent::announce)),
               rate(now.of(ws_sent::answer), before.of(ws_sent::answer)),
               rate(now.of(ws_sent::scrape), before.of(ws_sent::scrape)),
               rate(now.of(ws_received::announce_response), before.of(ws_received::announce_response)),
               rate(now.of(ws_received::offer), before.of(ws_received::offer)),
               rate(now.of(ws_received::answer), before.of(ws_received::answer)),
               rate(now.of(ws_received::scrape_response), before.of(ws_received::scrape_response)),
               static_cast<unsigned long long>(now.of(ws_received::failure)),
               static_cast<unsigned long long>(now.malformed), static_cast<unsigned long long>(now.closed));
}

}  // namespace

int run_ws_load(const ws_load_config& config, bool json_summary) {
  raise_descriptor_limit(config.run.connections);
  std::atomic<ws_phase> phase{ws_phase::warmup};
  std::vector<std::unique_ptr<ws_load_worker>> workers;
  try {
    const std::uint32_t threads = config.run.threads;
    for (std::uint32_t t = 0; t < threads; ++t) {
      // Thread t owns connections [first, first + count): an even split, the remainder to the first ones.
      const std::uint32_t base = config.run.connections / threads;
      const std::uint32_t extra = config.run.connections % threads;
      const std::uint32_t first = t * base + std::min(t, extra);
      workers.push_back(std::make_unique<ws_load_worker>(config, first, base + (t < extra ? 1 : 0), phase));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load_test: %s\n", e.what());
    return 1;
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&worker] { worker->run(); });

  // Warm-up: every connection connected and had its first announce answered (or failed). Then one
  // message interval (at least a second) of the regular load, not measured: the warm-up announces
  // all come at once, and the offers and answers they set off would otherwise still be draining
  // when measuring starts (at 10,000 connections with 5 offers, for about two seconds).
  const auto settle =
      std::max(std::chrono::milliseconds(config.requests.message_interval_ms), std::chrono::milliseconds(1000));
  const auto window = run_load_phases(
      load_phase_settings{true, std::chrono::seconds(config.run.warmup_timeout_seconds), config.run.duration_seconds,
                          settle},
      [&] { return sum_live(workers); }, [&] { return sum_live(workers).warmed >= config.run.connections; },
      [&] { phase.store(ws_phase::settle, std::memory_order_relaxed); },
      [&] { phase.store(ws_phase::measure, std::memory_order_relaxed); }, print_progress);
  const ws_counts& at_start = window.at_start;
  const ws_counts& at_end = window.at_end;
  const double measured_seconds = window.seconds;
  for (auto& worker : workers) worker->stop();
  for (std::thread& thread : threads) thread.join();

  ws_load_summary summary;
  summary.measured_seconds = measured_seconds;
  summary.measured = at_end - at_start;
  summary.total = sum_live(workers);
  for (const auto& worker : workers) summary.results.merge(worker->results());
  const std::string text =
      json_summary ? format_ws_summary_json(config, summary) : format_ws_summary_text(config, summary);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  // A run the tracker answered nothing in measured nothing of it: say so, for scripts too.
  const auto nothing = [](const auto& received) {
    return std::all_of(received.begin(), received.end(), [](std::uint64_t count) { return count == 0; });
  };
  const char* scheme = config.target.tls ? "wss" : "ws";
  if (nothing(summary.total.received)) {
    std::fprintf(stderr, "load_test: the tracker at %s://%s:%u answered nothing (%llu of %u connections failed)\n",
                 scheme, config.target.address.c_str(), static_cast<unsigned>(config.target.port),
                 static_cast<unsigned long long>(summary.total.connect_failures), config.run.connections);
    return 1;
  }
  const std::uint64_t measured_requests =
      summary.measured.of(ws_sent::announce) + summary.measured.of(ws_sent::scrape);
  // Nothing asked and nothing answered is a failure too once the tracker has closed every
  // connection: none was left to ask on.
  const bool none_open = summary.total.closed >= summary.total.connected;
  if ((measured_requests != 0 || none_open) && nothing(summary.measured.received)) {
    std::fprintf(stderr, "load_test: the tracker at %s://%s:%u answered nothing in the measured %.1f s\n", scheme,
                 config.target.address.c_str(), static_cast<unsigned>(config.target.port), measured_seconds);
    return 1;
  }
  return 0;
}

}  // namespace riptide::load_test
