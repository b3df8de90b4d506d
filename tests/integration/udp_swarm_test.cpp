// Swarms across the tracker: IPv4 and IPv6 peers of one info hash are kept apart, and several
// socket and request workers serving many clients at once give consistent counts.

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

namespace udp = proto::udp;

// Announces one peer (port 7200) in each of `count` torrents from make_info_hash(first) on; the
// number answered, every other one having got the error `refusal`.
unsigned announces_accepted(udp_test_client& client, std::uint32_t first, std::uint32_t count,
                            const std::string& refusal) {
  unsigned accepted = 0;
  for (std::uint32_t t = 0; t < count; ++t) {
    const auto response = client.announce(client.make_announce(make_info_hash(first + t), 7200));
    if (std::holds_alternative<udp::announce_response>(response)) {
      ++accepted;
    } else {
      REQUIRE(std::holds_alternative<udp::error_response>(response));
      CHECK(std::get<udp::error_response>(response).message == refusal);
    }
  }
  return accepted;
}
using proto::address_family;

TEST_CASE("families apart: IPv4 and IPv6 peers of one hash never see each other", "[udp][swarm]") {
  const auto tracker = start_tracker(tracker_config());
  udp_test_client v4(client_address(address_family::ipv4, 0), tracker->port());
  udp_test_client v6(client_address(address_family::ipv6, 0), tracker->port());
  v4.connect();
  v6.connect();
  const proto::info_hash only_v4 = make_info_hash(500);
  const proto::info_hash only_v6 = make_info_hash(501);
  const proto::info_hash both = make_info_hash(502);

  v4.announce_ok(v4.make_announce(only_v4, 7001));
  udp::announce_request seed = v6.make_announce(only_v6, 7002);
  seed.left = 0;
  v6.announce_ok(seed);

  CHECK(counts_of(v4.scrape_one(only_v4)) == swarm_counts{0, 0, 1});
  CHECK(counts_of(v6.scrape_one(only_v4)) == swarm_counts{});
  CHECK(counts_of(v6.scrape_one(only_v6)) == swarm_counts{1, 0, 0});
  CHECK(counts_of(v4.scrape_one(only_v6)) == swarm_counts{});

  // One hash announced over both: each family counts and lists only its own peers.
  seed = v6.make_announce(both, 7003);
  seed.left = 0;
  v6.announce_ok(seed);
  const udp::announce_response reply = v4.announce_ok(v4.make_announce(both, 7004));
  CHECK(reply.header.seeders == 0);
  CHECK(reply.header.leechers == 1);
  CHECK(reply.ipv4_peers.empty());  // an IPv6 entry here would also break the 6-byte framing
  seed = v6.make_announce(both, 7003);
  seed.left = 0;
  const udp::announce_response reply6 = v6.announce_ok(seed);
  CHECK(reply6.header.seeders == 1);
  CHECK(reply6.header.leechers == 0);
  CHECK(reply6.ipv6_peers.empty());
  CHECK(counts_of(v4.scrape_one(both)) == swarm_counts{0, 0, 1});
  CHECK(counts_of(v6.scrape_one(both)) == swarm_counts{1, 0, 0});
}

