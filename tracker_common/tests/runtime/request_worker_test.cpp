// A request worker on its own thread, fed through real channels (no sockets): announces and scrape
// parts go in as batches, responses come back to the socket worker they name, and the eventfd
// wakes that socket worker.
#include <poll.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tracker/runtime/request_worker.hpp"

namespace {

using namespace riptide;
using runtime::shard_request;
using runtime::shard_response;

proto::info_hash hash_of(std::uint8_t seed) {
  proto::info_hash hash;
  hash.bytes.fill(seed);
  return hash;
}

runtime::announce_request_ipv4 announce(std::uint16_t socket_worker, std::uint8_t hash_seed, std::uint8_t last_octet,
                                        std::int64_t left) {
  runtime::announce_request_ipv4 request;
  request.route.socket_worker = socket_worker;
  request.route.transaction = last_octet;
  request.input.hash = hash_of(hash_seed);
  request.input.endpoint.address = {10, 0, 0, last_octet};
  request.input.endpoint.port = 6881;
  request.input.left = left;
  request.input.event = core::peer_event::started;
  return request;
}

// Waits (bounded) until the channel's eventfd says responses are there, then takes them all.
std::vector<shard_response> receive_all(runtime::response_channel& channel, std::size_t expected) {
  std::vector<shard_response> received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received.size() < expected && std::chrono::steady_clock::now() < deadline) {
    pollfd wake{channel.wake_fd(), POLLIN, 0};
    ::poll(&wake, 1, 100);
    channel.clear_wake();
    shard_response batch[64];
    const std::size_t count = channel.try_receive(batch, 64);
    for (std::size_t i = 0; i < count; ++i) received.push_back(std::move(batch[i]));
  }
  return received;
}

struct worker_fixture {
  runtime::tracker_clock clock;
  runtime::request_channel requests{1024, 2};
  runtime::response_channel socket_worker_0{1024, 1};
  runtime::response_channel socket_worker_1{1024, 1};
  runtime::worker_counters counters;
  std::atomic<bool> stopping{false};
  runtime::request_worker worker{runtime::request_worker_settings{}, core::siphash_key{1, 2}, 42, clock, requests,
                                 std::vector<runtime::response_channel*>{&socket_worker_0, &socket_worker_1},
                                 counters};
  std::thread thread{[this] { worker.run(stopping); }};

  ~worker_fixture() {
    stopping = true;
    thread.join();
  }
};

}  // namespace

TEST_CASE("request worker answers each socket worker on its own channel", "[runtime]") {
  worker_fixture fixture;
  auto token = fixture.requests.make_producer_token();
  std::vector<shard_request> batch;
  batch.emplace_back(announce(0, 1, 1, 0));    // seeder, answered to socket worker 0
  batch.emplace_back(announce(1, 1, 2, 100));  // leecher, answered to socket worker 1
  batch.emplace_back(runtime::scrape_part_request{1, 77, 3, proto::address_family::ipv4, hash_of(1)});
  REQUIRE(fixture.requests.try_send_batch(token, batch));

  const auto to_0 = receive_all(fixture.socket_worker_0, 1);
  const auto to_1 = receive_all(fixture.socket_worker_1, 2);
  REQUIRE(to_0.size() == 1);
  REQUIRE(to_1.size() == 2);

  const auto& seeder_reply = std::get<runtime::announce_response_ipv4>(to_0[0]);
  CHECK(seeder_reply.route.transaction == 1);
  CHECK(seeder_reply.counts.seeders == 1);
  CHECK(seeder_reply.peers.empty());

  const auto& leecher_reply = std::get<runtime::announce_response_ipv4>(to_1[0]);
  CHECK(leecher_reply.counts.seeders == 1);
  CHECK(leecher_reply.counts.leechers == 1);
  REQUIRE(leecher_reply.peers.size() == 1);
  CHECK(leecher_reply.peers[0].address == std::array<std::uint8_t, 4>{10, 0, 0, 1});

  const auto& part = std::get<runtime::scrape_part_response>(to_1[1]);
  CHECK(part.pending_id == 77);
  CHECK(part.index == 3);
  CHECK(part.counts.seeders == 1);
  CHECK(part.counts.leechers == 1);
}

TEST_CASE("request worker publishes its shard's gauges", "[runtime]") {
  worker_fixture fixture;
  auto token = fixture.requests.make_producer_token();
  std::vector<shard_request> batch;
  for (std::uint8_t i = 1; i <= 5; ++i) batch.emplace_back(announce(0, i, i, i % 2 == 0 ? 0 : 10));
  REQUIRE(fixture.requests.try_send_batch(token, batch));
  REQUIRE(receive_all(fixture.socket_worker_0, 5).size() == 5);
  // Gauges are published after the batch that changed them, right after the responses went out.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (fixture.counters.get(runtime::gauge::torrents_ipv4) != 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(fixture.counters.get(runtime::gauge::torrents_ipv4) == 5);
  CHECK(fixture.counters.get(runtime::gauge::seeders_ipv4) == 2);
  CHECK(fixture.counters.get(runtime::gauge::leechers_ipv4) == 3);
}

TEST_CASE("a full request channel refuses a batch instead of growing", "[runtime]") {
  // Nobody consumes this channel: it must fill up and refuse, never allocate without bound.
  runtime::request_channel requests(64, 1);
  auto token = requests.make_producer_token();
  std::size_t accepted = 0;
  bool refused = false;
  for (int round = 0; round < 1000 && !refused; ++round) {
    std::vector<shard_request> batch(16, shard_request{announce(0, 1, 1, 0)});
    if (requests.try_send_batch(token, batch)) {
      accepted += 16;
    } else {
      refused = true;
    }
  }
  CHECK(refused);
  CHECK(accepted >= 64);
  CHECK(accepted < 1000 * 16);
}
