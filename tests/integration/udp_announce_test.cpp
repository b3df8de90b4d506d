// BEP 15 announce against the real tracker, over IPv4 and IPv6: counts, peer lists, num_want,
// events, the ignored IPv4 field, BEP 41 URL data and the error reply for port 0.

#include <catch2/catch.hpp>

#include "tracker/proto/byte_io.hpp"
#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

namespace udp = proto::udp;
using proto::address_family;

constexpr std::uint32_t interval_seconds = 900;

tracker_config announce_config() {
  tracker_config config;
  config.set("swarm", "announce_interval_seconds", interval_seconds);
  return config;
}

std::size_t peer_entry_size(address_family family) {
  return family == address_family::ipv4 ? udp::ipv4_peer_size : udp::ipv6_peer_size;
}

// Sends `request` and returns the raw reply, so that its exact length can be checked.
std::vector<std::uint8_t> announce_raw(udp_test_client& client, const udp::announce_request& request) {
  std::vector<std::uint8_t> datagram;
  udp::encode_announce_request(request, datagram);
  client.send_raw(datagram);
  return client.receive();
}

udp::announce_response decode_announce(const std::vector<std::uint8_t>& datagram, address_family family) {
  auto decoded = udp::decode_response(datagram, family);
  REQUIRE(std::holds_alternative<udp::any_response>(decoded));
  const auto& response = std::get<udp::any_response>(decoded);
  REQUIRE(std::holds_alternative<udp::announce_response>(response));
  return std::get<udp::announce_response>(response);
}

TEST_CASE("announce: interval, counts, and peer lists of distinct other peers with their source address",
          "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(announce_config());
  // Four peers; over IPv4 each has its own address (127.0.0.1 .. 4), over IPv6 they share ::1.
  // Peers are told apart by (source address, announced port).
  std::vector<std::unique_ptr<udp_test_client>> clients;
  const std::uint16_t ports[] = {7001, 7002, 7003, 7004};
  for (unsigned i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<udp_test_client>(client_address(family, i), tracker->port()));
    clients.back()->connect();
  }
  const proto::info_hash hash = make_info_hash(10);
  const auto announce = [&](unsigned who, std::int64_t left) {
    udp::announce_request request = clients[who]->make_announce(hash, ports[who]);
    request.left = left;
    const std::vector<std::uint8_t> datagram = announce_raw(*clients[who], request);
    INFO("reply: " << udp_test_client::describe(datagram, family));
    REQUIRE(datagram.size() >= udp::announce_response_header_size);
    CHECK(proto::read_be<std::uint32_t>(datagram, 0) == 1);  // action announce
    CHECK(proto::read_be<std::uint32_t>(datagram, 4) == request.transaction.value);
    udp::announce_response reply = decode_announce(datagram, family);
    // One entry per peer, of the family's size: 6 bytes (IPv4 + port) or 18 (IPv6 + port).
    CHECK(datagram.size() == udp::announce_response_header_size + peers_of(reply).size() * peer_entry_size(family));
    CHECK(reply.header.interval == interval_seconds);
    return reply;
  };
  const auto peer = [&](unsigned who) { return peer_of(*clients[who], ports[who]); };

  // Client 0 seeds (left == 0); the others leech.
  auto reply = announce(0, 0);
  CHECK(reply.header.seeders == 1);
  CHECK(reply.header.leechers == 0);
  CHECK(peers_of(reply).empty());

  reply = announce(1, 1000);
  CHECK(reply.header.seeders == 1);
  CHECK(reply.header.leechers == 1);
  CHECK(peers_of(reply) == std::vector<listed_peer>{peer(0)});

  reply = announce(2, 1000);
  CHECK(reply.header.seeders == 1);
  CHECK(reply.header.leechers == 2);
  auto peers = peers_of(reply);
  INFO("peers " << describe(peers));
  CHECK(peers.size() == 2);
  CHECK(all_distinct(peers));
  CHECK(contains(peers, peer(0)));
  CHECK(contains(peers, peer(1)));
  CHECK_FALSE(contains(peers, peer(2)));

  // A leecher sees everyone else; the announcer is never in its own list.
  reply = announce(1, 1000);
  peers = peers_of(reply);
  CHECK(peers.size() == 2);
  CHECK(all_distinct(peers));
  CHECK_FALSE(contains(peers, peer(1)));

  // A second seeder: seeders get only leechers, never the other seeder.
  reply = announce(3, 0);
  CHECK(reply.header.seeders == 2);
  CHECK(reply.header.leechers == 2);
  peers = peers_of(reply);
  std::sort(peers.begin(), peers.end());
  std::vector<listed_peer> leechers{peer(1), peer(2)};
  std::sort(leechers.begin(), leechers.end());
  CHECK(peers == leechers);

  reply = announce(0, 0);
  peers = peers_of(reply);
  std::sort(peers.begin(), peers.end());
  CHECK(peers == leechers);

  CHECK(counts_of(clients[0]->scrape_one(hash)) == swarm_counts{2, 0, 2});
}

