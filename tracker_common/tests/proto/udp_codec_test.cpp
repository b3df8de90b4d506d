// BEP 15 / BEP 41 codec: golden bytes (one comment per field), every failure kind, seeded random
// round trips, and a never-crash sweep over any length.

#include "tracker/proto/udp_codec.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace udp = riptide::proto::udp;
using riptide::proto::address_family;
using riptide::proto::connection_id;
using riptide::proto::info_hash;
using riptide::proto::ipv4_endpoint;
using riptide::proto::ipv6_endpoint;
using riptide::proto::peer_id;
using riptide::proto::transaction_id;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes prefix(const bytes& packet, std::size_t size) {
  return bytes(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(size));
}

// The helpers return copies: callers pass the decoder's result as a temporary.
template <typename Request>
Request require_request(const udp::decode_result& result) {
  REQUIRE(std::holds_alternative<udp::any_request>(result));
  const auto& request = std::get<udp::any_request>(result);
  REQUIRE(std::holds_alternative<Request>(request));
  return std::get<Request>(request);
}

udp::decode_failure require_failure(const udp::decode_result& result) {
  REQUIRE(std::holds_alternative<udp::decode_failure>(result));
  return std::get<udp::decode_failure>(result);
}

template <typename Response>
Response require_response(const udp::response_decode_result& result) {
  REQUIRE(std::holds_alternative<udp::any_response>(result));
  const auto& response = std::get<udp::any_response>(result);
  REQUIRE(std::holds_alternative<Response>(response));
  return std::get<Response>(response);
}

udp::response_error require_response_error(const udp::response_decode_result& result) {
  REQUIRE(std::holds_alternative<udp::response_error>(result));
  return std::get<udp::response_error>(result);
}

void require_same(const udp::announce_request& a, const udp::announce_request& b) {
  REQUIRE(a.connection == b.connection);
  REQUIRE(a.transaction == b.transaction);
  REQUIRE(a.hash == b.hash);
  REQUIRE(a.peer == b.peer);
  REQUIRE(a.downloaded == b.downloaded);
  REQUIRE(a.left == b.left);
  REQUIRE(a.uploaded == b.uploaded);
  REQUIRE(a.event == b.event);
  REQUIRE(a.ipv4_address == b.ipv4_address);
  REQUIRE(a.key == b.key);
  REQUIRE(a.num_want == b.num_want);
  REQUIRE(a.port == b.port);
}

std::span<const info_hash> hashes_of(const udp::scrape_request& request) {
  return {request.hashes.data(), request.hashes.size()};
}

// A minimal valid announce (98 bytes) to mutate in failure tests.
bytes valid_announce() {
  udp::announce_request request;
  request.connection = connection_id{0x1122334455667788ULL};
  request.transaction = transaction_id{0x99aabbccU};
  request.port = 6881;
  bytes packet;
  udp::encode_announce_request(request, packet);
  return packet;
}

template <typename Random>
info_hash random_hash(Random& random) {
  info_hash hash;
  for (auto& byte : hash.bytes) byte = static_cast<std::uint8_t>(random());
  return hash;
}

template <typename Random>
peer_id random_peer_id(Random& random) {
  peer_id id;
  for (auto& byte : id.bytes) byte = static_cast<std::uint8_t>(random());
  return id;
}

template <typename Random>
bytes random_bytes(Random& random, std::size_t size) {
  bytes out(size);
  for (auto& byte : out) byte = static_cast<std::uint8_t>(random());
  return out;
}

template <typename Random>
std::size_t uniform(Random& random, std::size_t low, std::size_t high) {
  return std::uniform_int_distribution<std::size_t>(low, high)(random);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Golden bytes: requests
// ---------------------------------------------------------------------------------------------

TEST_CASE("connect request: golden bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80,  // 0:8 protocol id 0x41727101980
      0x00, 0x00, 0x00, 0x00,                          // 8:4 action 0 = connect
      0xde, 0xad, 0xbe, 0xef,                          // 12:4 transaction id
  };
  REQUIRE(golden.size() == udp::connect_request_size);

  const auto request = require_request<udp::connect_request>(udp::decode_request(golden));
  CHECK(request.transaction == transaction_id{0xdeadbeefU});

  bytes encoded{0x55};  // encoders append: the byte already there stays
  CHECK(udp::encode_connect_request(transaction_id{0xdeadbeefU}, encoded) == 16);
  REQUIRE(encoded.size() == 17);
  CHECK(encoded[0] == 0x55);
  CHECK(bytes(encoded.begin() + 1, encoded.end()) == golden);
}

TEST_CASE("announce request: libtorrent style, 109 bytes with BEP 41 URL data", "[proto][udp][golden]") {
  const bytes golden = {
      0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,  // 0:8 connection id
      0x00, 0x00, 0x00, 0x01,                          // 8:4 action 1 = announce
      0x00, 0x00, 0x30, 0x39,                          // 12:4 transaction id 12345
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // 16:20 info hash 01..14
      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,  //
      0x11, 0x12, 0x13, 0x14,                          //
      '-', 'L', 'T', '2', '0', '9', '0', '-',          // 36:20 peer id "-LT2090-" + 12 bytes
      0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,  //
      0xa9, 0xaa, 0xab, 0xac,                          //
      0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78,  // 56:8 downloaded 0x12345678
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 64:8 left 0 (a seeder)
      0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // 72:8 uploaded 2^32
      0x00, 0x00, 0x00, 0x01,                          // 80:4 event 1 = completed
      0x00, 0x00, 0x00, 0x00,                          // 84:4 IPv4 0 = use the source
      0xca, 0xfe, 0xf0, 0x0d,                          // 88:4 key
      0x00, 0x00, 0x00, 0xc8,                          // 92:4 num_want 200
      0x1a, 0xe1,                                      // 96:2 port 6881
      0x02, 0x09,                                      // 98: BEP 41 option 2 (URL data), length 9
      '/', 'a', 'n', 'n', 'o', 'u', 'n', 'c', 'e',     // 100:9 "/announce"; no end-of-options byte
  };
  REQUIRE(golden.size() == 109);

  const auto request = require_request<udp::announce_request>(udp::decode_request(golden));
  CHECK(request.connection == connection_id{0x0a0b0c0d0e0f1011ULL});
  CHECK(request.transaction == transaction_id{12345});
  for (std::size_t i = 0; i < 20; ++i) CHECK(request.hash.bytes[i] == i + 1);
  CHECK(request.peer.bytes[0] == '-');
  CHECK(request.peer.bytes[7] == '-');
  CHECK(request.peer.bytes[19] == 0xac);
  CHECK(request.downloaded == 0x12345678);
  CHECK(request.left == 0);
  CHECK(request.uploaded == 0x100000000LL);
  CHECK(request.event == udp::announce_event::completed);
  CHECK(request.ipv4_address == 0);
  CHECK(request.key == 0xcafef00dU);
  CHECK(request.num_want == 200);
  CHECK(request.port == 6881);

  bytes encoded;
  CHECK(udp::encode_announce_request(request, encoded, udp::announce_options{"/announce"}) == 109);
  CHECK(encoded == golden);
}

