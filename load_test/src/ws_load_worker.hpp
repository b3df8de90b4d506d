#pragma once
// One load thread of `load_test ws`: an io_context run by that thread alone, and the connections
// it owns for their whole life. Everything here except live(), stop() and the constructor belongs
// to the worker's thread; results (histograms, first texts) are read after run() has returned.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "latency_histogram.hpp"
#include "tracker/proto/webtorrent_codec.hpp"
#include "workload.hpp"
#include "ws_load_config.hpp"
#include "ws_load_counters.hpp"

namespace riptide::load_test {

// warmup: each connection announces once; settle: the regular load, not measured; measure.
enum class ws_phase : std::uint8_t { warmup, settle, measure };

struct ws_worker_results {
  latency_histogram announce_latency_us;  // announce with offers -> its announce response
  latency_histogram scrape_latency_us;    // scrape -> its scrape response
  std::string first_failure;              // "failure reason" of the first failure reply
  std::string first_malformed;            // the first reply decode_tracker_message rejected
  void merge(const ws_worker_results& other);
};

class ws_load_worker {
 public:
  // Connections first_connection .. first_connection + connections - 1 of the run.
  ws_load_worker(const ws_load_config& config, std::uint32_t first_connection, std::uint32_t connections,
                 const std::atomic<ws_phase>& phase);

  void run();   // the worker's thread: opens every connection, then serves them until stop()
  void stop();  // any thread
  const ws_live_counters& live() const { return live_; }
  const ws_worker_results& results() const { return results_; }  // after run() returned

  // For the connections (the worker's thread).
  const ws_load_config& config() const { return config_; }
  boost::asio::io_context& io() { return io_; }
  boost::asio::ssl::context& tls() { return tls_; }
  ws_live_counters& counters() { return live_; }
  ws_worker_results& results() { return results_; }
  std::mt19937_64& random() { return random_; }
  bool measuring() const { return phase_.load(std::memory_order_relaxed) == ws_phase::measure; }
  bool warming_up() const { return phase_.load(std::memory_order_relaxed) == ws_phase::warmup; }
  const boost::asio::ip::tcp::endpoint& target() const { return target_; }
  std::optional<boost::asio::ip::address> source_of(std::uint32_t connection) const;
  proto::info_hash pick_torrent();
  const proto::webtorrent::json_text& offer() const { return offer_; }
  const proto::webtorrent::json_text& answer() const { return answer_; }

 private:
  const ws_load_config& config_;
  std::uint32_t first_connection_;
  std::uint32_t connections_;
  const std::atomic<ws_phase>& phase_;
  boost::asio::ssl::context tls_;  // before io_: outlives the streams destroyed with io_'s handlers
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::endpoint target_;
  std::optional<boost::asio::ip::address_v4> first_source_;
  std::mt19937_64 random_;
  popularity_sampler sampler_;
  proto::webtorrent::json_text offer_;
  proto::webtorrent::json_text answer_;
  ws_live_counters live_;
  ws_worker_results results_;
};

}  // namespace riptide::load_test