TEST_CASE("announce: num_want -1 gives swarm.default_num_want, and num_want is capped by max_peers",
          "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const proto::info_hash hash = make_info_hash(20);
  // Ten leechers, all from one client socket with distinct announced ports.
  const auto fill_swarm = [&](udp_test_client& client) {
    for (std::uint16_t port = 8001; port <= 8010; ++port) client.announce_ok(client.make_announce(hash, port));
  };

  SECTION("default_num_want = 5") {
    tracker_config config;
    config.set("swarm", "default_num_want", 5);
    const auto tracker = start_tracker(config);
    udp_test_client client(client_address(family, 0), tracker->port());
    client.connect();
    fill_swarm(client);

    udp::announce_request request = client.make_announce(hash, 9000);
    request.num_want = -1;
    auto peers = peers_of(client.announce_ok(request));
    CHECK(peers.size() == 5);
    CHECK(all_distinct(peers));
    CHECK_FALSE(contains(peers, peer_of(client, 9000)));

    // An explicit num_want above the default is honoured (max_peers is 200 / 66 here).
    request = client.make_announce(hash, 9000);
    request.num_want = 8;
    peers = peers_of(client.announce_ok(request));
    CHECK(peers.size() == 8);
    CHECK(all_distinct(peers));

    // Asking for more than the swarm holds gives every other peer once.
    request = client.make_announce(hash, 9000);
    request.num_want = 100;
    peers = peers_of(client.announce_ok(request));
    CHECK(peers.size() == 10);
    CHECK(all_distinct(peers));
    CHECK_FALSE(contains(peers, peer_of(client, 9000)));
  }

  SECTION("max_peers_ipv4 = max_peers_ipv6 = 3") {
    tracker_config config;
    config.set("swarm", "max_peers_ipv4", 3);
    config.set("swarm", "max_peers_ipv6", 3);
    const auto tracker = start_tracker(config);
    udp_test_client client(client_address(family, 0), tracker->port());
    client.connect();
    fill_swarm(client);

    udp::announce_request request = client.make_announce(hash, 9000);
    request.num_want = 50;
    auto peers = peers_of(client.announce_ok(request));
    CHECK(peers.size() == 3);
    CHECK(all_distinct(peers));

    // The default (50) is capped too.
    request = client.make_announce(hash, 9000);
    request.num_want = -1;
    CHECK(peers_of(client.announce_ok(request)).size() == 3);
  }
}

TEST_CASE("announce: stopped removes the peer at once and its reply has no peers", "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client first(client_address(family, 0), tracker->port());
  udp_test_client second(client_address(family, 1), tracker->port());
  first.connect();
  second.connect();
  const proto::info_hash hash = make_info_hash(30);

  first.announce_ok(first.make_announce(hash, 7001));
  second.announce_ok(second.make_announce(hash, 7002));
  CHECK(counts_of(first.scrape_one(hash)) == swarm_counts{0, 0, 2});

  udp::announce_request stop = first.make_announce(hash, 7001);
  stop.event = udp::announce_event::stopped;
  const udp::announce_response stopped = first.announce_ok(stop);
  CHECK(peers_of(stopped).empty());
  CHECK(counts_of(first.scrape_one(hash)) == swarm_counts{0, 0, 1});

  const auto peers = peers_of(second.announce_ok(second.make_announce(hash, 7002)));
  CHECK(peers.empty());

  // The last peer stopping empties the torrent.
  stop = second.make_announce(hash, 7002);
  stop.event = udp::announce_event::stopped;
  CHECK(peers_of(second.announce_ok(stop)).empty());
  CHECK(counts_of(second.scrape_one(hash)) == swarm_counts{});
}

