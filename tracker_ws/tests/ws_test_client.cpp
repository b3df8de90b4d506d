#include "ws_test_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

namespace riptide::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint endpoint_of(const std::string& host, std::uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(host), port);
}

void forward_for(beast::websocket::stream<beast::tcp_stream>& ws, const client_header& forwarded_for) {
  if (forwarded_for.name.empty()) return;
  ws.set_option(beast::websocket::stream_base::decorator([forwarded_for](beast::websocket::request_type& request) {
    request.set(forwarded_for.name, forwarded_for.value);
  }));
}

}  // namespace

ws_test_client::ws_test_client(const std::string& host, std::uint16_t port, int receive_buffer_bytes,
                               const client_header& forwarded_for, const std::string& proxy_header)
    : ws_(io_) {
  forward_for(ws_, forwarded_for);
  const auto endpoint = endpoint_of(host, port);
  if (receive_buffer_bytes > 0) {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.open(endpoint.protocol());
    socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes));
  }
  beast::get_lowest_layer(ws_).connect(endpoint);
  beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
  if (!proxy_header.empty()) asio::write(beast::get_lowest_layer(ws_).socket(), asio::buffer(proxy_header));
  ws_.handshake(host, "/announce");
  ws_.text(true);
  start_read();
}

void ws_test_client::start_read() {
  ws_.async_read(buffer_, [this](const boost::system::error_code& error, std::size_t) {
    if (error) {
      ended_ = true;
      if (error == beast::websocket::error::closed) close_code_ = static_cast<std::uint16_t>(ws_.reason().code);
      return;
    }
    inbox_.push_back(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    start_read();
  });
}

void ws_test_client::run_until(std::chrono::steady_clock::time_point deadline, bool want_close) {
  while (!ended_ && (want_close || inbox_.empty())) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    if (io_.stopped()) io_.restart();
    io_.run_one_for(deadline - now);
  }
}

void ws_test_client::send(const std::string& text) { ws_.write(asio::buffer(text)); }

std::optional<std::string> ws_test_client::receive(std::chrono::milliseconds timeout) {
  run_until(std::chrono::steady_clock::now() + timeout, false);
  if (inbox_.empty()) return std::nullopt;
  std::string message = std::move(inbox_.front());
  inbox_.pop_front();
  return message;
}

bool ws_test_client::wait_closed(std::chrono::milliseconds timeout) {
  run_until(std::chrono::steady_clock::now() + timeout, true);
  return ended_;
}

void ws_test_client::close() {
  ws_.async_close(beast::websocket::close_code::normal, [](const boost::system::error_code&) {});
  wait_closed(std::chrono::seconds(5));
}

http_result http_request(const std::string& host, std::uint16_t port, beast::http::verb method,
                         const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(endpoint_of(host, port));
  beast::http::request<beast::http::empty_body> request(method, target, 11);
  request.set(beast::http::field::host, host);
  beast::http::write(stream, request);
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.skip(method == beast::http::verb::head);  // no body follows, whatever Content-Length says
  beast::http::read(stream, buffer, parser);
  const auto& response = parser.get();
  return {response.result_int(), response.body(), std::string(response[beast::http::field::content_length]),
          std::string(response[beast::http::field::allow])};
}

http_result upgrade_response(const std::string& host, std::uint16_t port, const client_header& forwarded_for) {
  asio::io_context io;
  beast::websocket::stream<beast::tcp_stream> ws(io);
  forward_for(ws, forwarded_for);
  beast::get_lowest_layer(ws).connect(endpoint_of(host, port));
  beast::websocket::response_type response;
  boost::system::error_code declined;  // a refusal is what some tests want to see
  ws.handshake(response, host, "/announce", declined);
  // No response at all (closed at accept, reset) is not a refusal: thrown, as a connect failure is.
  if (declined && declined != beast::websocket::error::upgrade_declined) throw boost::system::system_error(declined);
  return {response.result_int(), response.body(), std::string(response[beast::http::field::content_length]), ""};
}

}  // namespace riptide::test
