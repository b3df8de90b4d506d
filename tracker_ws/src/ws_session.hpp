#pragma once
// One WebSocket connection (text frames): run -> on_accept -> do_read -> on_read -> do_write ->
// on_write. Every message read goes to the worker; what the worker sends here waits in a bounded
// queue, and a reader too slow to keep it under limits.max_outbound_messages is disconnected.
// Worker thread only; the worker's connection table holds a plain pointer from attach() until
// detach(), which happens on the first error or close, before the object is gone.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "connection_slot.hpp"
#include "tracker/proto/types.hpp"

namespace riptide::ws {

class ws_socket_worker;

class ws_session : public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(boost::beast::tcp_stream stream, connection_slot slot, ws_socket_worker& worker);
  ~ws_session();
  ws_session(const ws_session&) = delete;
  ws_session& operator=(const ws_session&) = delete;

  void run(boost::beast::http::request<boost::beast::http::empty_body> upgrade);

  // Queues one text message; when the queue is full the connection is dropped instead.
  void send(std::string message);

  std::uint64_t connection_id() const { return connection_id_; }
  proto::address_family family() const { return family_; }

 private:
  void on_accept(const boost::system::error_code& error);
  void do_read();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void do_write();
  void on_write(const boost::system::error_code& error, std::size_t bytes);
  void close_now();  // drops the TCP connection; pending operations end with operation_aborted
  void detach();     // leaves the worker's table and every swarm; once

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> outbound_;
  connection_slot slot_;
  ws_socket_worker& worker_;
  std::uint64_t connection_id_ = 0;  // 0 until the handshake succeeds
  proto::address_family family_ = proto::address_family::ipv4;
  bool closed_ = false;
};

}  // namespace riptide::ws
