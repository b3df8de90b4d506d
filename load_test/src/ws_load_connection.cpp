#include "ws_load_connection.hpp"

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/container/static_vector.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <type_traits>
#include <variant>
#include <vector>

#include "tracker/proto/websocket_frames.hpp"
#include "tracker/proto/websocket_handshake.hpp"
#include "tracker/runtime/socket_io.hpp"
#include "tracker/runtime/tls_socket_stream.hpp"
#include "ws_load_messages.hpp"
#include "ws_load_worker.hpp"

namespace riptide::load_test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = proto::websocket;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// Bound to the worker's io_context by type: no executor copied through a virtual table per operation.
using runtime::worker_executor;
// The socket itself, and TLS on it as tracker_ws serves it (OpenSSL reading and writing the
// socket, no BIO pair and buffers of its own: about 7% less of the generator's CPU per message
// over wss:// than Beast's ssl_stream, docs/benchmarks.md).
using plain_stream = runtime::tcp_socket;
using tls_stream = runtime::tls_socket_stream;
using worker_timer = asio::basic_waitable_timer<clock, asio::wait_traits<clock>, worker_executor>;

constexpr auto connect_timeout = std::chrono::seconds(10);
// Requests waiting for a reply, per connection, kept for timing; older ones are forgotten.
constexpr std::size_t max_pending_timings = 1024;
// tracker_ws accepts at least 64 KiB; a reply carrying one 16 KB offer is well below.
constexpr std::size_t max_reply_bytes = 256 * 1024;
// Queued frames sent in one gathered write.
constexpr std::size_t max_frames_per_write = 16;

template <typename Stream>
class ws_load_connection : public std::enable_shared_from_this<ws_load_connection<Stream>> {
 public:
  template <typename... StreamArgs>
  ws_load_connection(ws_load_worker& worker, std::uint32_t index, StreamArgs&&... stream_args)
      : worker_(worker),
        index_(index),
        stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(worker.io().get_executor()),
        reader_(max_reply_bytes, websocket::frame_sender::server),
        hash_(worker.pick_torrent()) {
    // "-RT0001-" and 12 bytes of the run seed and connection index: distinct, reproducible peer ids.
    std::mt19937_64 bits((std::uint64_t{worker.config().run.seed} << 32) | index);
    const char prefix[] = "-RT0001-";
    for (std::size_t i = 0; i < 8; ++i) peer_.bytes[i] = static_cast<std::uint8_t>(prefix[i]);
    for (std::size_t i = 8; i < 20; ++i) peer_.bytes[i] = static_cast<std::uint8_t>(bits());
  }

  void start() {
    auto& socket = tcp_layer();
    error_code ec;
    socket.open(worker_.target().protocol(), ec);
    if (const auto source = worker_.source_of(index_); !ec && source) socket.bind(tcp::endpoint(*source, 0), ec);
    if (ec) return fail_connect();
    // The connect, TLS and WebSocket handshakes must be done by then: the timer closes the socket,
    // and the step under way fails.
    timer_.expires_after(connect_timeout);
    timer_.async_wait([self = this->shared_from_this()](const error_code& error) {
      error_code ignored;
      if (!error && self->connecting_) self->tcp_layer().close(ignored);
    });
    socket.async_connect(worker_.target(), [self = this->shared_from_this()](const error_code& error) {
      self->on_connect(error);
    });
  }

