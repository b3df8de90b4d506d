#pragma once
// The first request of a connection, over `Stream` (plain_stream or tls_stream, whose TLS
// handshake is done first): a WebSocket upgrade is answered (websocket_handshake.hpp) and, once
// the 101 is written, the connection becomes a ws_session; GET /health, GET /stats (JSON) and
// GET /metrics (Prometheus) are answered in HTTP; anything else gets 404. One request per connection (Connection: close).
// An upgrade through a trusted reverse proxy is the client's its X-Forwarded-For names: 400 when
// the header names none, 429 when that client has max_connections_per_ip connections already.
// An upgrade on a place kept for monitoring (the tracker is full: connection_slot) gets 503.
// The whole of it, TLS handshake included, must finish within limits.handshake_timeout_seconds of
// the accept.
// Worker thread only.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>

#include "connection_slot.hpp"
#include "ws_streams.hpp"

namespace riptide::ws {

class ws_socket_worker;

// Starts serving an accepted connection: TLS when `tls` is set, plain otherwise. Its handshakes
// must be done by `deadline` (accept + limits.handshake_timeout_seconds).
void start_connection(tcp_socket socket, connection_slot slot, ws_socket_worker& worker,
                      std::shared_ptr<boost::asio::ssl::context> tls, std::chrono::steady_clock::time_point deadline);

template <typename Stream>
class ws_http_session : public std::enable_shared_from_this<ws_http_session<Stream>> {
 public:
  ws_http_session(Stream stream, connection_slot slot, ws_socket_worker& worker,
                  std::shared_ptr<boost::asio::ssl::context> tls);

  void run(std::chrono::steady_clock::time_point deadline);

 private:
  // limits.handshake_timeout_seconds passed: the connection closed, and counted unless it was
  // answered (then it only bounded the wait for the client to close).
  void deadline_passed();
  void on_handshake(const boost::system::error_code& error);
  // Plain HTTP sent to the TLS port (OpenSSL saw a request line where a ClientHello belongs): a
  // plain 400 saying so, as nginx does, rather than a bare reset.
  void answer_plain_http_on_tls_port();
  // Reads and drops what the client still sends until it closes (or the deadline): closing with
  // its request unread would reset the connection, and the client might lose the response.
  void drain_until_closed();
  void do_read();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void do_write(boost::beast::http::response<boost::beast::http::string_body> response);
  void on_write(const boost::system::error_code& error, std::size_t bytes);

  // A request header larger than this is refused (the upgrade request of a browser is < 1 KiB).
  static constexpr std::uint32_t max_header_bytes = 8 * 1024;

  std::shared_ptr<boost::asio::ssl::context> tls_;  // before stream_: destroyed after it
  Stream stream_;
  boost::asio::steady_timer deadline_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request_parser<boost::beast::http::empty_body> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
  connection_slot slot_;
  ws_socket_worker& worker_;
  bool upgrading_ = false;  // the response being written is a 101
  bool answered_ = false;   // a response was written: the deadline then only bounds the wait for a close
};

extern template class ws_http_session<plain_stream>;
extern template class ws_http_session<tls_stream>;

}  // namespace riptide::ws
