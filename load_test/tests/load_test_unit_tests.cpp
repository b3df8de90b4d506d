#define CATCH_CONFIG_MAIN
#include <algorithm>
#include <numeric>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <vector>

#include "latency_histogram.hpp"
#include "udp_load_options.hpp"
#include "udp_reply_check.hpp"
#include "workload.hpp"

using namespace riptide;
using namespace riptide::load_test;

TEST_CASE("latency histogram percentiles are within 1.6% of the exact ones", "[load_test]") {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(6.0, 1.0);  // a few hundred microseconds, long tail
  std::vector<std::uint64_t> values;
  latency_histogram histogram;
  for (int i = 0; i < 100000; ++i) {
    const auto value = static_cast<std::uint64_t>(latency(random));
    values.push_back(value);
    histogram.record(value);
  }
  std::sort(values.begin(), values.end());
  for (const double fraction : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<double>(values[static_cast<std::size_t>(fraction * static_cast<double>(values.size())) - 1]);
    const auto estimate = static_cast<double>(histogram.percentile(fraction));
    CHECK(estimate >= exact);
    CHECK(estimate <= exact * 1.016 + 1);
  }
  CHECK(histogram.count() == values.size());
  CHECK(histogram.max() == values.back());
  CHECK(histogram.percentile(1.0) == values.back());
}

TEST_CASE("latency histogram: small values are exact, empty is zero, merge adds", "[load_test]") {
  latency_histogram a;
  CHECK(a.percentile(0.5) == 0);
  for (std::uint64_t v = 0; v < 64; ++v) a.record(v);
  CHECK(a.percentile(0.5) == 31);
  latency_histogram b;
  b.record(1'000'000);
  a.merge(b);
  CHECK(a.count() == 65);
  CHECK(a.max() == 1'000'000);
  CHECK(a.percentile(1.0) == 1'000'000);
}

TEST_CASE("info hashes are deterministic, distinct, and depend on the seed", "[load_test]") {
  CHECK(torrent_info_hash(1, 5) == torrent_info_hash(1, 5));
  CHECK(torrent_info_hash(1, 5) != torrent_info_hash(2, 5));
  std::set<proto::info_hash> seen;
  for (std::uint32_t i = 0; i < 10000; ++i) seen.insert(torrent_info_hash(1, i));
  CHECK(seen.size() == 10000);
}

TEST_CASE("popularity: ranks stay in range and the configured skew shows", "[load_test]") {
  for (const auto distribution :
       {popularity_distribution::pareto, popularity_distribution::gamma, popularity_distribution::uniform}) {
    udp_torrent_config config;
    config.count = 1000;
    config.distribution = distribution;
    config.pareto_scale = 10;
    config.gamma_scale = 100;
    popularity_sampler sampler(config);
    std::mt19937_64 random(3);
    std::vector<std::uint32_t> hits(config.count);
    for (int i = 0; i < 100000; ++i) {
      const std::uint32_t rank = sampler.sample(random);
      REQUIRE(rank < config.count);
      ++hits[rank];
    }
    const auto top_ten = std::accumulate(hits.begin(), hits.begin() + 10, 0U);
    if (distribution == popularity_distribution::uniform) {
      CHECK(top_ten < 2000);  // ~1000 expected
    } else {
      CHECK(top_ten > 20000);  // skewed: the first 1% of ranks get far more than 1% of draws
    }
  }
}

