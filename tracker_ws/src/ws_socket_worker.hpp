#pragma once
// A socket worker of tracker_ws: one thread, one io_context, its own SO_REUSEPORT acceptors, and
// every connection it accepts for that connection's whole life. It decodes each message, checks
// the access list, and routes the request to the shard that owns the info hash: a request worker
// over a bounded channel, or (workers.request_workers = 0, one socket worker) its own
// ws_swarm_service. What comes back (replies, relays from any shard, scrape parts) arrives on its
// response inbox and goes to the connection it names.
//
// With request workers, requests are batched: the first one routed schedules a flush that runs
// after the handlers already queued, so one read burst becomes one channel send and one wake-up
// per request worker. With its own swarm service, a request is applied at once.
// A connection's requests to one shard keep their order (one channel per pair), its disconnect
// follows them, and a disconnect, which must not be lost, waits for room when a channel is full.
//
// Thread safety: everything here is touched by the worker's thread only, except the constructor,
// listen() (before run()), run(), stop() and replace_tls_context() (any thread: they post).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <utility>
#include <vector>

#include "connection_limiter.hpp"
#include "connection_slot.hpp"
#include "process_heap_trim.hpp"
#include "tracker/core/shard_router.hpp"
#include "tracker/proto/forwarded_for.hpp"
#include "tracker/proto/proxy_protocol.hpp"
#include "tracker/proto/webtorrent_codec.hpp"
#include "tracker/runtime/access_list_holder.hpp"
#include "tracker/runtime/pending_scrapes.hpp"
#include "tracker/runtime/tracker_clock.hpp"
#include "ws_counters.hpp"
#include "ws_request_worker.hpp"
#include "ws_swarm_service.hpp"
#include "ws_tracker_config.hpp"

namespace riptide::ws {

class ws_connection;
class ws_listener;

struct ws_session_limits {
  std::size_t max_message_bytes = 65536;
  std::size_t max_outbound_messages = 4096;
  std::size_t max_outbound_bytes = 1 << 20;
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds idle_timeout{300};
  std::uint32_t max_torrents_per_connection = 256;
  // With request workers, a torrent this connection has not announced for this long is no longer
  // counted against max_torrents_per_connection: its peer is surely gone from its shard by then
  // (peer_timeout_seconds, then up to one cleaning interval until the cleaning drops it).
  std::uint32_t torrent_place_expiry_seconds = 240 + 60 + 2;
};

// Shared by every socket worker: read-only, or synchronised inside.
struct ws_socket_worker_services {
  const runtime::access_list_holder& access_list;
  const runtime::tracker_clock& clock;
  const core::shard_router& router;  // over the request workers (one shard when inline)
  connection_limiter& limiter;
  process_heap_trim& heap_trim;  // cleaning.return_freed_memory
  std::span<const proto::address_prefix> trusted_proxies;  // network.trusted_proxies
  std::vector<const ws_counters*> all_counters;  // every worker's, for /stats and the statistics line
};

// Where this worker's requests go: channels to request workers, or its own swarm service.
struct ws_swarm_access {
  std::vector<ws_request_inbox*> request_inboxes;  // [request worker]; empty when inline
  ws_response_inbox* responses = nullptr;          // this worker's; null when inline
  std::unique_ptr<ws_swarm_service> inline_service;
};

class ws_socket_worker {
 public:
  // `tls` null: ws:// and http://; set: wss:// and https:// only.
  ws_socket_worker(std::uint16_t id, const ws_tracker_config& config, ws_socket_worker_services services,
                   ws_swarm_access swarms, ws_counters& counters, std::shared_ptr<boost::asio::ssl::context> tls);
  ~ws_socket_worker();
  ws_socket_worker(const ws_socket_worker&) = delete;
  ws_socket_worker& operator=(const ws_socket_worker&) = delete;

  // Before run(): opens an acceptor (SO_REUSEPORT; IPv6 is V6ONLY) on address:port. Returns the
  // bound port, or one line saying what failed. `first`: the first worker's acceptor of `address`,
  // which checks that a fixed port is free; the others share it.
  std::variant<std::uint16_t, std::string> listen(const std::string& address, std::uint16_t port, bool first);
  void close_listeners();  // before run(): drops every acceptor opened so far

  void run();   // on the worker thread, until stop() and the goodbyes it sends
  // Any thread: stops accepting, sends every open WebSocket a close frame ("going away"), and ends
  // run() once they are closed or after a second at most.
  void stop();
  // Any thread: new connections use `tls` from now on; open ones keep theirs.
  void replace_tls_context(std::shared_ptr<boost::asio::ssl::context> tls);

