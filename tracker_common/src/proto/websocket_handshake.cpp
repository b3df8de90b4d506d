#include "tracker/proto/websocket_handshake.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace riptide::proto::websocket {

namespace {

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* bytes, std::size_t count) {
  std::string out(4 * ((count + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a terminating NUL
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(count));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += websocket_guid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_bytes = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &digest_bytes, EVP_sha1(), nullptr);
  return base64(digest.data(), digest_bytes);
}

std::string client_key(const std::array<std::uint8_t, 16>& nonce) { return base64(nonce.data(), nonce.size()); }

bool is_client_key(std::string_view key) {
  const auto is_base64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  // The 22nd character carries the last 2 bits of the 16th byte and 4 zero bits: A, Q, g or w.
  return key.size() == 24 && std::all_of(key.begin(), key.begin() + 22, is_base64) && key.substr(22) == "==" &&
         std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

}  // namespace riptide::proto::websocket