TEST_CASE("worker layouts: many clients on the same torrents get consistent counts and peers", "[udp][swarm]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  // 2 socket workers handing off to 3 request workers; and the single-thread layout in which the
  // socket worker owns every torrent (request_workers = 0).
  const auto [socket_workers, request_workers] = GENERATE(std::pair{2, 3}, std::pair{1, 0});
  INFO("family " << to_string(family) << ", workers " << socket_workers << " + " << request_workers);
  tracker_config config;
  config.set("workers", "socket_workers", socket_workers);
  config.set("workers", "request_workers", request_workers);
  const auto tracker = start_tracker(config);

  // 24 clients: over IPv4 from 127.0.0.11 .. 127.0.0.34, over IPv6 all from ::1 (SO_REUSEPORT
  // spreads their source ports over both socket workers). Every fourth one seeds.
  constexpr unsigned client_count = 24;
  constexpr std::uint32_t seeders = client_count / 4;
  constexpr std::uint32_t leechers = client_count - seeders;
  std::vector<std::unique_ptr<udp_test_client>> clients;
  std::vector<listed_peer> members;
  for (unsigned k = 0; k < client_count; ++k) {
    clients.push_back(std::make_unique<udp_test_client>(client_address(family, 10 + k), tracker->port()));
    clients.back()->connect();
    members.push_back(peer_of(*clients.back(), static_cast<std::uint16_t>(20000 + k)));
  }
  const auto is_seeder = [](unsigned k) { return k % 4 == 0; };
  std::vector<proto::info_hash> torrents;
  for (std::uint32_t t = 0; t < 6; ++t) torrents.push_back(make_info_hash(600 + t));

  // One round: every client announces on every torrent, all sent before any reply is read, so
  // that the workers serve them concurrently. Returns each client's replies by torrent.
  const auto round = [&] {
    std::vector<std::map<std::uint32_t, std::size_t>> torrent_of_transaction(client_count);
    for (std::size_t t = 0; t < torrents.size(); ++t) {
      for (unsigned k = 0; k < client_count; ++k) {
        udp::announce_request request = clients[k]->make_announce(torrents[t], static_cast<std::uint16_t>(20000 + k));
        request.left = is_seeder(k) ? 0 : 1000;
        std::vector<std::uint8_t> datagram;
        udp::encode_announce_request(request, datagram);
        clients[k]->send_raw(datagram);
        torrent_of_transaction[k][request.transaction.value] = t;
      }
    }
    std::vector<std::vector<udp::announce_response>> replies(client_count,
                                                              std::vector<udp::announce_response>(torrents.size()));
    for (unsigned k = 0; k < client_count; ++k) {
      for (std::size_t i = 0; i < torrents.size(); ++i) {
        const auto response = clients[k]->receive_response();
        REQUIRE(std::holds_alternative<udp::announce_response>(response));
        const auto& reply = std::get<udp::announce_response>(response);
        const auto found = torrent_of_transaction[k].find(reply.header.transaction.value);
        REQUIRE(found != torrent_of_transaction[k].end());
        replies[k][found->second] = reply;
        torrent_of_transaction[k].erase(found);
      }
    }
    return replies;
  };

  for (const auto& per_client : round()) {
    for (const auto& reply : per_client) {
      CHECK(reply.header.seeders <= seeders);
      CHECK(reply.header.leechers <= leechers);
    }
  }

  // Everyone is in now: the second round sees the whole swarm every time.
  const auto replies = round();
  for (unsigned k = 0; k < client_count; ++k) {
    for (std::size_t t = 0; t < torrents.size(); ++t) {
      INFO("client " << k << ", torrent " << t);
      const auto& reply = replies[k][t];
      CHECK(reply.header.seeders == seeders);
      CHECK(reply.header.leechers == leechers);
      const auto peers = peers_of(reply);
      CHECK(peers.size() == (is_seeder(k) ? leechers : client_count - 1));
      CHECK(all_distinct(peers));
      CHECK_FALSE(contains(peers, members[k]));
      for (const listed_peer& peer : peers) {
        CHECK(contains(members, peer));
        if (is_seeder(k)) {
          const auto index = static_cast<unsigned>(std::find(members.begin(), members.end(), peer) - members.begin());
          CHECK_FALSE(is_seeder(index));
        }
      }
    }
  }

  const auto entries = clients[1]->scrape_ok(torrents);
  for (const auto& entry : entries) CHECK(counts_of(entry) == swarm_counts{seeders, 0, leechers});
  CHECK(tracker->stop() == 0);  // and a clean exit (under the sanitizer presets: no leak, no race at stop)
}

}  // namespace
}  // namespace riptide::test

