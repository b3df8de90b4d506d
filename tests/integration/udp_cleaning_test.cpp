// Peer expiry and cleaning, and the periodic statistics line, against the real tracker. These
// follow the tracker's own clock, so they poll with a deadline (small timeouts keep them short).

#include <catch2/catch.hpp>

#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

namespace udp = proto::udp;
using proto::address_family;

// Peers expire 4 s after their last announce, and the completed count of a torrent left without
// peers 6 s after that; every shard is cleaned every second. The times leave the statistics line
// (every second) time to show each state before it goes, even on a loaded machine.
tracker_config fast_expiry_config() {
  tracker_config config;
  config.set("swarm", "announce_interval_seconds", 2);
  config.set("swarm", "peer_timeout_seconds", 4);
  config.set("swarm", "completed_retention_seconds", 6);
  config.set("cleaning", "interval_seconds", 1);
  config.set("statistics", "interval_seconds", 1);
  return config;
}

TEST_CASE("cleaning: expired peers and empty torrents are removed, peers that announce stay",
          "[udp][cleaning]") {
  const auto tracker = start_tracker(fast_expiry_config());
  udp_test_client v4(client_address(address_family::ipv4, 0), tracker->port());
  udp_test_client v6(client_address(address_family::ipv6, 0), tracker->port());
  v4.connect();
  v6.connect();
  const proto::info_hash fading = make_info_hash(800);
  const proto::info_hash kept = make_info_hash(801);

  udp::announce_request seed = v4.make_announce(fading, 7001);
  seed.left = 0;
  seed.event = udp::announce_event::completed;
  v4.announce_ok(seed);
  v6.announce_ok(v6.make_announce(fading, 7002));
  v4.announce_ok(v4.make_announce(kept, 7003));
  CHECK(counts_of(v4.scrape_one(fading)) == swarm_counts{1, 1, 0});
  CHECK(counts_of(v6.scrape_one(fading)) == swarm_counts{0, 0, 1});

  // Three torrents (fading over IPv4 and IPv6, kept over IPv4), three peers.
  const auto before = wait_for_stats_line(*tracker, {"torrents ipv4=2 ipv6=1", "peers=3"});
  CHECK(before);

  // `kept` announces on every poll (well within its timeout); `fading` never again. Its peers
  // expire and its torrents go; the IPv4 one leaves its completed count behind.
  const bool faded = poll_until([&] {
    v4.announce_ok(v4.make_announce(kept, 7003));
    return counts_of(v4.scrape_one(fading)) == swarm_counts{0, 1, 0} &&
           counts_of(v6.scrape_one(fading)) == swarm_counts{};
  });
  CHECK(faded);
  CHECK(counts_of(v4.scrape_one(kept)) == swarm_counts{0, 0, 1});
  const auto after = wait_for_stats_line(*tracker, {"torrents ipv4=1 ipv6=0", "peers=1", "completed_counts_kept=1"});
  CHECK(after);

  // Then the count goes too: all zeros.
  const bool forgotten = poll_until([&] {
    v4.announce_ok(v4.make_announce(kept, 7003));
    return counts_of(v4.scrape_one(fading)) == swarm_counts{};
  });
  CHECK(forgotten);
  const auto last = wait_for_stats_line(*tracker, {"torrents ipv4=1 ipv6=0", "completed_counts_kept=0"});
  CHECK(last);
  CHECK(tracker->stop() == 0);
}

TEST_CASE("cleaning: a torrent whose last peer stopped keeps its completed count, and counts on from it",
          "[udp][cleaning]") {
  const auto tracker = start_tracker(tracker_config{});
  udp_test_client client(client_address(address_family::ipv4, 0), tracker->port());
  client.connect();
  const proto::info_hash hash = make_info_hash(820);

  udp::announce_request finished = client.make_announce(hash, 7001);
  finished.left = 0;
  finished.event = udp::announce_event::completed;
  client.announce_ok(finished);
  finished.event = udp::announce_event::stopped;
  client.announce_ok(finished);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{0, 1, 0});

  udp::announce_request next = client.make_announce(hash, 7002);
  client.announce_ok(next);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{0, 1, 1});
  next.left = 0;
  next.event = udp::announce_event::completed;
  client.announce_ok(next);
  CHECK(counts_of(client.scrape_one(hash)) == swarm_counts{1, 2, 0});
  CHECK(tracker->stop() == 0);
}

TEST_CASE("statistics: the stats line shows torrent and peer counts", "[udp][statistics]") {
  tracker_config config;
  config.set("statistics", "interval_seconds", 1);
  const auto tracker = start_tracker(config);
  udp_test_client v4(client_address(address_family::ipv4, 0), tracker->port());
  udp_test_client v6(client_address(address_family::ipv6, 0), tracker->port());
  v4.connect();
  v6.connect();
  const proto::info_hash hash = make_info_hash(810);

  const auto empty = wait_for_stats_line(*tracker, {"torrents ipv4=0 ipv6=0", "peers=0"});
  CHECK(empty);

  udp::announce_request seed = v4.make_announce(hash, 7001);
  seed.left = 0;
  v4.announce_ok(seed);
  v6.announce_ok(v6.make_announce(hash, 7002));

  const auto line = wait_for_stats_line(*tracker, {"peers=2"});
  REQUIRE(line);
  INFO("stats line: " << *line);
  CHECK(line->find("torrents ipv4=1 ipv6=1") != std::string::npos);
  CHECK(line->find("seeders ipv4=1 ipv6=0") != std::string::npos);
  CHECK(line->find("leechers ipv4=0 ipv6=1") != std::string::npos);
}

}  // namespace
}  // namespace riptide::test
