#include "websocket_handshake.hpp"

#include <openssl/evp.h>

#include <array>

namespace riptide::ws {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// A key is the base64 of a 16-byte nonce: 24 characters. Like Beast, any non-empty key up to that
// length is taken; the client checks the accept value it gets back.
constexpr std::size_t max_key_bytes = 24;

}  // namespace

std::string websocket_accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += websocket_guid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_bytes = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &digest_bytes, EVP_sha1(), nullptr);
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
  const int encoded_bytes = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest_bytes));
  return {reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(encoded_bytes)};
}

http::response<http::string_body> answer_upgrade(const http::request<http::empty_body>& request,
                                                 std::string_view server_name) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.set(http::field::server, server_name);
  const auto refuse = [&](http::status status, std::string_view why) {
    response.result(status);
    response.set(http::field::content_type, "text/plain");
    response.keep_alive(false);
    response.body() = why;
    response.prepare_payload();
    return response;
  };
  if (request[http::field::sec_websocket_version] != "13") {
    response.set(http::field::sec_websocket_version, "13");
    return refuse(http::status::upgrade_required, "WebSocket version 13 only");
  }
  const auto key = request[http::field::sec_websocket_key];
  if (key.empty() || key.size() > max_key_bytes) return refuse(http::status::bad_request, "bad Sec-WebSocket-Key");
  response.result(http::status::switching_protocols);
  response.set(http::field::upgrade, "websocket");
  response.set(http::field::connection, "Upgrade");
  response.set(http::field::sec_websocket_accept, websocket_accept_key(key));
  return response;
}

}  // namespace riptide::ws
