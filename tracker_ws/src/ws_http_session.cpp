#include "ws_http_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/range/iterator_range.hpp>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tracker/proto/http_target.hpp"
#include "ws_upgrade.hpp"
#include "ws_session.hpp"
#include "ws_session_fail.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr std::string_view server_name = "riptide tracker_ws";

// The status for a request Beast's parser refused, or nullopt when there is nobody to tell (the
// client closed mid-request) or the error is not the parser's.
std::optional<http::status> status_for_refused(const boost::system::error_code& error) {
  if (error.category() != http::make_error_code(http::error::bad_target).category()) return std::nullopt;
  if (error == http::error::end_of_stream || error == http::error::partial_message) return std::nullopt;
  if (error == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (error == http::error::body_limit) return http::status::payload_too_large;  // GET has no body
  return http::status::bad_request;
}

// A request that means to open a WebSocket (it names the protocol or carries its key) but is not
// an upgrade (is_websocket_upgrade): the wrong method or HTTP version, or no Upgrade or Connection
// header.
bool attempts_websocket(const http::request<http::empty_body>& request) {
  return request.count(http::field::sec_websocket_key) != 0 || request.count(http::field::sec_websocket_version) != 0 ||
         header_lists(request, http::field::upgrade, "websocket");
}

// A whole response to a plain HTTP request; the connection closes after it.
http::response<http::string_body> plain_response(unsigned version, http::status status,
                                                 std::string_view content_type, std::string body) {
  http::response<http::string_body> response(status, version);
  response.set(http::field::server, server_name);
  response.set(http::field::content_type, content_type);
  response.keep_alive(false);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}
}  // namespace

void start_connection(tcp_socket socket, connection_slot slot, ws_socket_worker& worker,
                      std::shared_ptr<boost::asio::ssl::context> tls, std::chrono::steady_clock::time_point deadline) {
  if (tls) {
    tls_stream stream(std::move(socket), *tls, runtime::tls_role::server);
    std::make_shared<ws_http_session<tls_stream>>(std::move(stream), std::move(slot), worker, std::move(tls))
        ->run(deadline);
  } else {
    std::make_shared<ws_http_session<plain_stream>>(std::move(socket), std::move(slot), worker, nullptr)
        ->run(deadline);
  }
}

template <typename Stream>
ws_http_session<Stream>::ws_http_session(Stream stream, connection_slot slot, ws_socket_worker& worker,
                                         std::shared_ptr<boost::asio::ssl::context> tls)
    : tls_(std::move(tls)),
      stream_(std::move(stream)),
      deadline_(beast::get_lowest_layer(stream_).get_executor()),
      slot_(std::move(slot)),
      worker_(worker) {
  parser_.header_limit(max_header_bytes);
  parser_.body_limit(0);
}

template <typename Stream>
void ws_http_session<Stream>::run(std::chrono::steady_clock::time_point deadline) {
  // One deadline for the TLS handshake, the request and the response. It holds no reference:
  // a session that is done goes, and its timer with it.
  deadline_.expires_at(deadline);
  deadline_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& error) {
    if (error) return;
    if (const auto self = weak.lock()) self->deadline_passed();
  });
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    stream_.async_handshake(beast::bind_front_handler(&ws_http_session::on_handshake, this->shared_from_this()));
  } else {
    do_read();
  }
}

template <typename Stream>
void ws_http_session<Stream>::deadline_passed() {
  // A client that got its answer and keeps the connection open has not timed out a handshake; the
  // deadline only ends the wait for it to close.
  if (!answered_) worker_.counters().add(ws_counter::handshake_timeouts);
  // What is pending ends with operation_aborted, and the session with it.
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream_).close(ignored);
}

template <typename Stream>
void ws_http_session<Stream>::on_handshake(const boost::system::error_code& error) {
  if (error && error.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(error.value())) == SSL_R_HTTP_REQUEST) {
    return answer_plain_http_on_tls_port();
  }
  if (error) return fail(error, "tls handshake");
  do_read();
}

template <typename Stream>
void ws_http_session<Stream>::answer_plain_http_on_tls_port() {
  worker_.counters().add(ws_counter::http_requests);
  response_ = std::make_shared<http::response<http::string_body>>(
      plain_response(11, http::status::bad_request, "text/plain",
                     "this port speaks TLS: use wss:// (or https:// for /health and /stats)\n"));
  http::async_write(beast::get_lowest_layer(stream_), *response_,
                    [self = this->shared_from_this()](const boost::system::error_code& error, std::size_t) {
                      if (error) return;
                      self->answered_ = true;
                      boost::system::error_code ignored;
                      beast::get_lowest_layer(self->stream_).shutdown(tcp_socket::shutdown_send, ignored);
                      self->drain_until_closed();
                    });
}

template <typename Stream>
void ws_http_session<Stream>::drain_until_closed() {
  thread_local std::array<char, 4096> discarded;  // nobody reads it: one per worker thread will do
  beast::get_lowest_layer(stream_).async_read_some(
      boost::asio::buffer(discarded), [self = this->shared_from_this()](const boost::system::error_code& error,
                                                                        std::size_t) {
        if (!error) self->drain_until_closed();
      });
}

template <typename Stream>
void ws_http_session<Stream>::do_read() {
  http::async_read(stream_, buffer_, parser_,
                   beast::bind_front_handler(&ws_http_session::on_read, this->shared_from_this()));
}

