#pragma once
// One WebSocket connection (text frames) over `Stream` (plain_stream or tls_stream): run ->
// on_accept -> do_read -> on_read -> do_write -> on_write. Every message read goes to the worker;
// what the worker sends here waits in a bounded queue, and a reader too slow to keep it under
// limits.max_outbound_messages is disconnected. Worker thread only; the worker's connection table
// holds a plain pointer from attach() until detach(), which happens on the first error or close,
// before the object is gone.

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "connection_slot.hpp"
#include "ws_connection.hpp"
#include "ws_streams.hpp"

namespace riptide::ws {

class ws_socket_worker;

template <typename Stream>
class ws_session final : public ws_connection, public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  // `tls` keeps the TLS context of a wss:// connection alive (null for ws://): a reload replaces
  // the worker's context for new connections only.
  ws_session(Stream stream, connection_slot slot, ws_socket_worker& worker,
             std::shared_ptr<boost::asio::ssl::context> tls);
  ~ws_session() override;

  void run(boost::beast::http::request<boost::beast::http::empty_body> upgrade);
  void send(std::string message) override;
  void say_goodbye() override;

 private:
  void on_accept(const boost::system::error_code& error);
  void do_read();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void do_write();
  void on_write(const boost::system::error_code& error, std::size_t bytes);
  void close_now();  // drops the TCP connection; pending operations end with operation_aborted
  void detach();     // leaves the worker's table and every swarm; once

  std::shared_ptr<boost::asio::ssl::context> tls_;  // before ws_: destroyed after it
  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> outbound_;
  connection_slot slot_;
  ws_socket_worker& worker_;
  bool closed_ = false;
};

extern template class ws_session<plain_stream>;
extern template class ws_session<tls_stream>;

}  // namespace riptide::ws
