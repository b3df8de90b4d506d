#include "ws_load_worker.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include "ws_load_connection.hpp"
#include "ws_load_messages.hpp"

namespace riptide::load_test {

namespace asio = boost::asio;

void ws_worker_results::merge(const ws_worker_results& other) {
  announce_latency_us.merge(other.announce_latency_us);
  scrape_latency_us.merge(other.scrape_latency_us);
  if (first_failure.empty()) first_failure = other.first_failure;
  if (first_malformed.empty()) first_malformed = other.first_malformed;
}

ws_load_worker::ws_load_worker(const ws_load_config& config, std::uint32_t first_connection, std::uint32_t connections,
                               const std::atomic<ws_phase>& phase)
    : config_(config),
      first_connection_(first_connection),
      connections_(connections),
      phase_(phase),
      tls_(asio::ssl::context::tls_client),
      target_(asio::ip::make_address(config.target.address), config.target.port),
      random_((std::uint64_t{config.run.seed} << 32) ^ first_connection),
      sampler_(config.torrents),
      offer_(make_sdp_object("offer", config.requests.sdp_bytes)),
      answer_(make_sdp_object("answer", config.requests.sdp_bytes)) {
  // A load generator, not a client: any certificate will do (self-signed ones in tests and benches).
  tls_.set_verify_mode(asio::ssl::verify_none);
  if (target_.address().is_v4() && !config.run.first_source_address.empty()) {
    first_source_ = asio::ip::make_address_v4(config.run.first_source_address);
  }
}

std::optional<asio::ip::address> ws_load_worker::source_of(std::uint32_t connection) const {
  if (!first_source_) return std::nullopt;
  return asio::ip::address_v4(first_source_->to_uint() + connection / config_.run.connections_per_address);
}

proto::info_hash ws_load_worker::pick_torrent() {
  return torrent_info_hash(config_.run.seed, sampler_.sample(random_));
}

void ws_load_worker::run() {
  auto guard = asio::make_work_guard(io_);
  for (std::uint32_t i = 0; i < connections_; ++i) start_ws_connection(*this, first_connection_ + i);
  if (!config_.run.busy_poll) {
    io_.run();
    return;
  }
  // Stopped by stop(), or once out of work like run().
  while (!io_.stopped()) io_.poll();
}

void ws_load_worker::stop() { io_.stop(); }

}  // namespace riptide::load_test
