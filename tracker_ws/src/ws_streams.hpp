#pragma once
// The two transports of tracker_ws: plain TCP (ws://, http://), and TLS over TCP (wss://,
// https://), both tracker_common's (runtime/socket_io.hpp, runtime/tls_socket_stream.hpp).
// Sessions are templates over these and instantiated for both in their .cpp files.

#include "tracker/runtime/socket_io.hpp"
#include "tracker/runtime/tls_socket_stream.hpp"

namespace riptide::ws {

using runtime::async_wait_for;
using runtime::io_step;
using runtime::read_available;
using runtime::tcp_socket;
using runtime::worker_executor;
using runtime::write_available;
using tcp_acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, worker_executor>;

// The socket itself: the handshake deadline is the HTTP session's timer, so Beast's basic_stream
// (a timer and an allocation per connection, a wrapper per operation) would serve nothing.
using plain_stream = tcp_socket;
using tls_stream = runtime::tls_socket_stream;

}  // namespace riptide::ws
