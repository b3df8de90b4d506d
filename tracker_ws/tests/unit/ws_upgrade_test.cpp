// The WebSocket opening handshake, without sockets: the answers to good and bad upgrade requests.

#include "ws_upgrade.hpp"

#include <catch2/catch.hpp>

namespace riptide::ws {
namespace {

namespace http = boost::beast::http;

http::request<http::empty_body> upgrade_request(std::string_view version, std::string_view key) {
  http::request<http::empty_body> request{http::verb::get, "/announce", 11};
  request.set(http::field::host, "tracker.example");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::connection, "Upgrade");
  if (!version.empty()) request.set(http::field::sec_websocket_version, version);
  if (!key.empty()) request.set(http::field::sec_websocket_key, key);
  return request;
}

TEST_CASE("a version 13 upgrade gets 101 with the accept key and no extension", "[handshake]") {
  http::request<http::empty_body> request = upgrade_request("13", "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(http::field::sec_websocket_extensions, "permessage-deflate; client_max_window_bits");
  const auto response = answer_upgrade(request, "riptide tracker_ws");
  CHECK(response.result() == http::status::switching_protocols);
  CHECK(response[http::field::sec_websocket_accept] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(response[http::field::upgrade] == "websocket");
  CHECK(response[http::field::connection] == "Upgrade");
  CHECK(response[http::field::server] == "riptide tracker_ws");
  CHECK(response.count(http::field::sec_websocket_extensions) == 0);
}

TEST_CASE("another version gets 426 naming 13; a missing or overlong key gets 400", "[handshake]") {
  const auto old_version = answer_upgrade(upgrade_request("8", "dGhlIHNhbXBsZSBub25jZQ=="), "riptide");
  CHECK(old_version.result() == http::status::upgrade_required);
  CHECK(old_version[http::field::sec_websocket_version] == "13");
  CHECK(answer_upgrade(upgrade_request("", "dGhlIHNhbXBsZSBub25jZQ=="), "riptide").result() ==
        http::status::upgrade_required);
  CHECK(answer_upgrade(upgrade_request("13", ""), "riptide").result() == http::status::bad_request);
  CHECK(answer_upgrade(upgrade_request("13", std::string(25, 'k')), "riptide").result() == http::status::bad_request);
  CHECK_FALSE(answer_upgrade(upgrade_request("13", ""), "riptide").keep_alive());
  // Two versions, even if one is 13: which one the client speaks is unclear.
  http::request<http::empty_body> two_versions = upgrade_request("13", "dGhlIHNhbXBsZSBub25jZQ==");
  two_versions.insert(http::field::sec_websocket_version, "8");
  CHECK(answer_upgrade(two_versions, "riptide").result() == http::status::bad_request);
}

TEST_CASE("an upgrade without one Host or one key of 16 bytes gets 400", "[handshake]") {
  // RFC 6455, 4.2.1: the key must decode to 16 bytes; RFC 9112, 3.2: one Host line.
  for (const char* key :
       {"x", "AAAAAAAAAAA=", "!!!!!!!!!!!!!!!!!!!!!!!!", "dGhlIHNhbXBsZSBub25jZQ=", "AAAAAAAAAAAAAAAAAAAAAB=="}) {
    INFO("key " << key);
    CHECK(answer_upgrade(upgrade_request("13", key), "riptide").result() == http::status::bad_request);
  }
  http::request<http::empty_body> two_keys = upgrade_request("13", "dGhlIHNhbXBsZSBub25jZQ==");
  two_keys.insert(http::field::sec_websocket_key, "AAAAAAAAAAAAAAAAAAAAAA==");
  CHECK(answer_upgrade(two_keys, "riptide").result() == http::status::bad_request);
  http::request<http::empty_body> no_host = upgrade_request("13", "dGhlIHNhbXBsZSBub25jZQ==");
  no_host.erase(http::field::host);
  CHECK_FALSE(names_one_host(no_host));
  CHECK(answer_upgrade(no_host, "riptide").result() == http::status::bad_request);
  http::request<http::empty_body> two_hosts = upgrade_request("13", "dGhlIHNhbXBsZSBub25jZQ==");
  two_hosts.insert(http::field::host, "other.example");
  CHECK(answer_upgrade(two_hosts, "riptide").result() == http::status::bad_request);
  // HTTP/1.0 may leave Host out.
  http::request<http::empty_body> old_request{http::verb::get, "/stats", 10};
  CHECK(names_one_host(old_request));
  CHECK(names_one_host(upgrade_request("13", "dGhlIHNhbXBsZSBub25jZQ==")));
}

TEST_CASE("an upgrade is read from every line of Connection and Upgrade", "[handshake]") {
  const auto request = [](std::initializer_list<std::string_view> connection, std::initializer_list<std::string_view> upgrade) {
    http::request<http::empty_body> built{http::verb::get, "/announce", 11};
    for (const auto line : connection) built.insert(http::field::connection, line);
    for (const auto line : upgrade) built.insert(http::field::upgrade, line);
    return built;
  };
  CHECK(is_websocket_upgrade(request({"Upgrade"}, {"websocket"})));
  CHECK(is_websocket_upgrade(request({"keep-alive, upgrade"}, {"WebSocket"})));
  // Two lines are one list (RFC 9110, 5.3): a proxy may add its own Connection line first.
  CHECK(is_websocket_upgrade(request({"keep-alive", "Upgrade"}, {"websocket"})));
  CHECK(is_websocket_upgrade(request({"Upgrade"}, {"h2c", "websocket"})));
  CHECK_FALSE(is_websocket_upgrade(request({"keep-alive", "close"}, {"websocket"})));
  CHECK_FALSE(is_websocket_upgrade(request({"Upgrade"}, {"h2c", "TLS/1.0"})));
  CHECK_FALSE(is_websocket_upgrade(request({}, {"websocket"})));
  CHECK_FALSE(is_websocket_upgrade(request({"Upgrade"}, {})));
  // Only an HTTP/1.1 GET.
  auto post = request({"Upgrade"}, {"websocket"});
  post.method(http::verb::post);
  CHECK_FALSE(is_websocket_upgrade(post));
  auto old_version = request({"Upgrade"}, {"websocket"});
  old_version.version(10);
  CHECK_FALSE(is_websocket_upgrade(old_version));
}

}  // namespace
}  // namespace riptide::ws
