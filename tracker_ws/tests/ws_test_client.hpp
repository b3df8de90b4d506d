#pragma once
// A WebSocket client for the integration tests: synchronous connect, handshake and writes; one
// read kept outstanding, so receive() can wait with a deadline without cancelling anything (a
// cancelled Beast websocket read would end the stream). Also a one-shot plain HTTP GET.

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace riptide::test {

// The header with which a reverse proxy names the client, added to a WebSocket upgrade (to play
// the proxy). From a string: X-Forwarded-For with that value, none when it is empty.
struct client_header {
  std::string name;  // empty: no header
  std::string value;

  client_header() = default;
  client_header(std::string x_forwarded_for)  // NOLINT: implicit, as the tests write addresses
      : name(x_forwarded_for.empty() ? "" : "X-Forwarded-For"), value(std::move(x_forwarded_for)) {}
  client_header(const char* x_forwarded_for) : client_header(std::string(x_forwarded_for)) {}  // NOLINT
  // RFC 7239: `Forwarded: value`.
  static client_header forwarded(std::string value) {
    client_header header;
    header.name = "Forwarded";
    header.value = std::move(value);
    return header;
  }
};

class ws_test_client {
 public:
  // Connects to host:port and completes the handshake; throws boost::system::system_error.
  // receive_buffer_bytes > 0 sets SO_RCVBUF before connecting (to play a slow reader).
  // forwarded_for: sent with the upgrade (to play a reverse proxy).
  // proxy_header: written first, before the upgrade (to play a load balancer's PROXY protocol).
  ws_test_client(const std::string& host, std::uint16_t port, int receive_buffer_bytes = 0,
                 const client_header& forwarded_for = {}, const std::string& proxy_header = "");
  ws_test_client(const ws_test_client&) = delete;
  ws_test_client& operator=(const ws_test_client&) = delete;

  void send(const std::string& text);
  // The next text message, or nullopt if none came within `timeout` or the connection ended.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True once the server ended the connection (within `timeout`); messages before it are dropped.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // After wait_closed(): the code of the tracker's close frame, 0 when it sent none (the TCP
  // connection just ended).
  std::uint16_t close_code() const { return close_code_; }
  // A clean WebSocket close from our side.
  void close();

 private:
  void start_read();
  void run_until(std::chrono::steady_clock::time_point deadline, bool want_close);

  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> inbox_;
  bool ended_ = false;
  std::uint16_t close_code_ = 0;
};

struct http_result {
  unsigned status = 0;
  std::string body;
  std::string content_length;  // the header as sent ("" when absent)
  std::string allow;
};

// `method` `target` over plain HTTP/1.1 (a HEAD response is read without a body); throws on a
// transport error.
http_result http_request(const std::string& host, std::uint16_t port, boost::beast::http::verb method,
                         const std::string& target);
// A WebSocket upgrade with `forwarded_for`: the tracker's response, 101 or a refusal. Throws on
// a transport error before the response.
http_result upgrade_response(const std::string& host, std::uint16_t port, const client_header& forwarded_for);
inline http_result http_get(const std::string& host, std::uint16_t port, const std::string& target) {
  return http_request(host, port, boost::beast::http::verb::get, target);
}

}  // namespace riptide::test
