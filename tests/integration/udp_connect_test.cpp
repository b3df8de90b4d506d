// BEP 15 connect against the real tracker: the reply's layout, and connection ids bound to the
// address they were issued to.

#include <catch2/catch.hpp>

#include "tracker/proto/byte_io.hpp"
#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

namespace udp = proto::udp;
using proto::address_family;

TEST_CASE("connect: a 16-byte reply with action 0, the same transaction id and a usable id", "[udp][connect]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client(client_address(family, 0), tracker->port());

  const proto::transaction_id transaction{0x01020304};
  std::vector<std::uint8_t> request;
  udp::encode_connect_request(transaction, request);
  REQUIRE(request.size() == 16);
  client.send_raw(request);
  const std::vector<std::uint8_t> reply = client.receive();

  // No reply to an unauthenticated request may be larger than the request: 16 bytes for 16.
  REQUIRE(reply.size() == 16);
  CHECK(proto::read_be<std::uint32_t>(reply, 0) == 0);           // action connect
  CHECK(proto::read_be<std::uint32_t>(reply, 4) == 0x01020304);  // transaction id echoed
  const proto::connection_id connection{proto::read_be<std::uint64_t>(reply, 8)};

  // The id works, and keeps working for repeated requests.
  client.set_connection(connection);
  const proto::info_hash hash = make_info_hash(1);
  CHECK(client.announce_ok(client.make_announce(hash, 7001)).header.leechers == 1);
  CHECK(client.announce_ok(client.make_announce(hash, 7001)).header.leechers == 1);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{0, 0, 1});
}

TEST_CASE("connect: a connection id is bound to the address it was issued to", "[udp][connect]") {
  // IPv4 only: ::1 is the one IPv6 loopback address, so there is no second IPv6 source to try.
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client_a(client_address(address_family::ipv4, 0), tracker->port());  // 127.0.0.1
  udp_test_client client_b(client_address(address_family::ipv4, 1), tracker->port());  // 127.0.0.2
  const proto::connection_id id_a = client_a.connect();
  const proto::connection_id id_b = client_b.connect();
  CHECK(id_a != id_b);

  const proto::info_hash hash = make_info_hash(2);
  SECTION("an announce from B with A's id gets no reply and changes nothing") {
    client_b.set_connection(id_a);
    std::vector<std::uint8_t> datagram;
    udp::encode_announce_request(client_b.make_announce(hash, 7002), datagram);
    client_b.send_raw(datagram);
    CHECK(client_b.reply_before_probe(hash) == "none");
    CHECK(counts_of(client_b.scrape_one(hash)) == swarm_counts{});
  }
  SECTION("a scrape from B with A's id gets no reply") {
    client_a.announce_ok(client_a.make_announce(hash, 7001));
    client_b.set_connection(id_a);
    std::vector<std::uint8_t> datagram;
    udp::encode_scrape_request(id_a, client_b.next_transaction(), std::span<const proto::info_hash>(&hash, 1),
                               datagram);
    client_b.send_raw(datagram);
    CHECK(client_b.reply_before_probe(hash) == "none");
  }
  // A's id still serves A.
  CHECK(client_a.connection() == id_a);
  CHECK(client_a.announce_ok(client_a.make_announce(make_info_hash(3), 7001)).header.leechers == 1);
}

}  // namespace
}  // namespace riptide::test
