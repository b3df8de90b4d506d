#pragma once
// The start of a connection from a trusted load balancer when network.proxy_protocol is on: its
// PROXY protocol header (proto/proxy_protocol.hpp), read before TLS or HTTP, names the client the
// connection is for. The header is peeked at, and only its own bytes are taken from the socket,
// so what follows it (a TLS ClientHello, an HTTP request) is read by the HTTP session as on any
// other connection. A malformed header, or a connection that ends before its header is whole,
// is closed (counted in proxy_headers_refused); so is one whose header arrives after `deadline`
// (handshake_timeouts), which also bounds the TLS and HTTP handshakes that follow.
// Worker thread only.

#include <chrono>

#include "connection_slot.hpp"
#include "ws_streams.hpp"

namespace riptide::ws {

class ws_socket_worker;

void read_proxy_header(tcp_socket socket, connection_slot slot, ws_socket_worker& worker,
                       std::chrono::steady_clock::time_point deadline);

}  // namespace riptide::ws
