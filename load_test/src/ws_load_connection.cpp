#include "ws_load_connection.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <type_traits>
#include <variant>

#include "ws_load_messages.hpp"
#include "ws_load_worker.hpp"

namespace riptide::load_test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

using plain_stream = websocket::stream<beast::tcp_stream>;
using tls_stream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

constexpr auto connect_timeout = std::chrono::seconds(10);
// Requests waiting for a reply, per connection, kept for timing; older ones are forgotten.
constexpr std::size_t max_pending_timings = 1024;
// tracker_ws accepts at least 64 KiB; a reply carrying one 16 KB offer is well below.
constexpr std::size_t max_reply_bytes = 256 * 1024;

template <typename Stream>
class ws_load_connection : public std::enable_shared_from_this<ws_load_connection<Stream>> {
 public:
  template <typename... StreamArgs>
  ws_load_connection(ws_load_worker& worker, std::uint32_t index, StreamArgs&&... stream_args)
      : worker_(worker),
        index_(index),
        ws_(std::forward<StreamArgs>(stream_args)...),
        timer_(worker.io()),
        hash_(worker.pick_torrent()) {
    // "-RT0001-" and 12 bytes of the run seed and connection index: distinct, reproducible peer ids.
    std::mt19937_64 bits((std::uint64_t{worker.config().run.seed} << 32) | index);
    const char prefix[] = "-RT0001-";
    for (std::size_t i = 0; i < 8; ++i) peer_.bytes[i] = static_cast<std::uint8_t>(prefix[i]);
    for (std::size_t i = 8; i < 20; ++i) peer_.bytes[i] = static_cast<std::uint8_t>(bits());
  }

  void start() {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    error_code ec;
    socket.open(worker_.target().protocol(), ec);
    if (const auto source = worker_.source_of(index_); !ec && source) socket.bind(tcp::endpoint(*source, 0), ec);
    if (ec) return fail_connect();
    beast::get_lowest_layer(ws_).expires_after(connect_timeout);
    beast::get_lowest_layer(ws_).async_connect(worker_.target(),
                                               [self = this->shared_from_this()](const error_code& error) {
                                                 self->on_connect(error);
                                               });
  }

 private:
  void on_connect(const error_code& ec) {
    if (ec) return fail_connect();
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      ws_.next_layer().async_handshake(asio::ssl::stream_base::client,
                                       [self = this->shared_from_this()](const error_code& error) {
                                         if (error) return self->fail_connect();
                                         self->websocket_handshake();
                                       });
    } else {
      websocket_handshake();
    }
  }

  void websocket_handshake() {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.read_message_max(max_reply_bytes);
    ws_.async_handshake(worker_.config().target.address, "/announce",
                        [self = this->shared_from_this()](const error_code& error) { self->on_handshake(error); });
  }

  void on_handshake(const error_code& ec) {
    if (ec) return fail_connect();
    ws_.text(true);
    open_ = true;
    worker_.counters().add_connected();
    send_announce(true);
    do_read();
    // The first periodic message at a random point of the interval, so connections do not beat together.
    const auto interval = worker_.config().requests.message_interval_ms;
    arm_timer(std::chrono::milliseconds(worker_.random()() % interval + 1));
  }

  void fail_connect() {
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
  }

  void arm_timer(std::chrono::milliseconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
      if (!ec) self->on_timer();
    });
  }

  void on_timer() {
    if (!open_) return;
    const auto& requests = worker_.config().requests;
    // Warm-up is one announce per connection; the mix starts with the measured phase.
    if (worker_.measuring()) {
      const auto pick = worker_.random()() % (requests.announce_weight + requests.scrape_weight);
      if (pick < requests.announce_weight) {
        send_announce(false);
      } else {
        send_scrape();
      }
    }
    arm_timer(std::chrono::milliseconds(requests.message_interval_ms));
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
    if (queue_.size() >= worker_.config().requests.max_queued_messages) {
      worker_.counters().add_dropped();
      return;
    }
    worker_.counters().add(kind);
    if (kind == ws_sent::announce) remember(pending_announces_);
    if (kind == ws_sent::scrape) remember(pending_scrapes_);
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) do_write();
  }

  static void remember(std::deque<clock::time_point>& pending) {
    if (pending.size() >= max_pending_timings) pending.pop_front();
    pending.push_back(clock::now());
  }

  void answered(std::deque<clock::time_point>& pending, latency_histogram& histogram) {
    if (pending.empty()) return;
    const auto elapsed = clock::now() - pending.front();
    pending.pop_front();
    if (worker_.measuring()) {
      histogram.record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
    }
  }

  // One write at a time (a Beast rule); the queue is bounded by max_queued_messages.
  void do_write() {
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = this->shared_from_this()](const error_code& ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(const error_code& ec) {
    if (ec) {
      queue_.clear();
      return broken();
    }
    queue_.pop_front();
    if (!queue_.empty()) do_write();
  }

  void do_read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](const error_code& ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(const error_code& ec) {
    if (ec) return broken();
    // Decoded in place; handle() copies only what it keeps.
    const auto data = buffer_.data();
    handle(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    do_read();
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
        answered(pending_announces_, results.announce_latency_us);
        mark_warmed();
        break;
      case ws_received::scrape_response: answered(pending_scrapes_, results.scrape_latency_us); break;
      case ws_received::failure: {
        const auto& failure = std::get<wt::failure_reply>(*message);
        if (results.first_failure.empty()) results.first_failure = failure.reason;
        if (failure.action == wt::message_action::scrape) {
          answered(pending_scrapes_, results.scrape_latency_us);
        } else {
          answered(pending_announces_, results.announce_latency_us);
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

  ws_load_worker& worker_;
  std::uint32_t index_;
  Stream ws_;
  beast::flat_buffer buffer_;
  asio::steady_timer timer_;
  proto::info_hash hash_;
  proto::peer_id peer_;
  std::deque<std::string> queue_;  // front: being written
  std::deque<clock::time_point> pending_announces_;
  std::deque<clock::time_point> pending_scrapes_;
  bool open_ = false;
  bool warmed_ = false;
};

}  // namespace

void start_ws_connection(ws_load_worker& worker, std::uint32_t connection) {
  if (worker.config().target.tls) {
    std::make_shared<ws_load_connection<tls_stream>>(worker, connection, worker.io(), worker.tls())->start();
  } else {
    std::make_shared<ws_load_connection<plain_stream>>(worker, connection, worker.io())->start();
  }
}

}  // namespace riptide::load_test
