#include "proxy_header_reader.hpp"

#include <sys/socket.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>

#include "tracker/proto/proxy_protocol.hpp"
#include "ws_http_session.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace {

class proxy_header_reader : public std::enable_shared_from_this<proxy_header_reader> {
 public:
  proxy_header_reader(tcp_socket socket, connection_slot slot, ws_socket_worker& worker,
                      std::chrono::steady_clock::time_point deadline)
      : socket_(std::move(socket)),
        deadline_timer_(socket_.get_executor()),
        slot_(std::move(slot)),
        worker_(worker),
        deadline_(deadline) {}

  void run() {
    // The timer holds no reference: a reader that is done goes, and its timer with it.
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      if (error) return;
      if (const auto self = weak.lock()) self->time_out();
    });
    wait();
  }

 private:
  void wait() {
    socket_.async_wait(tcp_socket::wait_read,
                       boost::beast::bind_front_handler(&proxy_header_reader::on_readable, shared_from_this()));
  }

  void on_readable(const boost::system::error_code& error) {
    if (error) return;  // closed by the deadline, or failed: the connection goes with this object
    // What the socket holds, behind the bytes of the header taken already; into the worker's
    // buffer, which nothing else uses between handlers.
    const std::span<char> into = worker_.read_buffer().first(proto::proxy_v2_max_bytes - taken_.size());
    const ssize_t got = ::recv(socket_.native_handle(), into.data(), into.size(), MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return wait();
    if (got <= 0) return refuse();  // closed (or reset) before the header was whole
    const std::string_view peeked(into.data(), static_cast<std::size_t>(got));
    const std::string joined = taken_.empty() ? std::string() : taken_ + std::string(peeked);
    const auto result = proto::parse_proxy_header(taken_.empty() ? peeked : std::string_view(joined));
    switch (result.what) {
      case proto::proxy_parse_result::outcome::invalid:
        return refuse();
      case proto::proxy_parse_result::outcome::need_more:
        // All of it is the header's: taken, so that the next wait is for bytes not seen yet.
        taken_.append(peeked);
        if (!take(peeked.size())) return refuse();
        return wait();
      case proto::proxy_parse_result::outcome::complete:
        if (!take(result.header.length - taken_.size())) return refuse();
        return hand_over(result.header);
    }
  }

  // Removes `bytes` from the socket: bytes peeked already, so there.
  bool take(std::size_t bytes) {
    const std::span<char> scratch = worker_.read_buffer();
    const ssize_t got = ::recv(socket_.native_handle(), scratch.data(), bytes, MSG_DONTWAIT);
    return got >= 0 && static_cast<std::size_t>(got) == bytes;
  }

  void hand_over(const proto::proxy_header& header) {
    if (!worker_.admit_proxy_client(slot_, header)) return close();  // counted
    deadline_timer_.cancel();
    start_connection(std::move(socket_), std::move(slot_), worker_, worker_.tls_context(), deadline_);
  }

  void refuse() {
    worker_.counters().add(ws_counter::proxy_headers_refused);
    close();
  }

  void time_out() {
    worker_.counters().add(ws_counter::handshake_timeouts);
    close();  // the pending wait ends with operation_aborted, and this object with it
  }

  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  tcp_socket socket_;
  boost::asio::steady_timer deadline_timer_;
  connection_slot slot_;
  ws_socket_worker& worker_;
  std::chrono::steady_clock::time_point deadline_;
  std::string taken_;  // the header's bytes taken from the socket so far (when it came in parts)
};

}  // namespace

void read_proxy_header(tcp_socket socket, connection_slot slot, ws_socket_worker& worker,
                       std::chrono::steady_clock::time_point deadline) {
  std::make_shared<proxy_header_reader>(std::move(socket), std::move(slot), worker, deadline)->run();
}

}  // namespace riptide::ws
