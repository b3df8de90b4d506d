#pragma once
// The two transports of tracker_ws: plain TCP (ws://, http://) here, and TLS over TCP (wss://,
// https://: tls_stream, in tls_socket_stream.hpp). Sessions are templates over these and
// instantiated for both in their .cpp files.
//
// Every object of a connection is bound to its socket worker's io_context by type
// (io_context::executor_type), not through the type-erased any_io_executor: no executor is copied
// or destroyed through a virtual table on each operation (1.4% of a loaded worker's time in a perf
// profile with the type-erased executor).

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <span>
#include <utility>

namespace riptide::ws {

using worker_executor = boost::asio::io_context::executor_type;
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, worker_executor>;
using tcp_acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, worker_executor>;

// The socket itself: the handshake deadline is the HTTP session's timer, so Beast's basic_stream
// (a timer and an allocation per connection, a wrapper per operation) would serve nothing.
using plain_stream = tcp_socket;

// What one attempt at an operation that must not block came to: finished (with an error or
// not), or waiting for the socket to become readable or writable first.
struct io_step {
  enum class wait { none, readable, writable };
  wait waits_for = wait::none;
  boost::system::error_code error;
  std::size_t bytes = 0;
};

// Reading into a buffer picked once the bytes are there (the worker's, which its connections
// share) rather than when the read starts: async_wait_for(stream, readable, handler), then
// read_available(stream, buffer), which never blocks and says what to wait for if it would have.
// Over TCP a read finds at least one byte, eof (the client closed) or an error; the same pair
// exists for tls_stream (tls_socket_stream.hpp).
io_step read_available(plain_stream& socket, std::span<char> into);

// Writing without an operation object: write_available(stream, buffers) writes what the socket
// takes now (at least one byte, gathered from the buffers, or what to wait for first) and never
// blocks; async_wait_for(stream, what it said, handler), then again with the bytes not written
// yet. Over TLS, a write that said to wait must be tried again with the same bytes first.
io_step write_available(plain_stream& socket, std::span<const boost::asio::const_buffer> from);

// Handler: void(error_code).
template <typename Handler>
void async_wait_for(plain_stream& socket, io_step::wait wait, Handler&& handler) {
  socket.async_wait(wait == io_step::wait::writable ? tcp_socket::wait_write : tcp_socket::wait_read,
                    std::forward<Handler>(handler));
}

}  // namespace riptide::ws