  // --- For the listener and the sessions (worker thread) ---
  const ws_session_limits& session_limits() const { return session_limits_; }
  // Where the worker's connections read (ws_session): they take turns, and each handles what it
  // read before the next reads, so a connection between messages holds no read buffer of its own.
  std::span<char> read_buffer() { return {read_buffer_.get(), read_buffer_bytes}; }
  ws_counters& counters() { return counters_; }
  const std::shared_ptr<boost::asio::ssl::context>& tls_context() const { return tls_; }

  // Counts a new TCP connection, or nullopt when a limit is reached (counted, to be closed). A
  // connection from a trusted proxy (network.trusted_proxies) counts per address once its request
  // names the client: admit_client().
  std::optional<connection_slot> admit(const boost::asio::ip::address& address);
  // A proxy's upgrade request: the lines of its forwarded_header_name() header name the client the
  // connection is for (none, or one the proxy does not disclose: the proxy itself).
  enum class client_verdict : std::uint8_t { admitted, malformed_header, over_limit };
  client_verdict admit_client(connection_slot& slot, std::span<const std::string_view> header_lines);
  // network.forwarded_header: "X-Forwarded-For" or "Forwarded".
  std::string_view forwarded_header_name() const;
  // network.proxy_protocol: whether the connection starts with a PROXY header (it comes from a
  // trusted proxy), read by read_proxy_header() before anything else.
  bool reads_proxy_header(const connection_slot& slot) const { return proxy_protocol_ && slot.awaits_client(); }
  // The client a PROXY header names, counted as admit_client() counts the one X-Forwarded-For
  // names; false (counted) when it is at max_connections_per_ip, and the connection is to close.
  // A header that names no client (v1 UNKNOWN, v2 LOCAL, a unix socket) leaves the connection
  // the balancer's, counted as such. X-Forwarded-For is not read after a header. On a monitoring
  // place (the tracker is full) no client is counted: true, and it serves plain HTTP only.
  bool admit_proxy_client(connection_slot& slot, const proto::proxy_header& header);

  // A WebSocket handshake succeeded: the session gets its connection id.
  std::uint64_t attach(ws_connection& session);
  // The session closed (or failed): its peers leave every swarm at once.
  void detach(ws_connection& session);
  // One text message from a session, which the session reads without checking its UTF-8: the
  // decoder does (a message that decodes is UTF-8). not_utf8: no reply was sent, and the session
  // must close with invalid_payload (RFC 6455 8.1).
  enum class message_verdict : std::uint8_t { served, not_utf8 };
  message_verdict handle_message(ws_connection& session, std::string_view text);
  // `connection` has frames queued and no write under way: its flush() runs after the handlers
  // queued so far (the rest of the reads this wake-up brought), so what they queue for it leaves
  // in the same write. One posted handler flushes every connection that asked meanwhile.
  void flush_later(std::shared_ptr<ws_connection> connection);
  // A connection whose reading waits (its queue is full, or replies its requests owe are still to
  // come) may have nothing in flight that holds it, as this worker's table holds plain pointers:
  // held here until it reads again or closes. The release takes effect after the handlers already
  // queued, never within the connection's own call.
  void hold_while_waiting(std::shared_ptr<ws_connection> connection);
  void release_held(ws_connection& connection);

  std::string stats_json() const;
  std::string stats_prometheus() const;  // the same, for GET /metrics
  // The statistics line's totals; also logged once more at the stop, once every worker is done.
  std::string stats_line() const;

 private:
  using scrape_table = runtime::pending_scrapes<std::uint64_t, proto::webtorrent::scrape_file,
                                                proto::webtorrent::decode_limits{}.max_scrape_hashes>;