TEST_CASE("announce request: aria2 style, 100 bytes (2 trailing zero bytes)", "[proto][udp][golden]") {
  const bytes golden = {
      0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,  // 0:8 connection id
      0x00, 0x00, 0x00, 0x01,                          // 8:4 action 1 = announce
      0x7f, 0xff, 0xff, 0xff,                          // 12:4 transaction id
      0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,  // 16:20 info hash aa..aa
      0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,  //
      0xaa, 0xaa, 0xaa, 0xaa,                          //
      'A', '2', '-', '1', '-', '3', '6', '-',          // 36:20 peer id "A2-1-36-" + 12 bytes
      0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,  //
      0x08, 0x09, 0x0a, 0x0b,                          //
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 56:8 downloaded 0
      0x00, 0x00, 0x00, 0x02, 0x54, 0x0b, 0xe4, 0x00,  // 64:8 left 10 000 000 000
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 72:8 uploaded 0
      0x00, 0x00, 0x00, 0x02,                          // 80:4 event 2 = started
      0xc0, 0xa8, 0x01, 0x02,                          // 84:4 IPv4 192.168.1.2 (a claim, ignored)
      0x00, 0x00, 0x00, 0x07,                          // 88:4 key
      0xff, 0xff, 0xff, 0xff,                          // 92:4 num_want -1 = default
      0xc8, 0xd5,                                      // 96:2 port 51413
      0x00, 0x00,                                      // 98:2 BEP 15's old "extensions" field, 0
  };
  REQUIRE(golden.size() == 100);

  const auto request = require_request<udp::announce_request>(udp::decode_request(golden));
  CHECK(request.connection == connection_id{0xffeeddccbbaa9988ULL});
  CHECK(request.transaction == transaction_id{0x7fffffffU});
  CHECK(request.hash.bytes == std::array<std::uint8_t, 20>{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
                                                           0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa});
  CHECK(request.peer.bytes[0] == 'A');
  CHECK(request.peer.bytes[19] == 0x0b);
  CHECK(request.downloaded == 0);
  CHECK(request.left == 10'000'000'000LL);
  CHECK(request.uploaded == 0);
  CHECK(request.event == udp::announce_event::started);
  CHECK(request.ipv4_address == 0xc0a80102U);
  CHECK(request.key == 7);
  CHECK(request.num_want == -1);
  CHECK(request.port == 51413);

  bytes encoded;
  CHECK(udp::encode_announce_request(request, encoded) == 98);
  CHECK(encoded == prefix(golden, 98));
}

TEST_CASE("announce request: transmission style, exactly 98 bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // 0:8 connection id 1
      0x00, 0x00, 0x00, 0x01,                          // 8:4 action 1 = announce
      0x00, 0x00, 0x00, 0x01,                          // 12:4 transaction id 1
      0x14, 0x13, 0x12, 0x11, 0x10, 0x0f, 0x0e, 0x0d,  // 16:20 info hash 14..01
      0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07, 0x06, 0x05,  //
      0x04, 0x03, 0x02, 0x01,                          //
      '-', 'T', 'R', '4', '0', '5', '0', '-',          // 36:20 peer id "-TR4050-abcdefghijkl"
      'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',          //
      'i', 'j', 'k', 'l',                              //
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00,  // 56:8 downloaded 16384
      0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,  // 64:8 left 1 MiB
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,  // 72:8 uploaded 8192
      0x00, 0x00, 0x00, 0x00,                          // 80:4 event 0 = none
      0x00, 0x00, 0x00, 0x00,                          // 84:4 IPv4 0
      0x12, 0x34, 0x56, 0x78,                          // 88:4 key
      0x00, 0x00, 0x00, 0x50,                          // 92:4 num_want 80
      0xff, 0xff,                                      // 96:2 port 65535
  };
  REQUIRE(golden.size() == udp::announce_request_size);

  const auto request = require_request<udp::announce_request>(udp::decode_request(golden));
  CHECK(request.connection == connection_id{1});
  CHECK(request.transaction == transaction_id{1});
  CHECK(request.hash.bytes[0] == 0x14);
  CHECK(request.hash.bytes[19] == 0x01);
  CHECK(request.peer.bytes[8] == 'a');
  CHECK(request.downloaded == 16384);
  CHECK(request.left == 1024 * 1024);
  CHECK(request.uploaded == 8192);
  CHECK(request.event == udp::announce_event::none);
  CHECK(request.ipv4_address == 0);
  CHECK(request.key == 0x12345678U);
  CHECK(request.num_want == 80);
  CHECK(request.port == 65535);

  bytes encoded;
  CHECK(udp::encode_announce_request(request, encoded) == 98);
  CHECK(encoded == golden);
}

