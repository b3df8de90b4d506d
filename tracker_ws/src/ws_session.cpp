#include "ws_session.hpp"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream_base.hpp>

#include "ws_session_fail.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

template <typename Stream>
ws_session<Stream>::ws_session(Stream stream, connection_slot slot, ws_socket_worker& worker,
                               std::shared_ptr<boost::asio::ssl::context> tls)
    : tls_(std::move(tls)), ws_(std::move(stream)), slot_(std::move(slot)), worker_(worker) {
  family_ = slot_.address().is_v6() ? proto::address_family::ipv6 : proto::address_family::ipv4;
}

template <typename Stream>
ws_session<Stream>::~ws_session() { detach(); }

template <typename Stream>
void ws_session<Stream>::run(beast::http::request<beast::http::empty_body> upgrade) {
  const auto& limits = worker_.session_limits();
  // The websocket stream keeps its own timers: the TCP stream's must not fire as well.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = limits.handshake_timeout;
  timeouts.idle_timeout = limits.idle_timeout;
  timeouts.keep_alive_pings = true;  // a ping at half the idle timeout; silence for all of it closes
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(beast::http::field::server, "riptide tracker_ws"); }));
  ws_.read_message_max(limits.max_message_bytes);
  ws_.text(true);
  ws_.async_accept(upgrade, beast::bind_front_handler(&ws_session<Stream>::on_accept, this->shared_from_this()));
}

template <typename Stream>
void ws_session<Stream>::on_accept(const boost::system::error_code& error) {
  if (error) {
    if (error == beast::error::timeout) worker_.counters().add(ws_counter::handshake_timeouts);
    return fail(error, "websocket accept");
  }
  if (closed_) return;
  connection_id_ = worker_.attach(*this);
  do_read();
}

template <typename Stream>
void ws_session<Stream>::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&ws_session<Stream>::on_read, this->shared_from_this()));
}

template <typename Stream>
void ws_session<Stream>::on_read(const boost::system::error_code& error, std::size_t) {
  if (error) {
    // Closed, too large, timed out or reset: the peers of this connection leave at once.
    if (error == websocket::error::message_too_big) worker_.counters().add(ws_counter::oversized_messages);
    if (error == beast::error::timeout) worker_.counters().add(ws_counter::idle_timeouts);
    detach();
    return fail(error, "websocket read");
  }
  if (closed_) return;
  if (!ws_.got_text()) {
    // The protocol is JSON text; a binary frame is a client we cannot serve.
    close_now();
    return;
  }
  // A flat_buffer holds the message in one piece: decoded in place, without a copy.
  const auto data = buffer_.data();
  worker_.handle_message(*this, std::string_view(static_cast<const char*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  if (!closed_) do_read();
}

template <typename Stream>
void ws_session<Stream>::send(std::string message) {
  if (closed_) return;
  if (outbound_.size() >= worker_.session_limits().max_outbound_messages) {
    worker_.counters().add(ws_counter::slow_readers_dropped);
    close_now();
    return;
  }
  outbound_.push_back(std::move(message));
  if (outbound_.size() == 1) do_write();
}

template <typename Stream>
void ws_session<Stream>::say_goodbye() {
  if (closed_) return;
  // Beast sends the close frame after a write in progress; the pending read then ends with
  // `closed` when the client's close frame arrives, which detaches.
  ws_.async_close(websocket::close_code::going_away,
                  [self = this->shared_from_this()](const boost::system::error_code&) { self->detach(); });
}

template <typename Stream>
void ws_session<Stream>::do_write() {
  ws_.async_write(boost::asio::buffer(outbound_.front()),
                  beast::bind_front_handler(&ws_session<Stream>::on_write, this->shared_from_this()));
}

template <typename Stream>
void ws_session<Stream>::on_write(const boost::system::error_code& error, std::size_t) {
  if (error) {
    detach();
    return fail(error, "websocket write");
  }
  if (closed_) return;
  outbound_.pop_front();
  if (!outbound_.empty()) do_write();
}

template <typename Stream>
void ws_session<Stream>::close_now() {
  detach();
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp_socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <typename Stream>
void ws_session<Stream>::detach() {
  if (closed_) return;
  closed_ = true;
  if (connection_id_ != 0) worker_.detach(*this);
}

template class ws_session<plain_stream>;
template class ws_session<tls_stream>;

}  // namespace riptide::ws
