#pragma once
// The server side of the WebSocket opening handshake (RFC 6455, 4.2.1 and 4.2.2), without I/O:
// what to answer a request that asks for an upgrade.

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

namespace riptide::ws {

// The answer to `request`, which beast::websocket::is_upgrade() accepted: 101 Switching
// Protocols, or 426 (another protocol version; it names 13) or 400 (no usable key). No extension
// and no subprotocol is ever selected, so a client offering permessage-deflate sends plain frames.
boost::beast::http::response<boost::beast::http::string_body> answer_upgrade(
    const boost::beast::http::request<boost::beast::http::empty_body>& request, std::string_view server_name);

}  // namespace riptide::ws
