// BEP 15 scrape against the real tracker, over IPv4 and IPv6: request order, unknown hashes, a
// scrape split over several request workers and merged back, and the hash-count limits.

#include <catch2/catch.hpp>

#include <numeric>
#include <random>

#include "tracker/proto/byte_io.hpp"
#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

namespace udp = proto::udp;
using proto::address_family;

// Sends a scrape of `hashes` and returns the raw reply.
std::vector<std::uint8_t> scrape_raw(udp_test_client& client, std::span<const proto::info_hash> hashes,
                                     proto::transaction_id transaction) {
  std::vector<std::uint8_t> datagram;
  udp::encode_scrape_request(client.connection(), transaction, hashes, datagram);
  client.send_raw(datagram);
  return client.receive();
}

void announce_peers(udp_test_client& client, const proto::info_hash& hash, std::uint16_t first_port,
                    std::uint32_t seeders, std::uint32_t leechers, bool first_seeder_completed = false) {
  for (std::uint32_t i = 0; i < seeders + leechers; ++i) {
    udp::announce_request request = client.make_announce(hash, static_cast<std::uint16_t>(first_port + i));
    request.left = i < seeders ? 0 : 1000;
    if (i == 0 && seeders > 0 && first_seeder_completed) request.event = udp::announce_event::completed;
    client.announce_ok(request);
  }
}

TEST_CASE("scrape: entries in request order, unknown hashes zero, and a scrape creates no torrent",
          "[udp][scrape]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  tracker_config config;
  config.set("statistics", "interval_seconds", 1);
  const auto tracker = start_tracker(config);
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();

  const proto::info_hash seeded = make_info_hash(100);
  const proto::info_hash leeched = make_info_hash(101);
  announce_peers(client, seeded, 7000, 1, 0);
  announce_peers(client, leeched, 7100, 0, 2);

  std::vector<proto::info_hash> unknown;
  for (std::uint32_t i = 0; i < 20; ++i) unknown.push_back(make_info_hash(200 + i));

  const std::vector<proto::info_hash> first_order{leeched, unknown[0], seeded};
  auto entries = client.scrape_ok(first_order);
  CHECK(counts_of(entries[0]) == swarm_counts{0, 0, 2});
  CHECK(counts_of(entries[1]) == swarm_counts{});
  CHECK(counts_of(entries[2]) == swarm_counts{1, 0, 0});

  const std::vector<proto::info_hash> second_order{seeded, leeched, unknown[1], seeded};
  entries = client.scrape_ok(second_order);
  CHECK(counts_of(entries[0]) == swarm_counts{1, 0, 0});
  CHECK(counts_of(entries[1]) == swarm_counts{0, 0, 2});
  CHECK(counts_of(entries[2]) == swarm_counts{});
  CHECK(counts_of(entries[3]) == swarm_counts{1, 0, 0});

  // Scraping unknown hashes leaves no trace: still zeros afterwards ...
  for (const auto& entry : client.scrape_ok(unknown)) CHECK(counts_of(entry) == swarm_counts{});
  for (const auto& entry : client.scrape_ok(unknown)) CHECK(counts_of(entry) == swarm_counts{});

  // ... and no torrent: the tracker still counts two. The stats line is read once it shows the
  // peer of one more announce, made after the scrapes (a request worker publishes its gauges after
  // each batch, so that line includes whatever the scrapes did).
  const proto::info_hash marker = make_info_hash(102);
  announce_peers(client, marker, 7200, 0, 1);
  const std::string torrents =
      family == address_family::ipv4 ? "torrents ipv4=3 ipv6=0" : "torrents ipv4=0 ipv6=3";
  const auto line = wait_for_stats_line(*tracker, {"peers=4"});
  REQUIRE(line);
  INFO("stats line: " << *line);
  CHECK(line->find(torrents) != std::string::npos);
}

TEST_CASE("scrape: 74 hashes split over 4 request workers come back merged, each entry right",
          "[udp][scrape]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  tracker_config config;
  config.set("workers", "request_workers", 4);
  const auto tracker = start_tracker(config);
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();

  // Hash i gets i % 3 seeders and (i / 3) % 3 leechers, and one completed download when it has a
  // seeder and i is even; about one in nine has no peer at all and is unknown to the tracker.
  // The shard of a hash is a keyed hash of it: 74 hashes land on all 4 shards (each misses one
  // with probability (3/4)^74, about 6e-10).
  std::vector<proto::info_hash> hashes;
  std::vector<swarm_counts> expected;
  for (std::uint32_t i = 0; i < udp::max_scrape_hashes; ++i) {
    const proto::info_hash hash = make_info_hash(1000 + i);
    const std::uint32_t seeders = i % 3;
    const std::uint32_t leechers = (i / 3) % 3;
    const bool completed = seeders > 0 && i % 2 == 0;
    announce_peers(client, hash, static_cast<std::uint16_t>(10000 + 8 * i), seeders, leechers, completed);
    hashes.push_back(hash);
    expected.push_back({seeders, completed ? 1U : 0U, leechers});
  }

  // In a shuffled order, so that the merge must follow the request and not the shards.
  std::vector<std::size_t> order(hashes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937 random(74);
  std::shuffle(order.begin(), order.end(), random);
  std::vector<proto::info_hash> request;
  for (const std::size_t index : order) request.push_back(hashes[index]);

  const auto entries = client.scrape_ok(request);
  REQUIRE(entries.size() == udp::max_scrape_hashes);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    INFO("entry " << i << " (hash " << order[i] << ")");
    CHECK(counts_of(entries[i]) == expected[order[i]]);
  }

  // One more than fits a 1500-byte datagram (16 + 75 * 20 = 1516 bytes): an error reply.
  request.push_back(make_info_hash(5000));
  const proto::transaction_id transaction = client.next_transaction();
  const std::vector<std::uint8_t> reply = scrape_raw(client, request, transaction);
  INFO("reply: " << udp_test_client::describe(reply, family));
  REQUIRE(reply.size() > udp::error_response_header_size);
  CHECK(proto::read_be<std::uint32_t>(reply, 0) == 3);  // action error
  CHECK(proto::read_be<std::uint32_t>(reply, 4) == transaction.value);
  CHECK(tracker->stop() == 0);
}

TEST_CASE("scrape: more hashes than protocol.max_scrape_hashes gets an error reply", "[udp][scrape]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  tracker_config config;
  config.set("protocol", "max_scrape_hashes", 10);
  const auto tracker = start_tracker(config);
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();

  std::vector<proto::info_hash> hashes;
  for (std::uint32_t i = 0; i < 10; ++i) hashes.push_back(make_info_hash(300 + i));
  CHECK(client.scrape_ok(hashes).size() == 10);

  hashes.push_back(make_info_hash(310));
  const auto reply = client.scrape(hashes);
  REQUIRE(std::holds_alternative<udp::error_response>(reply));
  CHECK_FALSE(std::get<udp::error_response>(reply).message.empty());
}

}  // namespace
}  // namespace riptide::test
