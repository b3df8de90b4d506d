#pragma once
// The keys of the WebSocket opening handshake (RFC 6455, 4.1 and 4.2.2), without I/O: the
// client's Sec-WebSocket-Key, and the server's Sec-WebSocket-Accept that proves it read it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace riptide::proto::websocket {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view client_key);

// Sec-WebSocket-Key: the base64 of a 16-byte nonce, which the client picks at random.
std::string client_key(const std::array<std::uint8_t, 16>& nonce);

// Whether `key` is such a value (4.2.1, 5: "when decoded, is 16 bytes in length"): 22 characters
// of the base64 alphabet and "==". A server must refuse any other with 400.
bool is_client_key(std::string_view key);

}  // namespace riptide::proto::websocket
