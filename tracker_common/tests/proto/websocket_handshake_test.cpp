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

TEST_CASE("websocket: a server takes only keys that decode to 16 bytes") {
  CHECK(is_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(is_client_key("+/+/AAAAAAAAzzzz9999Qw=="));
  std::array<std::uint8_t, 16> nonce{};
  for (unsigned i = 0; i < 64; ++i) {
    for (auto& byte : nonce) byte = static_cast<std::uint8_t>(byte * 31 + i);
    CHECK(is_client_key(client_key(nonce)));
  }
  for (const std::string_view key : {"", "x", "AAAAAAAAAAA=", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===",
                                     "dGhlIHNhbXBsZSBub25jZQ==\r", "!!!!!!!!!!!!!!!!!!!!!!!!",
                                     "dGhlIHNhbXBsZSBub25jZ-==", "dGhlIHNhbXBsZSBub25jZQ=A", " GhlIHNhbXBsZSBub25jZQ==",
                                     "dGhlIHNhbXBsZSBub25jZQAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                     "AAAAAAAAAAAAAAAAAAAAAB==", "dGhlIHNhbXBsZSBub25jZR=="}) {  // bits past the 16th byte
    INFO("key " << key);
    CHECK_FALSE(is_client_key(key));
  }
}

}  // namespace
}  // namespace riptide::proto::websocket
