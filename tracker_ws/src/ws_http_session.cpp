#include "ws_http_session.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "ws_session.hpp"
#include "ws_session_fail.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace beast = boost::beast;
namespace http = beast::http;

ws_http_session::ws_http_session(boost::asio::ip::tcp::socket socket, connection_slot slot, ws_socket_worker& worker)
    : stream_(std::move(socket)), slot_(std::move(slot)), worker_(worker) {
  parser_.header_limit(max_header_bytes);
  parser_.body_limit(0);
}

void ws_http_session::run() { do_read(); }

void ws_http_session::do_read() {
  stream_.expires_after(worker_.session_limits().handshake_timeout);
  http::async_read(stream_, buffer_, parser_, beast::bind_front_handler(&ws_http_session::on_read, shared_from_this()));
}

void ws_http_session::on_read(const boost::system::error_code& error, std::size_t) {
  if (error) return fail(error, "http read");
  if (beast::websocket::is_upgrade(parser_.get())) {
    std::make_shared<ws_session>(std::move(stream_), std::move(slot_), worker_)->run(parser_.release());
    return;
  }
  ++worker_.counters().http_requests;
  const auto& request = parser_.get();
  http::response<http::string_body> response;
  response.version(request.version());
  response.set(http::field::server, "riptide tracker_ws");
  response.keep_alive(false);
  if (request.method() == http::verb::get && request.target() == "/health") {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain");
    response.body() = "ok";
  } else if (request.method() == http::verb::get && request.target() == "/stats") {
    response.result(http::status::ok);
    response.set(http::field::content_type, "application/json");
    response.body() = worker_.stats_json();
  } else {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain");
    response.body() = "not found";
  }
  response.prepare_payload();
  do_write(std::move(response));
}

void ws_http_session::do_write(http::response<http::string_body> response) {
  response_ = std::make_shared<http::response<http::string_body>>(std::move(response));
  http::async_write(stream_, *response_, beast::bind_front_handler(&ws_http_session::on_write, shared_from_this()));
}

void ws_http_session::on_write(const boost::system::error_code& error, std::size_t) {
  if (error) return fail(error, "http write");
  boost::system::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace riptide::ws
