// What the tracker must not answer (BEP 15 and protocols.md): anything without a valid connection
// id, a connect without the protocol id, and runts. A reply there would make the tracker a
// reflector for forged source addresses. And what it must answer with an error once the client
// has proved its address.
//
// Silence is proved without waiting for a timeout: udp_test_client::reply_before_probe sends a
// connect and a scrape after the bad datagram and requires their replies to be the first ones.

#include <catch2/catch.hpp>

#include "tracker/proto/byte_io.hpp"
#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

namespace udp = proto::udp;
using proto::address_family;

// A 16-byte header: connection id, action, transaction id.
std::vector<std::uint8_t> header(std::uint64_t connection, std::uint32_t action, std::uint32_t transaction) {
  std::vector<std::uint8_t> datagram;
  proto::append_be(datagram, connection);
  proto::append_be(datagram, action);
  proto::append_be(datagram, transaction);
  return datagram;
}

// An id this tracker never issued to anyone: the client's own, with its MAC bits flipped.
proto::connection_id forged(proto::connection_id valid) { return {valid.value ^ 0x00000000'ffffffffULL}; }

TEST_CASE("silence: no reply without a valid connection id, or to a bad connect", "[udp][silence]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client(client_address(family, 0), tracker->port());
  const proto::connection_id valid = client.connect();
  const proto::info_hash hash = make_info_hash(400);

  SECTION("announce with a bad connection id") {
    udp::announce_request request = client.make_announce(hash, 7001);
    std::vector<std::uint8_t> datagram;
    for (const proto::connection_id bad : {forged(valid), proto::connection_id{0}, proto::connection_id{udp::protocol_id}}) {
      request.connection = bad;
      datagram.clear();
      udp::encode_announce_request(request, datagram);
      client.send_raw(datagram);
    }
    CHECK(client.reply_before_probe(hash) == "none");
    // Not answered, and not applied either.
    CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{});
  }

  SECTION("scrape with a bad connection id") {
    client.announce_ok(client.make_announce(hash, 7001));
    std::vector<std::uint8_t> datagram;
    udp::encode_scrape_request(forged(valid), client.next_transaction(), std::span<const proto::info_hash>(&hash, 1),
                               datagram);
    client.send_raw(datagram);
    CHECK(client.reply_before_probe(hash) == "none");
  }

  SECTION("bad requests with a bad connection id: unknown action, bad event, too short, no hash") {
    client.send_raw(header(forged(valid).value, 7, client.next_transaction().value));  // unknown action
    std::vector<std::uint8_t> unknown_action_long = header(forged(valid).value, 0xffffffff, 1);
    unknown_action_long.resize(200, 0xaa);
    client.send_raw(unknown_action_long);

    udp::announce_request request = client.make_announce(hash, 7001);
    request.connection = forged(valid);
    std::vector<std::uint8_t> announce;
    udp::encode_announce_request(request, announce);
    announce[83] = 5;  // event 5
    client.send_raw(announce);
    announce.resize(50);  // an announce cut short
    client.send_raw(announce);

    client.send_raw(header(forged(valid).value, 2, client.next_transaction().value));  // scrape of no hash
    CHECK(client.reply_before_probe(hash) == "none");
  }

  SECTION("connect with a wrong protocol id") {
    client.send_raw(header(udp::protocol_id + 1, 0, client.next_transaction().value));
    client.send_raw(header(0, 0, client.next_transaction().value));
    client.send_raw(header(valid.value, 0, client.next_transaction().value));  // a connection id is no protocol id
    CHECK(client.reply_before_probe(hash) == "none");
  }

  SECTION("datagrams shorter than 16 bytes") {
    // Even a connect cut short, whose first bytes are right.
    const std::vector<std::uint8_t> connect = header(udp::protocol_id, 0, client.next_transaction().value);
    for (std::size_t size = 0; size < 16; ++size) {
      client.send_raw(std::span<const std::uint8_t>(connect.data(), size));
    }
    CHECK(client.reply_before_probe(hash) == "none");
  }
}

TEST_CASE("silence: with a valid connection id, an unknown action or a bad event gets an error reply",
          "[udp][silence]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client(client_address(family, 0), tracker->port());
  const proto::connection_id valid = client.connect();
  const proto::info_hash hash = make_info_hash(410);

  SECTION("unknown action") {
    const proto::transaction_id transaction = client.next_transaction();
    client.send_raw(header(valid.value, 7, transaction.value));
    const auto reply = client.receive_response();
    REQUIRE(std::holds_alternative<udp::error_response>(reply));
    CHECK(std::get<udp::error_response>(reply).transaction == transaction);
    CHECK_FALSE(std::get<udp::error_response>(reply).message.empty());
  }

  SECTION("announce event 5") {
    const udp::announce_request request = client.make_announce(hash, 7001);
    std::vector<std::uint8_t> datagram;
    udp::encode_announce_request(request, datagram);
    datagram[83] = 5;
    client.send_raw(datagram);
    const auto reply = client.receive_response();
    REQUIRE(std::holds_alternative<udp::error_response>(reply));
    CHECK(std::get<udp::error_response>(reply).transaction == request.transaction);
    CHECK_FALSE(std::get<udp::error_response>(reply).message.empty());
    CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{});
  }
}

}  // namespace
}  // namespace riptide::test
