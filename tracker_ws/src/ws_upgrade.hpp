#pragma once
// The server side of the WebSocket opening handshake (RFC 6455, 4.2.1 and 4.2.2), without I/O:
// what to answer a request that asks for an upgrade.

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

namespace riptide::ws {

// Whether `request` asks for a WebSocket: an HTTP/1.1 GET whose Connection header holds the token
// "upgrade" and whose Upgrade header holds "websocket" (RFC 6455, 4.2.1). A header written on
// several lines is the list of them all (RFC 9110, 5.3), as when a proxy adds its own Connection
// line: beast::websocket::is_upgrade() reads only the first.
bool is_websocket_upgrade(const boost::beast::http::request<boost::beast::http::empty_body>& request);
// Whether any line of header `field` lists `token` (a comma-separated list; case-insensitive).
bool header_lists(const boost::beast::http::request<boost::beast::http::empty_body>& request,
                  boost::beast::http::field field, std::string_view token);

// Whether `request` names its host as HTTP/1.1 requires (RFC 9112, 3.2: exactly one Host line;
// HTTP/1.0 may leave it out). A server answers 400 to one that does not.
bool names_one_host(const boost::beast::http::request<boost::beast::http::empty_body>& request);

// The answer to `request`, which is_websocket_upgrade() accepted: 101 Switching
// Protocols, or 426 (another protocol version; it names 13) or 400 (not one Host, or not one
// Sec-WebSocket-Key that is the base64 of 16 bytes: RFC 6455, 4.2.1). No extension and no
// subprotocol is ever selected, so a client offering permessage-deflate sends plain frames.
boost::beast::http::response<boost::beast::http::string_body> answer_upgrade(
    const boost::beast::http::request<boost::beast::http::empty_body>& request, std::string_view server_name);

}  // namespace riptide::ws
