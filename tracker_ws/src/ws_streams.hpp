#pragma once
// The two transports of tracker_ws: plain TCP (ws://, http://) here, and TLS over TCP (wss://,
// https://: tls_stream, in tls_socket_stream.hpp). Sessions are templates over these and
// instantiated for both in their .cpp files.
//
// Every object of a connection is bound to its socket worker's io_context by type
// (io_context::executor_type), not through the type-erased any_io_executor: no executor is copied
// or destroyed through a virtual table on each operation (1.4% of a loaded worker's time in a perf
// profile with the type-erased executor).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace riptide::ws {

using worker_executor = boost::asio::io_context::executor_type;
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, worker_executor>;
using tcp_acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, worker_executor>;

// The socket itself: the handshake deadline is the HTTP session's timer, so Beast's basic_stream
// (a timer and an allocation per connection, a wrapper per operation) would serve nothing.
using plain_stream = tcp_socket;

}  // namespace riptide::ws