 private:
  runtime::tcp_socket& tcp_layer() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void on_connect(const error_code& ec) {
    if (ec) return fail_connect();
    error_code ignored;
    tcp_layer().set_option(tcp::no_delay(true), ignored);
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      stream_.async_handshake([self = this->shared_from_this()](const error_code& error) {
        if (error) return self->fail_connect();
        self->send_upgrade();
      });
    } else {
      send_upgrade();
    }
  }

  // The opening handshake (RFC 6455, 4.1): a GET with a fresh key, and a 101 whose
  // Sec-WebSocket-Accept proves the tracker read it.
  void send_upgrade() {
    std::array<std::uint8_t, 16> nonce{};
    for (auto& byte : nonce) byte = static_cast<std::uint8_t>(worker_.random()());
    handshake_ = std::make_unique<handshake_state>();
    handshake_->key = websocket::client_key(nonce);
    handshake_->request = "GET /announce HTTP/1.1\r\nHost: " + worker_.config().target.address +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + handshake_->key +
                          "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    asio::async_write(stream_, asio::buffer(handshake_->request),
                      [self = this->shared_from_this()](const error_code& error, std::size_t) {
                        if (error) return self->fail_connect();
                        self->read_upgrade();
                      });
  }

  void read_upgrade() {
    http::async_read(stream_, handshake_->buffer, handshake_->parser,
                     [self = this->shared_from_this()](const error_code& error, std::size_t) {
                       self->on_upgrade(error);
                     });
  }

  void on_upgrade(const error_code& ec) {
    // Closed by the deadline after the read had completed: a failure all the same.
    if (ec || !tcp_layer().is_open()) return fail_connect();
    const auto& response = handshake_->parser.get();
    if (response.result() != http::status::switching_protocols ||
        response[http::field::sec_websocket_accept] != websocket::accept_key(handshake_->key)) {
      return fail_connect();
    }
    connecting_ = false;
    timer_.cancel();  // the handshake deadline; the periodic messages arm it again below
    // Whatever came behind the 101 is the first frames.
    const auto leftover = handshake_->buffer.data();
    std::string_view already_read(static_cast<const char*>(leftover.data()), leftover.size());
    open_ = true;
    worker_.counters().add_connected();
    send_announce(true);
    while (!already_read.empty()) {
      already_read = reader_.feed(already_read);
      if (!handle_frames()) return;
    }
    handshake_.reset();
    do_read();
    // The first periodic message at a random point of the interval, so connections do not beat together.
    const auto interval = worker_.config().requests.message_interval_ms;
    next_message_at_ = clock::now() + std::chrono::milliseconds(worker_.random()() % interval + 1);
    wait_for_next_message();
  }

  void fail_connect() {
    if (!connecting_) return;  // once, whichever step failed first
    connecting_ = false;
    timer_.cancel();
    error_code ignored;
    tcp_layer().close(ignored);
    worker_.counters().add_connect_failure();
    mark_warmed();
  }

  void mark_warmed() {
    if (warmed_) return;
    warmed_ = true;
    worker_.counters().add_warmed();
  }

  void broken() {
    if (!open_) return;
    open_ = false;
    worker_.counters().add_closed();
    mark_warmed();
    timer_.cancel();
    error_code ignored;
    tcp_layer().close(ignored);
  }

  void wait_for_next_message() {
    timer_.expires_at(next_message_at_);
    timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
      if (!ec) self->on_timer();
    });
  }

  void on_timer() {
    if (!open_) return;
    const auto& requests = worker_.config().requests;
    // Warm-up is one announce per connection; the mix starts after it (settling, then measured).
    if (!worker_.warming_up()) {
      const auto pick = worker_.random()() % (requests.announce_weight + requests.scrape_weight);
      if (pick < requests.announce_weight) {
        send_announce(false);
      } else {
        send_scrape();
      }
    }
    schedule_next_message();
  }

  // Messages keep to a fixed schedule, one an interval from a random start. A worker that falls more
  // than an interval behind does not make up the slots it missed: it counts them (ws_counts::missed)
  // and goes on from the next slot, so what it reports sending is what it really offered.
  void schedule_next_message() {
    const auto interval = std::chrono::milliseconds(worker_.config().requests.message_interval_ms);
    next_message_at_ += interval;
    const auto now = clock::now();
    if (next_message_at_ <= now) {
      const auto behind = (now - next_message_at_) / interval + 1;
      worker_.counters().add_missed(static_cast<std::uint64_t>(behind));
      next_message_at_ += behind * interval;
    }
    wait_for_next_message();
  }

  void send_announce(bool first) {
    send(make_offer_announce(hash_, peer_, first, worker_.config().requests.offers_per_announce, worker_.offer(),
                             worker_.random()),
         ws_sent::announce);
  }

  void send_scrape() {
    const auto count = 1 + worker_.random()() % worker_.config().requests.max_scrape_hashes;
    std::vector<proto::info_hash> hashes;
    for (std::uint64_t i = 0; i < count; ++i) hashes.push_back(worker_.pick_torrent());
    send(proto::webtorrent::encode_scrape(hashes), ws_sent::scrape);
  }

  void send(std::string text, ws_sent kind) {
    if (!open_) return;
    if (queue_full()) {
      worker_.counters().add_dropped();
      return;
    }
    worker_.counters().add(kind);
    if (kind == ws_sent::announce) remember(pending_announces_);
    if (kind == ws_sent::scrape) remember(pending_scrapes_);
    queue_frame(websocket::opcode::text, text);
  }

  bool queue_full() const {
    return outbound_.size() + writing_.size() >= worker_.config().requests.max_queued_messages;
  }

  // A client masks every frame with a fresh key (RFC 6455, 5.3).
  void queue_frame(websocket::opcode op, std::string_view payload) {
    const auto bits = worker_.random()();
    const std::array<std::uint8_t, 4> key{static_cast<std::uint8_t>(bits), static_cast<std::uint8_t>(bits >> 8),
                                          static_cast<std::uint8_t>(bits >> 16), static_cast<std::uint8_t>(bits >> 24)};
    std::string frame;
    frame.reserve(payload.size() + websocket::max_client_header_bytes);
    websocket::append_client_frame(frame, op, payload, key);
    outbound_.push_back(std::move(frame));
    if (writing_.empty()) do_write();
  }

  static void remember(std::deque<clock::time_point>& pending) {
    if (pending.size() >= max_pending_timings) pending.pop_front();
    pending.push_back(clock::now());
  }

  // WebTorrent replies carry no request id: each is taken as the reply to the oldest request of its
  // kind still waiting on this connection (TCP keeps them in order). A failure reply settles its
  // request but is not timed, so that fast refusals do not pass for fast answers. (If a tracker
  // leaves requests unanswered, later replies pair with the wrong requests: the summary's
  // `unanswered` count shows when that happens. A refused answer looks like a refused announce,
  // action and info hash alike, and settles one; trackers refuse answers only when busy or over
  // a size limit, which the failure count shows.)
  void answered(std::deque<clock::time_point>& pending, latency_histogram* histogram) {
    if (pending.empty()) return;
    const auto elapsed = clock::now() - pending.front();
    pending.pop_front();
    if (histogram != nullptr && worker_.measuring()) {
      histogram->record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
    }
  }

  // What is queued leaves in one gathered write; the queue is bounded by max_queued_messages.
  void do_write() {
    const auto count = static_cast<std::ptrdiff_t>(std::min(outbound_.size(), max_frames_per_write));
    std::move(outbound_.begin(), outbound_.begin() + count, std::back_inserter(writing_));
    outbound_.erase(outbound_.begin(), outbound_.begin() + count);
    boost::container::static_vector<asio::const_buffer, max_frames_per_write> buffers;
    for (const auto& frame : writing_) buffers.emplace_back(frame.data(), frame.size());
    asio::async_write(stream_, buffers,
                      [self = this->shared_from_this()](const error_code& ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(const error_code& ec) {
    writing_.clear();
    if (ec) {
      outbound_.clear();
      return broken();
    }
    if (open_ && !outbound_.empty()) do_write();
  }

  void do_read() {
    const auto space = reader_.prepare();
    stream_.async_read_some(
        asio::buffer(space.data(), space.size()),
        [self = this->shared_from_this()](const error_code& ec, std::size_t bytes) { self->on_read(ec, bytes); });
  }

  void on_read(const error_code& ec, std::size_t bytes) {
    if (ec || !open_) return broken();
    reader_.commit(bytes);
    if (handle_frames()) do_read();
  }

  // Every whole message and control frame read so far; false once the connection is over.
  bool handle_frames() {
    using kind = websocket::frame_event::kind;
    for (;;) {
      const auto event = reader_.next();
      switch (event.what) {
        case kind::need_more: return open_;
        case kind::text:
          handle(event.payload);  // decoded in place; handle() copies only what it keeps
          break;
        case kind::ping:
          // Bounded like the messages: a pong may answer the latest ping only (RFC 6455, 5.5.3).
          if (!queue_full()) queue_frame(websocket::opcode::pong, event.payload);
          break;
        case kind::pong: break;
        case kind::close:  // the tracker goes away (or closes us): the connection is over
          broken();
          return false;
        case kind::fail: {
          worker_.counters().add_malformed();
          auto& first = worker_.results().first_malformed;
          if (first.empty()) first = "a WebSocket frame to close with " + std::to_string(event.code);
          broken();
          return false;
        }
      }
    }
  }

  void handle(std::string_view text) {
    namespace wt = proto::webtorrent;
    auto decoded = wt::decode_tracker_message(text);
    auto* message = std::get_if<wt::tracker_message>(&decoded);
    if (message == nullptr) {
      worker_.counters().add_malformed();
      if (worker_.results().first_malformed.empty()) worker_.results().first_malformed = text.substr(0, 200);
      return;
    }
    const ws_received kind = kind_of(*message);
    worker_.counters().add(kind);
    auto& results = worker_.results();
    switch (kind) {
      case ws_received::announce_response:
        answered(pending_announces_, &results.announce_latency_us);
        mark_warmed();
        break;
      case ws_received::scrape_response: answered(pending_scrapes_, &results.scrape_latency_us); break;
      case ws_received::failure: {
        const auto& failure = std::get<wt::failure_reply>(*message);
        if (results.first_failure.empty()) results.first_failure = failure.reason;
        if (failure.action == wt::message_action::scrape) {
          answered(pending_scrapes_, nullptr);
        } else {
          answered(pending_announces_, nullptr);
          mark_warmed();
        }
        break;
      }
      case ws_received::offer:
        send(make_answer(peer_, std::get<wt::offer_relay>(*message), worker_.answer()), ws_sent::answer);
        break;
      case ws_received::answer: break;
    }
  }

  // Only until the handshake is done.
  struct handshake_state {
    std::string key;
    std::string request;
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
  };

  ws_load_worker& worker_;
  std::uint32_t index_;
  Stream stream_;
  worker_timer timer_;
  clock::time_point next_message_at_{};  // the slot of the next periodic message
  websocket::frame_reader reader_;
  std::unique_ptr<handshake_state> handshake_;
  proto::info_hash hash_;
  proto::peer_id peer_;
  std::vector<std::string> outbound_;  // framed and masked, not written yet
  std::vector<std::string> writing_;   // in the write in flight
  std::deque<clock::time_point> pending_announces_;
  std::deque<clock::time_point> pending_scrapes_;
  bool connecting_ = true;  // until the 101 is checked, or a step of the way fails
  bool open_ = false;
  bool warmed_ = false;
};

}  // namespace

void start_ws_connection(ws_load_worker& worker, std::uint32_t connection) {
  if (worker.config().target.tls) {
    std::make_shared<ws_load_connection<tls_stream>>(worker, connection, runtime::tcp_socket(worker.io().get_executor()),
                                                     worker.tls(), runtime::tls_role::client)
        ->start();
  } else {
    std::make_shared<ws_load_connection<plain_stream>>(worker, connection, worker.io().get_executor())->start();
  }
}

}  // namespace riptide::load_test