namespace riptide::test {
namespace {

TEST_CASE("a full tracker refuses new peers with an error and keeps serving the others", "[udp][swarm]") {
  tracker_config config;
  config.set("swarm", "max_peers", 2);
  const auto tracker = start_tracker(config);
  const proto::info_hash torrent = make_info_hash(700);
  std::vector<std::unique_ptr<udp_test_client>> clients;
  for (unsigned k = 0; k < 3; ++k) {
    clients.push_back(std::make_unique<udp_test_client>(client_address(proto::address_family::ipv4, 40 + k),
                                                        tracker->port()));
    clients.back()->connect();
  }
  clients[0]->announce_ok(clients[0]->make_announce(torrent, 7100));
  clients[1]->announce_ok(clients[1]->make_announce(torrent, 7101));
  const auto refused = clients[2]->announce_error(clients[2]->make_announce(torrent, 7102));
  CHECK(refused.message == "tracker is full");
  // The peers already in keep announcing, and still see each other.
  const auto again = clients[0]->announce_ok(clients[0]->make_announce(torrent, 7100));
  CHECK(again.ipv4_peers.size() == 1);
  // IPv6 has its own bound.
  udp_test_client v6(client_address(proto::address_family::ipv6, 0), tracker->port());
  v6.connect();
  v6.announce_ok(v6.make_announce(torrent, 7103));
}


TEST_CASE("split over request workers, the tracker-wide bounds hold exactly", "[udp][swarm]") {
  // 10 over 3 shards is 4 + 3 + 3. Each shard's part used to be rounded up to 4, so that 12 could
  // get in; with 200 hashes every shard fills to its part, whatever the keyed hash does.
  const bool bound_torrents = GENERATE(true, false);
  const unsigned request_workers = GENERATE(3U, 0U);
  INFO((bound_torrents ? "max_torrents" : "max_peers") << " = 10, request_workers = " << request_workers);
  tracker_config config;
  config.set("workers", "request_workers", request_workers);
  config.set("swarm", bound_torrents ? "max_torrents" : "max_peers", 10);
  const auto tracker = start_tracker(config);
  udp_test_client client(client_address(proto::address_family::ipv4, 50), tracker->port());
  client.connect();
  CHECK(announces_accepted(client, 800, 200, "tracker is full") == 10);
}

}  // namespace
}  // namespace riptide::test

namespace riptide::test {
namespace {

TEST_CASE("one address holds at most max_peers_per_source peers, and other addresses are not held back",
          "[udp][swarm]") {
  tracker_config config;
  config.set("swarm", "max_peers", 1000);  // a limit as small as 3 needs max_peers at most 3 * 32768
  config.set("swarm", "max_peers_per_source", 3);
  const auto tracker = start_tracker(config);
  udp_test_client heavy(client_address(proto::address_family::ipv4, 60), tracker->port());
  udp_test_client other(client_address(proto::address_family::ipv4, 61), tracker->port());
  heavy.connect();
  other.connect();
  for (std::uint32_t t = 0; t < 3; ++t) heavy.announce_ok(heavy.make_announce(make_info_hash(900 + t), 7300));
  CHECK(heavy.announce_error(heavy.make_announce(make_info_hash(903), 7300)).message ==
        "too many peers from this address");
  // Another port of the same address is the same source.
  CHECK(heavy.announce_error(heavy.make_announce(make_info_hash(900), 7301)).message ==
        "too many peers from this address");
  // Its peers keep announcing, and another address joins the same torrents.
  CHECK(heavy.announce_ok(heavy.make_announce(make_info_hash(900), 7300)).header.leechers == 1);
  CHECK(other.announce_ok(other.make_announce(make_info_hash(903), 7400)).header.leechers == 1);
  CHECK(other.announce_ok(other.make_announce(make_info_hash(900), 7400)).header.leechers == 2);
  // A stop gives the address a place back.
  auto stop = heavy.make_announce(make_info_hash(901), 7300);
  stop.event = proto::udp::announce_event::stopped;
  heavy.announce_ok(stop);
  CHECK(heavy.announce_ok(heavy.make_announce(make_info_hash(903), 7300)).header.leechers == 2);
  CHECK(tracker->stop() == 0);
}

TEST_CASE("split over request workers, an address still holds max_peers_per_source peers in all", "[udp][swarm]") {
  // 10 over 3 shards is 4 + 3 + 3: with 200 torrents every shard fills to its part.
  tracker_config config;
  config.set("workers", "request_workers", 3);
  config.set("swarm", "max_peers", 1000);
  config.set("swarm", "max_peers_per_source", 10);
  const auto tracker = start_tracker(config);
  udp_test_client client(client_address(proto::address_family::ipv4, 62), tracker->port());
  client.connect();
  CHECK(announces_accepted(client, 1000, 200, "too many peers from this address") == 10);
}

}  // namespace
}  // namespace riptide::test
