#include "tracker/runtime/statistics_reporter.hpp"

#include <chrono>
#include <cstdio>

#include "tracker/runtime/log.hpp"

namespace riptide::runtime {
namespace {

std::string rate(const statistics_snapshot& previous, const statistics_snapshot& current, counter which,
                 double seconds) {
  const double per_second = static_cast<double>(current.get(which) - previous.get(which)) / seconds;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", per_second);
  return text;
}

}  // namespace

statistics_snapshot sum_counters(const std::vector<const worker_counters*>& workers) {
  statistics_snapshot sum;
  for (const worker_counters* worker : workers) {
    for (std::size_t i = 0; i < sum.counters.size(); ++i) sum.counters[i] += worker->get(static_cast<counter>(i));
    for (std::size_t i = 0; i < sum.gauges.size(); ++i) sum.gauges[i] += worker->get(static_cast<gauge>(i));
  }
  return sum;
}

std::string format_statistics_line(const statistics_snapshot& previous, const statistics_snapshot& current,
                                   double elapsed_seconds) {
  const double seconds = elapsed_seconds > 0 ? elapsed_seconds : 1;
  const auto r = [&](counter which) { return rate(previous, current, which, seconds); };
  const auto delta = [&](counter which) { return std::to_string(current.get(which) - previous.get(which)); };
  std::string line = "stats: requests/s connect=" + r(counter::connect_requests) +
                     " announce=" + r(counter::announce_requests) + " scrape=" + r(counter::scrape_requests) +
                     " invalid=" + r(counter::invalid_requests) +
                     " | responses/s connect=" + r(counter::connect_responses) +
                     " announce=" + r(counter::announce_responses) + " scrape=" + r(counter::scrape_responses) +
                     " error=" + r(counter::error_responses) +
                     " | bytes/s in=" + r(counter::received_bytes) + " out=" + r(counter::sent_bytes) +
                     " | dropped bad_connection_id=" + delta(counter::dropped_bad_connection_id) +
                     " unanswerable=" + delta(counter::dropped_unanswerable) +
                     " request_queue_full=" + delta(counter::dropped_request_queue_full) +
                     " response_queue_full=" + delta(counter::dropped_response_queue_full) +
                     " pending_scrapes_full=" + delta(counter::dropped_pending_scrapes_full) +
                     " by_kernel=" + delta(counter::dropped_by_kernel) +
                     " expired_scrapes=" + delta(counter::expired_pending_scrapes) +
                     " send_errors=" + delta(counter::send_errors) +
                     " | refused tracker_full=" + delta(counter::refused_tracker_full) +
                     " source_full=" + delta(counter::refused_source_full) +
                     " | torrents ipv4=" + std::to_string(current.get(gauge::torrents_ipv4)) +
                     " ipv6=" + std::to_string(current.get(gauge::torrents_ipv6)) +
                     " | seeders ipv4=" + std::to_string(current.get(gauge::seeders_ipv4)) +
                     " ipv6=" + std::to_string(current.get(gauge::seeders_ipv6)) +
                     " | leechers ipv4=" + std::to_string(current.get(gauge::leechers_ipv4)) +
                     " ipv6=" + std::to_string(current.get(gauge::leechers_ipv6));
  const std::uint64_t peers = current.get(gauge::seeders_ipv4) + current.get(gauge::leechers_ipv4) +
                              current.get(gauge::seeders_ipv6) + current.get(gauge::leechers_ipv6);
  line += " | peers=" + std::to_string(peers) +
          " | completed_counts_kept=" + std::to_string(current.get(gauge::completed_counts_kept));
  return line;
}

statistics_reporter::statistics_reporter(std::vector<const worker_counters*> workers, std::uint32_t interval_seconds)
    : workers_(std::move(workers)), interval_seconds_(interval_seconds) {}

statistics_reporter::~statistics_reporter() { stop(); }

void statistics_reporter::start() {
  if (interval_seconds_ == 0 || thread_.joinable()) return;
  // The baseline is taken here, before the tracker says it is ready, not when the thread first
  // runs: what came in between would otherwise be left out of every line.
  thread_ = std::thread([this, baseline = sum_counters(workers_), since = std::chrono::steady_clock::now()] {
    run(baseline, since);
  });
}

void statistics_reporter::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void statistics_reporter::run(statistics_snapshot previous, std::chrono::steady_clock::time_point previous_time) {
  using clock = std::chrono::steady_clock;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto deadline = previous_time + std::chrono::seconds(interval_seconds_);
    if (wake_.wait_until(lock, deadline, [this] { return stopping_; })) break;
    const statistics_snapshot current = sum_counters(workers_);
    const auto now = clock::now();
    const double elapsed = std::chrono::duration<double>(now - previous_time).count();
    log_info(format_statistics_line(previous, current, elapsed));
    previous = current;
    previous_time = now;
  }
  // The stop (the workers are done by then): what came since the last line, so none goes unreported.
  const statistics_snapshot last = sum_counters(workers_);
  const double elapsed = std::chrono::duration<double>(clock::now() - previous_time).count();
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", elapsed);
  log_info("at the stop, over the last ", seconds, " s: ", format_statistics_line(previous, last, elapsed));
}

}  // namespace riptide::runtime
