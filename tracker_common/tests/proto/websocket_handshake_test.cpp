// The handshake keys of RFC 6455: its own example of an accept key, and client keys.

#include "tracker/proto/websocket_handshake.hpp"

#include <catch2/catch.hpp>

namespace riptide::proto::websocket {
namespace {

TEST_CASE("websocket: the accept key of RFC 6455 section 1.3") {
  CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("websocket: a client key is 24 base64 characters of its nonce") {
  // The RFC's sample nonce, "the sample nonce" in ASCII.
  const std::string_view text = "the sample nonce";
  std::array<std::uint8_t, 16> nonce{};
  for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(text[i]);
  CHECK(client_key(nonce) == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(client_key({}) == "AAAAAAAAAAAAAAAAAAAAAA==");
}

}  // namespace
}  // namespace riptide::proto::websocket