TEST_CASE("announce: paused (event 4, libtorrent) is accepted", "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();
  const proto::info_hash hash = make_info_hash(40);
  client.announce_ok(client.make_announce(hash, 7001));

  udp::announce_request paused = client.make_announce(hash, 7002);
  paused.event = udp::announce_event::paused;
  const udp::announce_response reply = client.announce_ok(paused);
  CHECK(reply.header.seeders + reply.header.leechers == 2);
  CHECK(peers_of(reply) == std::vector<listed_peer>{peer_of(client, 7001)});
}

TEST_CASE("announce: completed increments the completed count once per peer", "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();
  const proto::info_hash hash = make_info_hash(50);

  udp::announce_request request = client.make_announce(hash, 7001);
  request.event = udp::announce_event::started;
  request.left = 5000;
  client.announce_ok(request);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{0, 0, 1});

  request = client.make_announce(hash, 7001);
  request.event = udp::announce_event::completed;
  request.left = 0;
  client.announce_ok(request);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{1, 1, 0});

  // The same peer saying completed again is not a second download.
  request = client.make_announce(hash, 7001);
  request.event = udp::announce_event::completed;
  request.left = 0;
  client.announce_ok(request);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{1, 1, 0});

  // Another peer completing is.
  request = client.make_announce(hash, 7002);
  request.event = udp::announce_event::completed;
  request.left = 0;
  client.announce_ok(request);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{2, 2, 0});
}

TEST_CASE("announce: the IPv4 address field of the request is ignored", "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client liar(client_address(family, 1), tracker->port());
  udp_test_client other(client_address(family, 2), tracker->port());
  liar.connect();
  other.connect();
  const proto::info_hash hash = make_info_hash(60);

  udp::announce_request request = liar.make_announce(hash, 7001);
  request.ipv4_address = 0x01020304;  // 1.2.3.4
  liar.announce_ok(request);

  const auto peers = peers_of(other.announce_ok(other.make_announce(hash, 7002)));
  INFO("peers " << describe(peers));
  CHECK(peers == std::vector<listed_peer>{peer_of(liar, 7001)});
}

TEST_CASE("announce: a 109-byte libtorrent announce with BEP 41 URL data is accepted", "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();
  const proto::info_hash hash = make_info_hash(70);

  udp::announce_request request = client.make_announce(hash, 7001);
  request.event = udp::announce_event::started;
  std::vector<std::uint8_t> datagram;
  udp::encode_announce_request(request, datagram, {"/announce"});
  // 98 bytes, then option 2 (URL data), length 9, "/announce"; no end-of-options byte.
  REQUIRE(datagram.size() == 109);
  CHECK(datagram[98] == 2);
  CHECK(datagram[99] == 9);

  const auto reply = client.announce(request, {"/announce"});
  REQUIRE(std::holds_alternative<udp::announce_response>(reply));
  CHECK(std::get<udp::announce_response>(reply).header.leechers == 1);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{0, 0, 1});
}

TEST_CASE("announce: port 0 with a valid connection id gets an error reply", "[udp][announce]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const auto tracker = start_tracker(tracker_config());
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();
  const proto::info_hash hash = make_info_hash(80);

  const udp::announce_request request = client.make_announce(hash, 0);
  const std::vector<std::uint8_t> datagram = announce_raw(client, request);
  INFO("reply: " << udp_test_client::describe(datagram, family));
  REQUIRE(datagram.size() > udp::error_response_header_size);  // a message follows the header
  CHECK(proto::read_be<std::uint32_t>(datagram, 0) == 3);        // action error
  CHECK(proto::read_be<std::uint32_t>(datagram, 4) == request.transaction.value);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{});
}

}  // namespace
}  // namespace riptide::test
