#pragma once
// The socket worker of tracker_ws: one thread, one io_context, the acceptors, every connection for
// its whole life, and (first layout, like tracker_udp with request_workers = 0) the WebTorrent
// swarms themselves, so an offer or answer is relayed by a direct call into the target session.
//
// Thread safety: everything here is touched by the worker's thread only, except the constructor,
// listen() (before run()), run() and stop() (any thread: it posts).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "connection_slot.hpp"
#include "tracker/core/webtorrent_shard.hpp"
#include "tracker/proto/webtorrent_codec.hpp"
#include "tracker/runtime/access_list_holder.hpp"
#include "tracker/runtime/tracker_clock.hpp"
#include "ws_counters.hpp"
#include "ws_tracker_config.hpp"

namespace riptide::ws {

class ws_connection;
class ws_listener;

struct ws_session_limits {
  std::size_t max_message_bytes = 65536;
  std::size_t max_outbound_messages = 256;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds idle_timeout{300};
};

class ws_socket_worker {
 public:
  // `tls` null: ws:// and http://; set: wss:// and https:// only.
  ws_socket_worker(const ws_tracker_config& config, const runtime::access_list_holder& access_list,
                   const runtime::tracker_clock& clock, std::shared_ptr<boost::asio::ssl::context> tls);
  ~ws_socket_worker();
  ws_socket_worker(const ws_socket_worker&) = delete;
  ws_socket_worker& operator=(const ws_socket_worker&) = delete;

  // Before run(): opens an acceptor (SO_REUSEPORT; IPv6 is V6ONLY) on address:port. Returns the
  // bound port, or one line saying what failed.
  std::variant<std::uint16_t, std::string> listen(const std::string& address, std::uint16_t port);

  void run();   // on the worker thread, until stop()
  void stop();  // any thread
  // Any thread: new connections use `tls` from now on; open ones keep theirs.
  void replace_tls_context(std::shared_ptr<boost::asio::ssl::context> tls);

  // --- For the sessions (worker thread) ---
  const ws_session_limits& session_limits() const { return session_limits_; }
  ws_counters& counters() { return counters_; }
  const std::shared_ptr<boost::asio::ssl::context>& tls_context() const { return tls_; }

  // Counts a new TCP connection, or nullopt when a limit is reached (counted, to be closed).
  std::optional<connection_slot> admit(const boost::asio::ip::address& address);
  void release(const boost::asio::ip::address& address);  // by ~connection_slot

  // A WebSocket handshake succeeded: the session gets its connection id.
  std::uint64_t attach(ws_connection& session);
  // The session closed (or failed): its peers leave every swarm at once.
  void detach(std::uint64_t connection_id);
  // One text message from a session.
  void handle_message(ws_connection& session, std::string_view text);

  std::string stats_json() const;

 private:
  void handle_announce(ws_connection& session, proto::webtorrent::announce_message message);
  void handle_scrape(ws_connection& session, const proto::webtorrent::scrape_message& message);
  void deliver(core::webtorrent_delivery& delivery);
  void schedule_cleaning();
  void schedule_statistics();

  ws_tracker_config config_;
  ws_session_limits session_limits_;
  proto::webtorrent::decode_limits decode_limits_;
  runtime::access_list_view access_list_;
  const runtime::tracker_clock& clock_;
  core::webtorrent_shard shard_;
  std::mt19937_64 random_;
  ws_counters counters_;
  std::shared_ptr<boost::asio::ssl::context> tls_;

  boost::unordered_flat_map<std::uint64_t, ws_connection*> sessions_;  // WebSocket sessions by id
  std::uint64_t next_connection_id_ = 1;
  boost::unordered_flat_map<boost::asio::ip::address, std::uint32_t, std::hash<boost::asio::ip::address>>
      connections_per_address_;
  std::uint64_t open_connections_ = 0;

  // Declared last: destroyed first (see the destructor), while everything above still lives.
  std::unique_ptr<boost::asio::io_context> io_;
  std::vector<std::unique_ptr<ws_listener>> listeners_;
  std::optional<boost::asio::steady_timer> cleaning_timer_;
  std::optional<boost::asio::steady_timer> statistics_timer_;
};

}  // namespace riptide::ws