  void handle_announce(ws_connection& session, proto::webtorrent::announce_message message);
  void handle_scrape(ws_connection& session, const proto::webtorrent::scrape_message& message);
  // Sends the scrape's response, every part filled, and closes its entry.
  void answer_scrape(std::uint64_t pending_id, const scrape_table::entry& complete);
  void route(std::uint32_t shard, ws_request request);
  void apply_inline();
  void flush_to_request_workers();
  void flush_connections();  // the posted handler of flush_later()
  // The client a proxy's connection serves, counted per IP; false (counted in forwarded_refused)
  // at max_connections_per_ip.
  bool count_client(connection_slot& slot, const boost::asio::ip::address& client);
  // Requests a full channel could not take: counted, and their clients told the tracker is busy.
  void refuse_unsent(std::vector<ws_request>& unsent);
  void wait_for_responses();
  void drain_responses();
  void handle_response(ws_response& response);
  void send_to(std::uint64_t connection_id, std::string text, message_kind kind);
  // With request workers only (inline, replies come at once): a routed request owes `session` a
  // reply of at most `bytes`; such a reply came back, or was answered here (ws_connection::owe_reply).
  void owe_reply(ws_connection& session, std::size_t bytes);
  void settle_reply(std::uint64_t connection_id, std::size_t bytes);
  void schedule_housekeeping();
  // limits.idle_timeout_seconds and limits.write_timeout_seconds for every connection
  // (ws_connection::check_idle, write_stalled): once a second.
  void check_idle_connections();
  // After a burst of connections set up or closed, in this worker or others (process_heap_trim):
  // the memory they freed goes back to the system.
  void trim_heap_if_due(std::uint32_t now);
  // TCP connections of this worker open now, and those of them that are not WebSocket sessions
  // (being set up, answering a plain HTTP request, or closing).
  std::uint64_t open_connections() const;
  std::uint64_t connections_setting_up() const;
  void schedule_statistics();
  // Every worker's counters and gauges added into `total` (a fresh set); returns it.
  ws_counters& tracker_totals(ws_counters& total) const;

  // A read takes up to this much: a message of the default limit whole, or many small ones.
  static constexpr std::size_t read_buffer_bytes = 64 * 1024;

  std::uint16_t id_;
  ws_session_limits session_limits_;
  std::unique_ptr<char[]> read_buffer_ = std::make_unique_for_overwrite<char[]>(read_buffer_bytes);
  std::chrono::seconds statistics_interval_;  // 0: no statistics line
  proto::webtorrent::decode_limits decode_limits_;
  ws_socket_worker_services services_;
  runtime::access_list_view access_list_;
  ws_swarm_access swarms_;
  ws_counters& counters_;
  std::shared_ptr<boost::asio::ssl::context> tls_;

  boost::unordered_flat_map<std::uint64_t, ws_connection*> sessions_;  // WebSocket sessions by id
  std::uint64_t next_connection_id_ = 1;
  std::vector<std::vector<ws_request>> routed_;       // [shard]: requests of the current batch
  std::vector<std::vector<ws_request>> disconnects_;  // [shard]: of the current batch
  std::vector<std::vector<ws_request>> waiting_disconnects_;  // [shard]: did not fit a full channel
  ws_response_batches inline_responses_;              // inline layout: what the service made
  std::vector<ws_request> applying_;                  // inline layout: scratch of apply_inline()
  std::vector<ws_response> handing_out_;              // inline layout: scratch of apply_inline()
  std::vector<ws_response> response_batch_;           // drained from the response inbox
  // Scratch of check_idle_connections(): each connection to close, and what it is counted as.
  std::vector<std::pair<ws_connection*, ws_counter>> timed_out_;
  std::uint32_t checks_since_write_off_ = 0;  // of lost replies: check_idle_connections()
  boost::unordered_flat_map<ws_connection*, std::shared_ptr<ws_connection>> held_while_waiting_;
  scrape_table pending_scrapes_;
  std::vector<std::shared_ptr<ws_connection>> flushes_due_;  // flush_later() since the last post ran
  std::vector<std::shared_ptr<ws_connection>> flushing_;     // scratch of flush_connections()
  bool proxy_protocol_;           // network.proxy_protocol
  forwarded_header_config forwarded_header_;  // network.forwarded_header
  bool flush_scheduled_ = false;  // channels: a flush is posted
  bool connection_flushes_posted_ = false;  // flush_later(): flush_connections() is posted
  bool applying_inline_ = false;  // inline: apply_inline() is running
  bool saying_goodbye_ = false;  // stop(): closing every session
  bool destroying_ = false;      // the destructor: sessions detach without routing anything

  // Declared last: destroyed first (see the destructor), while everything above still lives.
  std::unique_ptr<boost::asio::io_context> io_;
  std::vector<std::unique_ptr<ws_listener>> listeners_;
  std::optional<boost::asio::posix::stream_descriptor> response_wake_;
  std::optional<boost::asio::steady_timer> housekeeping_timer_;
  std::optional<boost::asio::steady_timer> statistics_timer_;
  std::optional<boost::asio::steady_timer> stop_timer_;
};

}  // namespace riptide::ws