TEST_CASE("peer population: every peer is a distinct address and port", "[load_test]") {
  udp_load_config config;
  config.peers.count = 5000;
  config.torrents.count = 100;
  SECTION("one source address per socket") {
    const peer_population peers(config, 8, true);
    std::set<std::pair<std::uint32_t, std::uint16_t>> seen;  // (socket, port)
    for (std::uint32_t socket = 0; socket < 8; ++socket) {
      for (std::uint32_t i = 0; i < peers.peers_of_socket(socket); ++i) {
        const std::uint32_t peer = peers.peer_of_socket(socket, i);
        REQUIRE(peer % 8 == socket);
        REQUIRE(peers.torrent_of(peer) < config.torrents.count);
        seen.insert({socket, peers.port_of(peer)});
      }
    }
    CHECK(seen.size() == config.peers.count);
  }
  SECTION("a shared source address") {
    const peer_population peers(config, 8, false);
    std::set<std::uint16_t> ports;
    for (std::uint32_t peer = 0; peer < config.peers.count; ++peer) ports.insert(peers.port_of(peer));
    CHECK(ports.size() == config.peers.count);
  }
  SECTION("the same configuration builds the same population") {
    const peer_population a(config, 8, true);
    const peer_population b(config, 8, true);
    for (std::uint32_t peer = 0; peer < config.peers.count; ++peer) {
      REQUIRE(a.torrent_of(peer) == b.torrent_of(peer));
      REQUIRE(a.is_seeder(peer) == b.is_seeder(peer));
    }
  }
}

TEST_CASE("reply check: good replies pass, wrong ones are malformed, errors are errors", "[load_test]") {
  std::vector<std::uint8_t> packet;
  expected_reply announce{request_kind::announce, 77, 2, 0, proto::address_family::ipv4};
  const std::vector<proto::ipv4_endpoint> two(2);
  proto::udp::encode_announce_response({proto::transaction_id{77}, 1800, 1, 2},
                                       std::span<const proto::ipv4_endpoint>(two), packet);
  auto check = check_reply(packet, announce);
  CHECK(check.verdict == reply_verdict::ok);
  CHECK(check.peers == 2);

  announce.num_want = 1;  // more peers than asked for
  CHECK(check_reply(packet, announce).verdict == reply_verdict::malformed);

  packet.push_back(0);  // a peer area that is not a whole number of peers
  announce.num_want = 50;
  CHECK(check_reply(packet, announce).verdict == reply_verdict::malformed);

  packet.clear();
  proto::udp::encode_scrape_response(proto::transaction_id{5}, std::vector<proto::udp::scrape_entry>(3), packet);
  CHECK(check_reply(packet, {request_kind::scrape, 5, 0, 3, proto::address_family::ipv4}).verdict == reply_verdict::ok);
  CHECK(check_reply(packet, {request_kind::scrape, 5, 0, 2, proto::address_family::ipv4}).verdict ==
        reply_verdict::malformed);
  CHECK(check_reply(packet, {request_kind::announce, 5, 50, 0, proto::address_family::ipv4}).verdict ==
        reply_verdict::malformed);

  packet.clear();
  proto::udp::encode_error_response(proto::transaction_id{9}, "info hash not allowed", packet);
  check = check_reply(packet, {request_kind::announce, 9, 50, 0, proto::address_family::ipv4});
  CHECK(check.verdict == reply_verdict::error_reply);
  CHECK(check.problem == "info hash not allowed");

  packet.clear();
  proto::udp::encode_connect_response({proto::transaction_id{3}, proto::connection_id{42}}, packet);
  check = check_reply(packet, {request_kind::connect, 3, 0, 0, proto::address_family::ipv4});
  CHECK(check.verdict == reply_verdict::ok);
  CHECK(check.connection.value == 42);
  CHECK(check_reply(std::span<const std::uint8_t>(packet.data(), 12), {request_kind::connect, 3, 0, 0,
                                                                      proto::address_family::ipv4})
            .verdict == reply_verdict::malformed);
}

TEST_CASE("udp config: a source address that is no IPv4 address or runs out of loopback is refused", "[load_test]") {
  udp_load_config config;
  CHECK_FALSE(validate_udp_load_config(config).has_value());
  config.run.first_source_address = "garbage";
  CHECK(validate_udp_load_config(config).value_or("").starts_with("run.first_source_address: \"garbage\""));
  // 8 sockets from 127.255.255.250 reach 128.0.0.1, which no loopback socket can bind.
  config.run.first_source_address = "127.255.255.250";
  CHECK(validate_udp_load_config(config).value_or("").find("leaves 127.0.0.0/8") != std::string::npos);
  config.run.first_source_address = "127.255.255.248";  // the 8th socket gets 127.255.255.255
  CHECK_FALSE(validate_udp_load_config(config).has_value());
}