TEST_CASE("scrape request: golden bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  // 0:8 connection id
      0x00, 0x00, 0x00, 0x02,                          // 8:4 action 2 = scrape
      0x00, 0x00, 0x00, 0x2a,                          // 12:4 transaction id 42
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // 16:20 first info hash 01..14
      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,  //
      0x11, 0x12, 0x13, 0x14,                          //
      0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,  // 36:20 second info hash f0..ff, 00..03
      0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,  //
      0x00, 0x01, 0x02, 0x03,                          //
  };
  REQUIRE(golden.size() == 56);

  const auto request = require_request<udp::scrape_request>(udp::decode_request(golden));
  CHECK(request.connection == connection_id{0x0123456789abcdefULL});
  CHECK(request.transaction == transaction_id{42});
  REQUIRE(request.hashes.size() == 2);
  CHECK(request.hashes[0].bytes[0] == 0x01);
  CHECK(request.hashes[0].bytes[19] == 0x14);
  CHECK(request.hashes[1].bytes[0] == 0xf0);
  CHECK(request.hashes[1].bytes[15] == 0xff);
  CHECK(request.hashes[1].bytes[19] == 0x03);

  bytes encoded;
  CHECK(udp::encode_scrape_request(request.connection, request.transaction, hashes_of(request), encoded) == 56);
  CHECK(encoded == golden);
}

// ---------------------------------------------------------------------------------------------
// Golden bytes: responses
// ---------------------------------------------------------------------------------------------

TEST_CASE("connect response: golden bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x00, 0x00, 0x00, 0x00,                          // 0:4 action 0 = connect
      0xde, 0xad, 0xbe, 0xef,                          // 4:4 transaction id
      0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  // 8:8 connection id
  };
  bytes encoded;
  CHECK(udp::encode_connect_response({transaction_id{0xdeadbeefU}, connection_id{0x0123456789abcdefULL}},
                                     encoded) == udp::connect_response_size);
  CHECK(encoded == golden);

  for (const auto family : {address_family::ipv4, address_family::ipv6}) {
    const auto decoded = require_response<udp::connect_response>(udp::decode_response(golden, family));
    CHECK(decoded.transaction == transaction_id{0xdeadbeefU});
    CHECK(decoded.connection == connection_id{0x0123456789abcdefULL});
  }
}

TEST_CASE("announce response over IPv4: golden bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x00, 0x00, 0x00, 0x01,              // 0:4 action 1 = announce
      0x00, 0x00, 0x30, 0x39,              // 4:4 transaction id 12345
      0x00, 0x00, 0x07, 0x08,              // 8:4 interval 1800
      0x00, 0x00, 0x00, 0x05,              // 12:4 leechers 5
      0x00, 0x00, 0x00, 0x03,              // 16:4 seeders 3
      0xc0, 0xa8, 0x01, 0x0a, 0x1a, 0xe1,  // 20:6 peer 192.168.1.10:6881
      0x0a, 0x00, 0x00, 0x01, 0xc8, 0xd5,  // 26:6 peer 10.0.0.1:51413
  };
  const udp::announce_response_header header{transaction_id{12345}, 1800, 5, 3};
  const std::vector<ipv4_endpoint> peers = {{{192, 168, 1, 10}, 6881}, {{10, 0, 0, 1}, 51413}};

  bytes encoded;
  CHECK(udp::encode_announce_response(header, std::span<const ipv4_endpoint>(peers), encoded) == 32);
  CHECK(encoded == golden);

  const auto decoded = require_response<udp::announce_response>(udp::decode_response(golden, address_family::ipv4));
  CHECK(decoded.header.transaction == transaction_id{12345});
  CHECK(decoded.header.interval == 1800);
  CHECK(decoded.header.leechers == 5);
  CHECK(decoded.header.seeders == 3);
  CHECK(decoded.ipv4_peers == peers);
  CHECK(decoded.ipv6_peers.empty());

  // 12 bytes of peers are not a whole number of 18-byte IPv6 entries.
  CHECK(require_response_error(udp::decode_response(golden, address_family::ipv6)) ==
        udp::response_error::bad_peer_area_length);
}

TEST_CASE("announce response over IPv6: golden bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x00, 0x00, 0x00, 0x01,                          // 0:4 action 1 = announce
      0x00, 0x00, 0x00, 0x07,                          // 4:4 transaction id 7
      0x00, 0x00, 0x0e, 0x10,                          // 8:4 interval 3600
      0x00, 0x00, 0x00, 0x00,                          // 12:4 leechers 0
      0x00, 0x01, 0x00, 0x00,                          // 16:4 seeders 65536
      0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,  // 20:16 peer 2001:db8::1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  //
      0x1a, 0xe1,                                      // 36:2 port 6881
      0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0x00, 0x00,  // 38:16 peer 2001:db8:85a3::8a2e:370:7334
      0x00, 0x00, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34,  //
      0x01, 0xbb,                                      // 54:2 port 443
  };
  const udp::announce_response_header header{transaction_id{7}, 3600, 0, 65536};
  const std::vector<ipv6_endpoint> peers = {
      {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 6881},
      {{0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34}, 443},
  };

  bytes encoded;
  CHECK(udp::encode_announce_response(header, std::span<const ipv6_endpoint>(peers), encoded) == 56);
  CHECK(encoded == golden);

  const auto decoded = require_response<udp::announce_response>(udp::decode_response(golden, address_family::ipv6));
  CHECK(decoded.header.transaction == transaction_id{7});
  CHECK(decoded.header.interval == 3600);
  CHECK(decoded.header.leechers == 0);
  CHECK(decoded.header.seeders == 65536);
  CHECK(decoded.ipv6_peers == peers);
  CHECK(decoded.ipv4_peers.empty());

  // 36 bytes are also six IPv4 entries: the family of the socket decides, not the reply.
  const auto as_v4 = require_response<udp::announce_response>(udp::decode_response(golden, address_family::ipv4));
  CHECK(as_v4.ipv4_peers.size() == 6);
  CHECK(as_v4.ipv6_peers.empty());
}

