#pragma once
// The two transports of tracker_ws: plain TCP (ws://, http://) and TLS over TCP (wss://, https://).
// Sessions are templates over these and instantiated for both in their .cpp files.

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace riptide::ws {

using plain_stream = boost::beast::tcp_stream;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

}  // namespace riptide::ws
