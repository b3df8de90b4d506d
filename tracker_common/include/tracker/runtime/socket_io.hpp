#pragma once
// A TCP socket read and written without operation objects: an attempt that never blocks says
// what it did or what to wait for, and the caller waits for that with async_wait_for. Used by
// tracker_ws's sessions over plain TCP; tls_socket_stream.hpp has the same for TLS (which
// load_test's TLS client uses too).
//
// Every socket is bound to its worker's io_context by type (io_context::executor_type), not
// through the type-erased any_io_executor: no executor is copied or destroyed through a virtual
// table on each operation (1.4% of a loaded worker's time in a perf profile with the type-erased
// executor).

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <span>
#include <utility>

namespace riptide::runtime {

using worker_executor = boost::asio::io_context::executor_type;
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, worker_executor>;

// What one attempt at an operation that must not block came to: finished (with an error or
// not), or waiting for the socket to become readable or writable first.
struct io_step {
  enum class wait { none, readable, writable };
  wait waits_for = wait::none;
  boost::system::error_code error;
  std::size_t bytes = 0;
};

// Reading into a buffer picked once the bytes are there (say, a worker's, which its connections
// share) rather than when the read starts: async_wait_for(socket, readable, handler), then
// read_available(socket, buffer), which never blocks and says what to wait for if it would have.
// A read finds at least one byte, eof (the peer closed) or an error.
io_step read_available(tcp_socket& socket, std::span<char> into);

// Writing without an operation object: write_available(socket, buffers) writes what the socket
// takes now (at least one byte, gathered from the buffers, or what to wait for first) and never
// blocks; async_wait_for(socket, what it said, handler), then again with the bytes not written
// yet.
io_step write_available(tcp_socket& socket, std::span<const boost::asio::const_buffer> from);

// Handler: void(error_code).
template <typename Handler>
void async_wait_for(tcp_socket& socket, io_step::wait wait, Handler&& handler) {
  socket.async_wait(wait == io_step::wait::writable ? tcp_socket::wait_write : tcp_socket::wait_read,
                    std::forward<Handler>(handler));
}

}  // namespace riptide::runtime