TEST_CASE("announce response with no peers is the 20-byte header", "[proto][udp][golden]") {
  bytes encoded;
  CHECK(udp::encode_announce_response({transaction_id{1}, 60, 0, 0}, std::span<const ipv4_endpoint>{}, encoded) == 20);
  CHECK(encoded == bytes{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("scrape response: golden bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x00, 0x00, 0x00, 0x02,  // 0:4 action 2 = scrape
      0x00, 0x00, 0x00, 0x2a,  // 4:4 transaction id 42
      0x00, 0x00, 0x00, 0x0a,  // 8:4 first hash: seeders 10
      0x00, 0x00, 0x00, 0xc8,  // 12:4 first hash: completed 200
      0x00, 0x00, 0x00, 0x03,  // 16:4 first hash: leechers 3
      0x00, 0x00, 0x00, 0x00,  // 20:4 second hash (unknown): seeders 0
      0x00, 0x00, 0x00, 0x00,  // 24:4 second hash: completed 0
      0x00, 0x00, 0x00, 0x00,  // 28:4 second hash: leechers 0
  };
  const std::vector<udp::scrape_entry> entries = {{10, 200, 3}, {0, 0, 0}};
  bytes encoded;
  CHECK(udp::encode_scrape_response(transaction_id{42}, entries, encoded) == 32);
  CHECK(encoded == golden);

  const auto decoded = require_response<udp::scrape_response>(udp::decode_response(golden, address_family::ipv4));
  CHECK(decoded.transaction == transaction_id{42});
  REQUIRE(decoded.entries.size() == 2);
  CHECK(decoded.entries[0].seeders == 10);
  CHECK(decoded.entries[0].completed == 200);
  CHECK(decoded.entries[0].leechers == 3);
  CHECK(decoded.entries[1].seeders == 0);
  CHECK(decoded.entries[1].completed == 0);
  CHECK(decoded.entries[1].leechers == 0);
}

TEST_CASE("error response: golden bytes", "[proto][udp][golden]") {
  const bytes golden = {
      0x00, 0x00, 0x00, 0x03,              // 0:4 action 3 = error
      0x00, 0x00, 0x00, 0x09,              // 4:4 transaction id 9
      'd', 'e', 'n', 'i', 'e', 'd',        // 8: message, no terminator
  };
  bytes encoded;
  CHECK(udp::encode_error_response(transaction_id{9}, "denied", encoded) == 14);
  CHECK(encoded == golden);

  const auto decoded = require_response<udp::error_response>(udp::decode_response(golden, address_family::ipv6));
  CHECK(decoded.transaction == transaction_id{9});
  CHECK(decoded.message == "denied");

  // An empty message is just the 8-byte header.
  const auto& empty =
      require_response<udp::error_response>(udp::decode_response(prefix(golden, 8), address_family::ipv4));
  CHECK(empty.message.empty());
}

// ---------------------------------------------------------------------------------------------
// Request failures
// ---------------------------------------------------------------------------------------------

TEST_CASE("decode_request: shorter than 16 bytes is too_short without a header", "[proto][udp][failure]") {
  bytes connect;
  udp::encode_connect_request(transaction_id{5}, connect);
  for (std::size_t size = 0; size < 16; ++size) {
    INFO("size " << size);
    const auto failure = require_failure(udp::decode_request(prefix(connect, size)));
    CHECK(failure.error == udp::request_error::too_short);
    CHECK_FALSE(failure.header_readable);
  }
  require_request<udp::connect_request>(udp::decode_request(connect));
}

TEST_CASE("decode_request: an announce under 98 bytes is too_short with its header", "[proto][udp][failure]") {
  const bytes packet = valid_announce();
  REQUIRE(packet.size() == 98);
  for (std::size_t size = 16; size < 98; ++size) {
    INFO("size " << size);
    const auto failure = require_failure(udp::decode_request(prefix(packet, size)));
    CHECK(failure.error == udp::request_error::too_short);
    CHECK(failure.header_readable);
    CHECK(failure.connection == connection_id{0x1122334455667788ULL});
    CHECK(failure.transaction == transaction_id{0x99aabbccU});
  }
  require_request<udp::announce_request>(udp::decode_request(packet));
}

TEST_CASE("decode_request: a connect without the protocol id is dropped", "[proto][udp][failure]") {
  bytes packet;
  udp::encode_connect_request(transaction_id{77}, packet);
  for (std::size_t byte = 0; byte < 8; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes broken = packet;
      broken[byte] = static_cast<std::uint8_t>(broken[byte] ^ (1U << bit));
      INFO("byte " << byte << " bit " << bit);
      const auto failure = require_failure(udp::decode_request(broken));
      CHECK(failure.error == udp::request_error::bad_protocol_id);
      // Nobody may be answered for this, so the decoder does not even report the header.
      CHECK_FALSE(failure.header_readable);
    }
  }
  // Bytes after a correct connect are tolerated (no reply grows from them: the reply is 16 B).
  packet.push_back(0);
  require_request<udp::connect_request>(udp::decode_request(packet));
}

TEST_CASE("decode_request: unknown actions keep the header", "[proto][udp][failure]") {
  for (const std::uint32_t action : {3U, 4U, 5U, 0x100U, 0x01000000U, 0xffffffffU}) {
    bytes packet = valid_announce();
    packet[8] = static_cast<std::uint8_t>(action >> 24);
    packet[9] = static_cast<std::uint8_t>(action >> 16);
    packet[10] = static_cast<std::uint8_t>(action >> 8);
    packet[11] = static_cast<std::uint8_t>(action);
    for (const std::size_t size : {std::size_t{16}, std::size_t{98}}) {
      INFO("action " << action << " size " << size);
      const auto failure = require_failure(udp::decode_request(prefix(packet, size)));
      CHECK(failure.error == udp::request_error::unknown_action);
      CHECK(failure.header_readable);
      CHECK(failure.connection == connection_id{0x1122334455667788ULL});
      CHECK(failure.transaction == transaction_id{0x99aabbccU});
    }
  }
}

TEST_CASE("decode_request: announce events", "[proto][udp][failure]") {
  bytes packet = valid_announce();
  const auto with_event = [&](std::uint32_t event) {
    packet[80] = static_cast<std::uint8_t>(event >> 24);
    packet[81] = static_cast<std::uint8_t>(event >> 16);
    packet[82] = static_cast<std::uint8_t>(event >> 8);
    packet[83] = static_cast<std::uint8_t>(event);
    return udp::decode_request(packet);
  };

  CHECK(require_request<udp::announce_request>(with_event(0)).event == udp::announce_event::none);
  CHECK(require_request<udp::announce_request>(with_event(1)).event == udp::announce_event::completed);
  CHECK(require_request<udp::announce_request>(with_event(2)).event == udp::announce_event::started);
  CHECK(require_request<udp::announce_request>(with_event(3)).event == udp::announce_event::stopped);
  // libtorrent's paused (BEP 21 partial seed) is accepted.
  CHECK(require_request<udp::announce_request>(with_event(4)).event == udp::announce_event::paused);

  for (const std::uint32_t event : {5U, 6U, 0x100U, 0x80000000U, 0xffffffffU}) {
    INFO("event " << event);
    const auto failure = require_failure(with_event(event));
    CHECK(failure.error == udp::request_error::bad_event);
    CHECK(failure.header_readable);
    CHECK(failure.connection == connection_id{0x1122334455667788ULL});
    CHECK(failure.transaction == transaction_id{0x99aabbccU});
  }
}

TEST_CASE("decode_request: num_want -1 and other signed fields", "[proto][udp]") {
  udp::announce_request request;
  request.num_want = -1;
  request.left = -1;  // nonsense from a client, but it must decode to the same bits
  request.downloaded = INT64_MIN;
  request.uploaded = INT64_MAX;
  bytes packet;
  udp::encode_announce_request(request, packet);
  REQUIRE(packet.size() == 98);  // no options, nothing appended
  CHECK(packet[92] == 0xff);
  CHECK(packet[95] == 0xff);
  const auto decoded = require_request<udp::announce_request>(udp::decode_request(packet));
  CHECK(decoded.num_want == -1);
  CHECK(decoded.left == -1);
  CHECK(decoded.downloaded == INT64_MIN);
  CHECK(decoded.uploaded == INT64_MAX);

  packet[92] = 0x80;
  packet[93] = packet[94] = packet[95] = 0;
  CHECK(require_request<udp::announce_request>(udp::decode_request(packet)).num_want == INT32_MIN);
}

TEST_CASE("decode_request: scrape hash counts", "[proto][udp][failure]") {
  std::mt19937_64 random(0x5c4a'9e01);
  std::vector<info_hash> hashes;
  for (int i = 0; i < 75; ++i) hashes.push_back(random_hash(random));
  const connection_id connection{0xabcdef0123456789ULL};
  const transaction_id transaction{31337};

  SECTION("no hash") {
    bytes packet;
    udp::encode_scrape_request(connection, transaction, {}, packet);
    REQUIRE(packet.size() == 16);
    const auto failure = require_failure(udp::decode_request(packet));
    CHECK(failure.error == udp::request_error::no_info_hashes);
    CHECK(failure.header_readable);
    CHECK(failure.connection == connection);
    CHECK(failure.transaction == transaction);
  }
  SECTION("a partial hash") {
    bytes packet;
    udp::encode_scrape_request(connection, transaction, std::span(hashes).first(2), packet);
    for (const std::size_t size : {17UL, 35UL, 37UL, 55UL}) {
      INFO("size " << size);
      const auto failure = require_failure(udp::decode_request(prefix(packet, size)));
      CHECK(failure.error == udp::request_error::trailing_bytes);
      CHECK(failure.header_readable);
      CHECK(failure.connection == connection);
      CHECK(failure.transaction == transaction);
    }
  }
  SECTION("exactly 74 hashes are accepted, in order") {
    bytes packet;
    udp::encode_scrape_request(connection, transaction, std::span(hashes).first(74), packet);
    REQUIRE(packet.size() == 16 + 20 * 74);
    const auto request = require_request<udp::scrape_request>(udp::decode_request(packet));
    REQUIRE(request.hashes.size() == 74);
    CHECK(std::equal(request.hashes.begin(), request.hashes.end(), hashes.begin()));
  }
  SECTION("75 hashes are too many") {
    bytes packet;
    udp::encode_scrape_request(connection, transaction, hashes, packet);
    REQUIRE(packet.size() == 16 + 20 * 75);
    const auto failure = require_failure(udp::decode_request(packet));
    CHECK(failure.error == udp::request_error::too_many_info_hashes);
    CHECK(failure.header_readable);
    CHECK(failure.connection == connection);
    CHECK(failure.transaction == transaction);
  }
}

TEST_CASE("decode_request: BEP 41 options are accepted, whatever they hold", "[proto][udp]") {
  const bytes base = valid_announce();
  const std::vector<bytes> tails = {
      {0x00},                    // end of options
      {0x01, 0x01, 0x00},        // NOP, NOP, end
      {0x02, 0x09, '/', 'a', 'n', 'n', 'o', 'u', 'n', 'c', 'e', 0x00},  // URL data, then end
      {0x02, 0xff, 'x'},         // a length that runs past the packet
      {0x02},                    // a type without its length
      {0x07, 0x03, 1, 2, 3},     // an unknown option
  };
  for (const bytes& tail : tails) {
    bytes packet = base;
    packet.insert(packet.end(), tail.begin(), tail.end());
    const auto request = require_request<udp::announce_request>(udp::decode_request(packet));
    CHECK(request.port == 6881);
  }
}

TEST_CASE("encode_announce_request splits URL data into options of at most 255 bytes", "[proto][udp]") {
  const std::string url(300, 'u');
  bytes packet;
  CHECK(udp::encode_announce_request(udp::announce_request{}, packet, {url}) == 98 + 2 + 255 + 2 + 45);
  REQUIRE(packet.size() == 98 + 2 + 255 + 2 + 45);
  CHECK(packet[98] == 2);
  CHECK(packet[99] == 255);
  CHECK(packet[98 + 2 + 255] == 2);
  CHECK(packet[98 + 2 + 255 + 1] == 45);
  CHECK(std::all_of(packet.begin() + 100, packet.begin() + 355, [](std::uint8_t b) { return b == 'u'; }));
  CHECK(std::all_of(packet.begin() + 357, packet.end(), [](std::uint8_t b) { return b == 'u'; }));

  bytes exact;
  CHECK(udp::encode_announce_request(udp::announce_request{}, exact, {std::string(255, 'v')}) == 98 + 2 + 255);
}

// ---------------------------------------------------------------------------------------------
// Response failures
// ---------------------------------------------------------------------------------------------

TEST_CASE("decode_response: failures", "[proto][udp][failure]") {
  const auto header = [](std::uint32_t action, std::size_t total) {
    bytes packet(total, 0);
    packet[3] = static_cast<std::uint8_t>(action);
    return packet;
  };
  for (const auto family : {address_family::ipv4, address_family::ipv6}) {
    for (std::size_t size = 0; size < 8; ++size) {
      CHECK(require_response_error(udp::decode_response(bytes(size, 0), family)) == udp::response_error::too_short);
    }
    for (std::size_t size = 8; size < 16; ++size) {
      CHECK(require_response_error(udp::decode_response(header(0, size), family)) ==
            udp::response_error::too_short);
    }
    for (std::size_t size = 8; size < 20; ++size) {
      CHECK(require_response_error(udp::decode_response(header(1, size), family)) ==
            udp::response_error::too_short);
    }
    CHECK(require_response_error(udp::decode_response(header(4, 8), family)) == udp::response_error::unknown_action);
    CHECK(require_response_error(udp::decode_response(header(0xff, 20), family)) ==
          udp::response_error::unknown_action);
    for (const std::size_t extra : {1UL, 11UL, 13UL}) {
      CHECK(require_response_error(udp::decode_response(header(2, 8 + extra), family)) ==
            udp::response_error::bad_scrape_length);
    }
  }
  for (const std::size_t area : {1UL, 5UL, 7UL, 17UL}) {
    CHECK(require_response_error(udp::decode_response(header(1, 20 + area), address_family::ipv4)) ==
          udp::response_error::bad_peer_area_length);
  }
  for (const std::size_t area : {1UL, 6UL, 12UL, 17UL, 19UL, 24UL}) {
    CHECK(require_response_error(udp::decode_response(header(1, 20 + area), address_family::ipv6)) ==
          udp::response_error::bad_peer_area_length);
  }
}

TEST_CASE("every error value has its own message", "[proto][udp]") {
  using udp::request_error;
  using udp::response_error;
  const std::vector<std::string_view> request_messages = {
      udp::to_string(request_error::too_short),       udp::to_string(request_error::bad_protocol_id),
      udp::to_string(request_error::unknown_action),  udp::to_string(request_error::bad_event),
      udp::to_string(request_error::no_info_hashes),  udp::to_string(request_error::too_many_info_hashes),
      udp::to_string(request_error::trailing_bytes),
  };
  const std::vector<std::string_view> response_messages = {
      udp::to_string(response_error::too_short),
      udp::to_string(response_error::unknown_action),
      udp::to_string(response_error::bad_peer_area_length),
      udp::to_string(response_error::bad_scrape_length),
  };
  for (const auto* list : {&request_messages, &response_messages}) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      CHECK_FALSE((*list)[i].empty());
      for (std::size_t j = i + 1; j < list->size(); ++j) CHECK((*list)[i] != (*list)[j]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Seeded random round trips
// ---------------------------------------------------------------------------------------------

TEST_CASE("round trip: requests", "[proto][udp][roundtrip]") {
  std::mt19937_64 random(0x0dd'ba11);
  for (int iteration = 0; iteration < 1000; ++iteration) {
    INFO("iteration " << iteration);

    // connect
    const transaction_id transaction{static_cast<std::uint32_t>(random())};
    bytes connect;
    REQUIRE(udp::encode_connect_request(transaction, connect) == 16);
    CHECK(require_request<udp::connect_request>(udp::decode_request(connect)).transaction == transaction);

    // announce, with URL data of 0..300 bytes (0, 1 or 2 options)
    udp::announce_request announce;
    announce.connection = connection_id{random()};
    announce.transaction = transaction_id{static_cast<std::uint32_t>(random())};
    announce.hash = random_hash(random);
    announce.peer = random_peer_id(random);
    announce.downloaded = static_cast<std::int64_t>(random());
    announce.left = iteration % 4 == 0 ? 0 : static_cast<std::int64_t>(random());
    announce.uploaded = static_cast<std::int64_t>(random());
    announce.event = static_cast<udp::announce_event>(uniform(random, 0, 4));
    announce.ipv4_address = static_cast<std::uint32_t>(random());
    announce.key = static_cast<std::uint32_t>(random());
    announce.num_want = iteration % 5 == 0 ? -1 : static_cast<std::int32_t>(static_cast<std::uint32_t>(random()));
    announce.port = static_cast<std::uint16_t>(random());
    const std::size_t url_size = uniform(random, 0, 300);
    std::string url(url_size, '\0');
    for (auto& c : url) c = static_cast<char>(random());
    const std::size_t options_size = url_size == 0 ? 0 : url_size <= 255 ? 2 + url_size : 4 + url_size;

    bytes packet{0x42};  // encoders append
    REQUIRE(udp::encode_announce_request(announce, packet, {url}) == 98 + options_size);
    REQUIRE(packet.size() == 1 + 98 + options_size);
    REQUIRE(packet[0] == 0x42);
    const auto decoded = udp::decode_request(std::span(packet).subspan(1));
    require_same(require_request<udp::announce_request>(decoded), announce);

    // scrape, 1..74 hashes
    const std::size_t count = uniform(random, 1, udp::max_scrape_hashes);
    std::vector<info_hash> hashes;
    for (std::size_t i = 0; i < count; ++i) hashes.push_back(random_hash(random));
    const connection_id scrape_connection{random()};
    bytes scrape;
    REQUIRE(udp::encode_scrape_request(scrape_connection, transaction, hashes, scrape) == 16 + 20 * count);
    const auto scrape_decoded = require_request<udp::scrape_request>(udp::decode_request(scrape));
    CHECK(scrape_decoded.connection == scrape_connection);
    CHECK(scrape_decoded.transaction == transaction);
    REQUIRE(scrape_decoded.hashes.size() == count);
    CHECK(std::equal(scrape_decoded.hashes.begin(), scrape_decoded.hashes.end(), hashes.begin()));
  }
}

TEST_CASE("round trip: responses", "[proto][udp][roundtrip]") {
  std::mt19937_64 random(0xfeed'5eed);
  for (int iteration = 0; iteration < 1000; ++iteration) {
    INFO("iteration " << iteration);
    const transaction_id transaction{static_cast<std::uint32_t>(random())};

    // connect
    const connection_id connection{random()};
    bytes connect;
    REQUIRE(udp::encode_connect_response({transaction, connection}, connect) == 16);
    const auto& connect_decoded =
        require_response<udp::connect_response>(udp::decode_response(connect, address_family::ipv4));
    CHECK(connect_decoded.transaction == transaction);
    CHECK(connect_decoded.connection == connection);

    const udp::announce_response_header header{transaction, static_cast<std::uint32_t>(random()),
                                               static_cast<std::uint32_t>(random()),
                                               static_cast<std::uint32_t>(random())};
    const auto same_header = [&](const udp::announce_response_header& h) {
      return h.transaction == header.transaction && h.interval == header.interval && h.leechers == header.leechers &&
             h.seeders == header.seeders;
    };

    // announce over IPv4, 0..200 peers
    std::vector<ipv4_endpoint> v4(uniform(random, 0, 200));
    for (auto& peer : v4) {
      for (auto& b : peer.address) b = static_cast<std::uint8_t>(random());
      peer.port = static_cast<std::uint16_t>(random());
    }
    bytes v4_packet;
    REQUIRE(udp::encode_announce_response(header, std::span<const ipv4_endpoint>(v4), v4_packet) == 20 + 6 * v4.size());
    const auto& v4_decoded =
        require_response<udp::announce_response>(udp::decode_response(v4_packet, address_family::ipv4));
    CHECK(same_header(v4_decoded.header));
    CHECK(v4_decoded.ipv4_peers == v4);
    CHECK(v4_decoded.ipv6_peers.empty());

    // announce over IPv6, 0..66 peers
    std::vector<ipv6_endpoint> v6(uniform(random, 0, 66));
    for (auto& peer : v6) {
      for (auto& b : peer.address) b = static_cast<std::uint8_t>(random());
      peer.port = static_cast<std::uint16_t>(random());
    }
    bytes v6_packet;
    REQUIRE(udp::encode_announce_response(header, std::span<const ipv6_endpoint>(v6), v6_packet) ==
            20 + 18 * v6.size());
    const auto& v6_decoded =
        require_response<udp::announce_response>(udp::decode_response(v6_packet, address_family::ipv6));
    CHECK(same_header(v6_decoded.header));
    CHECK(v6_decoded.ipv6_peers == v6);
    CHECK(v6_decoded.ipv4_peers.empty());

    // scrape, 0..74 entries
    std::vector<udp::scrape_entry> entries(uniform(random, 0, 74));
    for (auto& entry : entries) {
      entry = {static_cast<std::uint32_t>(random()), static_cast<std::uint32_t>(random()),
               static_cast<std::uint32_t>(random())};
    }
    bytes scrape;
    REQUIRE(udp::encode_scrape_response(transaction, entries, scrape) == 8 + 12 * entries.size());
    const auto& scrape_decoded =
        require_response<udp::scrape_response>(udp::decode_response(scrape, address_family::ipv6));
    CHECK(scrape_decoded.transaction == transaction);
    REQUIRE(scrape_decoded.entries.size() == entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      CHECK(scrape_decoded.entries[i].seeders == entries[i].seeders);
      CHECK(scrape_decoded.entries[i].completed == entries[i].completed);
      CHECK(scrape_decoded.entries[i].leechers == entries[i].leechers);
    }

    // error, any bytes (NUL included)
    std::string message(uniform(random, 0, 100), '\0');
    for (auto& c : message) c = static_cast<char>(random());
    bytes error;
    REQUIRE(udp::encode_error_response(transaction, message, error) == 8 + message.size());
    const auto error_decoded = require_response<udp::error_response>(udp::decode_response(error, address_family::ipv4));
    CHECK(error_decoded.transaction == transaction);
    CHECK(error_decoded.message == message);
  }
}

// ---------------------------------------------------------------------------------------------
// Never-crash sweep
// ---------------------------------------------------------------------------------------------

namespace {

// How often the sweep reached each success path: a sweep that only ever fails proves little.
struct sweep_counts {
  std::array<std::size_t, 3> requests{};   // connect, announce, scrape
  std::array<std::size_t, 4> responses{};  // connect, announce, scrape, error
};

// Decodes `packet` as a request and as a response of both families. Asserts only what must hold
// for any input: a value comes back, and whatever decodes re-encodes to the bytes it came from.
void sweep(std::span<const std::uint8_t> packet, sweep_counts& counts) {
  const bytes copy(packet.begin(), packet.end());
  const udp::decode_result result = udp::decode_request(packet);
  REQUIRE_FALSE(result.valueless_by_exception());
  if (const auto* request = std::get_if<udp::any_request>(&result)) {
    REQUIRE_FALSE(request->valueless_by_exception());
    ++counts.requests[request->index()];
    bytes encoded;
    if (const auto* connect = std::get_if<udp::connect_request>(request)) {
      udp::encode_connect_request(connect->transaction, encoded);
      REQUIRE(encoded == prefix(copy, 16));
    } else if (const auto* announce = std::get_if<udp::announce_request>(request)) {
      udp::encode_announce_request(*announce, encoded);
      REQUIRE(encoded == prefix(copy, 98));
    } else {
      const auto& scrape = std::get<udp::scrape_request>(*request);
      REQUIRE_FALSE(scrape.hashes.empty());
      udp::encode_scrape_request(scrape.connection, scrape.transaction, hashes_of(scrape), encoded);
      REQUIRE(encoded == copy);  // 16 + 20n: nothing may be left over
    }
  } else {
    const auto& failure = std::get<udp::decode_failure>(result);
    if (failure.header_readable) {
      REQUIRE(copy.size() >= 16);
      bytes header;
      udp::encode_scrape_request(failure.connection, failure.transaction, {}, header);
      // Same connection id and transaction id bytes as the packet (action bytes 8..12 aside).
      REQUIRE(std::equal(header.begin(), header.begin() + 8, copy.begin()));
      REQUIRE(std::equal(header.begin() + 12, header.end(), copy.begin() + 12));
    }
  }

  for (const auto family : {address_family::ipv4, address_family::ipv6}) {
    const udp::response_decode_result response = udp::decode_response(packet, family);
    REQUIRE_FALSE(response.valueless_by_exception());
    const auto* decoded = std::get_if<udp::any_response>(&response);
    if (decoded == nullptr) continue;
    REQUIRE_FALSE(decoded->valueless_by_exception());
    ++counts.responses[decoded->index()];
    bytes encoded;
    if (const auto* connect = std::get_if<udp::connect_response>(decoded)) {
      udp::encode_connect_response(*connect, encoded);
      REQUIRE(encoded == prefix(copy, 16));
    } else if (const auto* announce = std::get_if<udp::announce_response>(decoded)) {
      if (family == address_family::ipv4) {
        REQUIRE(announce->ipv6_peers.empty());
        udp::encode_announce_response(announce->header, std::span<const ipv4_endpoint>(announce->ipv4_peers), encoded);
      } else {
        REQUIRE(announce->ipv4_peers.empty());
        udp::encode_announce_response(announce->header, std::span<const ipv6_endpoint>(announce->ipv6_peers), encoded);
      }
      REQUIRE(encoded == copy);
    } else if (const auto* scrape = std::get_if<udp::scrape_response>(decoded)) {
      udp::encode_scrape_response(scrape->transaction, scrape->entries, encoded);
      REQUIRE(encoded == copy);
    } else {
      const auto& error = std::get<udp::error_response>(*decoded);
      udp::encode_error_response(error.transaction, error.message, encoded);
      REQUIRE(encoded == copy);
    }
  }
}

}  // namespace

TEST_CASE("never crash: every length 0..200 of zeros, 0xff and random bytes", "[proto][udp][sweep]") {
  std::mt19937_64 random(0xc0de'0042);
  sweep_counts counts;
  for (std::size_t size = 0; size <= 200; ++size) {
    INFO("size " << size);
    sweep(bytes(size, 0x00), counts);
    sweep(bytes(size, 0xff), counts);
    for (int i = 0; i < 4; ++i) sweep(random_bytes(random, size), counts);
  }
  // All zeros from 16 bytes on is a connect response (action 0); from 8 on, nothing else is.
  CHECK(counts.responses[0] >= 2 * (201 - 16));
}

TEST_CASE("never crash: random packets with valid headers", "[proto][udp][sweep]") {
  std::mt19937_64 random(0xbad'c0de);
  sweep_counts counts;
  const auto put32 = [](bytes& packet, std::size_t offset, std::uint32_t value) {
    for (std::size_t i = 0; i < 4; ++i) packet[offset + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  };
  for (std::size_t size = 0; size <= 200; ++size) {
    INFO("size " << size);
    for (int i = 0; i < 8; ++i) {
      // Requests: a connect with the protocol id, an announce with a mostly valid event, a scrape,
      // and action 3 (not a request).
      for (std::uint32_t action = 0; action <= 3; ++action) {
        bytes packet = random_bytes(random, size);
        if (size >= 16) {
          put32(packet, 8, action);
          if (action == 0) {
            put32(packet, 0, static_cast<std::uint32_t>(udp::protocol_id >> 32));
            put32(packet, 4, static_cast<std::uint32_t>(udp::protocol_id));
          }
          if (action == 1 && size >= 84) put32(packet, 80, static_cast<std::uint32_t>(uniform(random, 0, 5)));
        }
        sweep(packet, counts);
      }
      // Responses: each action in the first 4 bytes.
      for (std::uint32_t action = 0; action <= 3; ++action) {
        bytes packet = random_bytes(random, size);
        if (size >= 4) put32(packet, 0, action);
        sweep(packet, counts);
      }
    }
  }
  // Every success path was reached, many times.
  for (const std::size_t count : counts.requests) CHECK(count > 50);
  for (const std::size_t count : counts.responses) CHECK(count > 50);
}