template <typename Stream>
void ws_http_session<Stream>::on_read(const boost::system::error_code& error, std::size_t) {
  if (error) {
    if (const auto status = status_for_refused(error)) {
      // Said why, then closed as after any plain HTTP response.
      worker_.counters().add(ws_counter::http_requests);
      // The parser takes the request line whole, or not at all: no target yet means the limit was
      // reached within it, and the target is what is too long.
      if (*status == http::status::request_header_fields_too_large && parser_.get().target().empty()) {
        return do_write(plain_response(11, http::status::uri_too_long, "text/plain", "request line too long\n"));
      }
      // Answered in the request's own HTTP version (1.0 or 1.1) once its line was read.
      const bool line_read = !parser_.get().target().empty();
      const unsigned version = line_read && parser_.get().version() == 10 ? 10 : 11;
      // A body is refused before the path is looked at. Only GET and HEAD are served, on any path:
      // a PUT or POST with a body is the wrong method wherever it goes.
      const auto method = parser_.get().method();
      if (*status == http::status::payload_too_large && line_read && method != http::verb::get &&
          method != http::verb::head) {
        auto response = plain_response(version, http::status::method_not_allowed, "text/plain", "method not allowed");
        response.set(http::field::allow, "GET, HEAD");
        return do_write(std::move(response));
      }
      return do_write(plain_response(version, *status, "text/plain", error.message() + "\n"));
    }
    return fail(error, "http read");
  }
  const auto& request = parser_.get();
  if (is_websocket_upgrade(request)) {
    if (slot_.monitoring_only()) {  // past max_connections: the tracker is full
      worker_.counters().add(ws_counter::connections_refused);
      auto response = plain_response(request.version(), http::status::service_unavailable, "text/plain",
                                     "too many connections, try again later\n");
      response.set(http::field::retry_after, "10");
      return do_write(std::move(response));
    }
    if (slot_.awaits_client()) {
      // Through a trusted reverse proxy: the connection is the client's its header names, which
      // counts against max_connections_per_ip and picks the swarms of its address family.
      // As many lines as max_header_bytes holds, at most.
      const std::string_view header = worker_.forwarded_header_name();
      std::vector<std::string_view> forwarded;
      for (const auto& line : boost::make_iterator_range(request.equal_range(header))) {
        forwarded.push_back(line.value());
      }
      switch (worker_.admit_client(slot_, forwarded)) {
        case ws_socket_worker::client_verdict::admitted:
          break;
        case ws_socket_worker::client_verdict::malformed_header:
          return do_write(plain_response(request.version(), http::status::bad_request, "text/plain",
                                         std::string(header) + " does not name the client's IP address\n"));
        case ws_socket_worker::client_verdict::over_limit:
          return do_write(plain_response(request.version(), http::status::too_many_requests, "text/plain",
                                         "too many connections from this address\n"));
      }
    }
    auto response = answer_upgrade(request, server_name);
    upgrading_ = response.result() == http::status::switching_protocols;
    // A refused upgrade (426, 400) is answered as plain HTTP, and counted as such.
    if (!upgrading_) worker_.counters().add(ws_counter::http_requests);
    do_write(std::move(response));
    return;
  }
  worker_.counters().add(ws_counter::http_requests);
  // The path without its query: monitors often add one (a cache buster).
  const std::string_view path = proto::http::request_path(request.target());
  const bool head = request.method() == http::verb::head;
  const unsigned version = request.version();
  http::response<http::string_body> response;
  const bool served = path == "/health" || path == "/stats" || path == "/metrics";
  if (!names_one_host(request)) {
    response = plain_response(version, http::status::bad_request, "text/plain", "an HTTP/1.1 request names one Host\n");
  } else if (!served && attempts_websocket(request)) {
    response = plain_response(version, http::status::bad_request, "text/plain",
                              "a WebSocket upgrade needs an HTTP/1.1 GET with Connection: Upgrade and "
                              "Upgrade: websocket\n");
  } else if (!served) {
    response = plain_response(version, http::status::not_found, "text/plain", "not found");
  } else if (request.method() != http::verb::get && !head) {
    response = plain_response(version, http::status::method_not_allowed, "text/plain", "method not allowed");
    response.set(http::field::allow, "GET, HEAD");
  } else if (path == "/health") {
    response = plain_response(version, http::status::ok, "text/plain", "ok");
  } else if (path == "/metrics") {
    response = plain_response(version, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                              worker_.stats_prometheus());
  } else {
    response = plain_response(version, http::status::ok, "application/json", worker_.stats_json());
  }
  // HEAD: the headers GET would get, Content-Length included, and no body (RFC 9110, 9.3.2).
  if (head) response.body().clear();
  do_write(std::move(response));
}

template <typename Stream>
void ws_http_session<Stream>::do_write(http::response<http::string_body> response) {
  response_ = std::make_shared<http::response<http::string_body>>(std::move(response));
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&ws_http_session::on_write, this->shared_from_this()));
}

template <typename Stream>
void ws_http_session<Stream>::on_write(const boost::system::error_code& error, std::size_t) {
  if (error) return fail(error, "http write");
  answered_ = true;
  if (upgrading_) {
    // The 101 is out: the connection speaks WebSocket from here, starting with whatever the
    // client sent after its request.
    const auto leftover = buffer_.data();
    std::make_shared<ws_session<Stream>>(std::move(stream_), std::move(slot_), worker_, std::move(tls_))
        ->run(std::string_view(static_cast<const char*>(leftover.data()), leftover.size()));
    return;
  }
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    // close_notify, still under the deadline; the session ends when it is sent.
    stream_.async_shutdown([self = this->shared_from_this()](const boost::system::error_code&) {});
  } else {
    boost::system::error_code ignored;
    stream_.shutdown(tcp_socket::shutdown_send, ignored);
  }
}

template class ws_http_session<plain_stream>;
template class ws_http_session<tls_stream>;

}  // namespace riptide::ws
