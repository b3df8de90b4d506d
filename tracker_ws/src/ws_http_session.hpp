#pragma once
// The first request of a TCP connection: a WebSocket upgrade becomes a ws_session; GET /health
// and GET /stats are answered in plain HTTP; anything else gets 404. One request per connection
// (the response says Connection: close). Worker thread only.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "connection_slot.hpp"

namespace riptide::ws {

class ws_socket_worker;

class ws_http_session : public std::enable_shared_from_this<ws_http_session> {
 public:
  ws_http_session(boost::asio::ip::tcp::socket socket, connection_slot slot, ws_socket_worker& worker);

  void run();

 private:
  void do_read();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void do_write(boost::beast::http::response<boost::beast::http::string_body> response);
  void on_write(const boost::system::error_code& error, std::size_t bytes);

  // A request header larger than this is refused (the upgrade request of a browser is < 1 KiB).
  static constexpr std::uint32_t max_header_bytes = 8 * 1024;

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request_parser<boost::beast::http::empty_body> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
  connection_slot slot_;
  ws_socket_worker& worker_;
};

}  // namespace riptide::ws
