// A request worker on its own thread, fed through real channels (no sockets): announces and scrape
// parts go in as batches, responses come back to the socket worker they name, and the eventfd
// wakes that socket worker.
#include <poll.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tracker/runtime/request_worker.hpp"
#include "tracker/runtime/shard_service.hpp"
#include "tracker/runtime/worker_counters.hpp"

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

// Waits (bounded) until the inbox's eventfd says responses are there, then takes them all.
std::vector<shard_response> receive_all(runtime::response_inbox& channel, std::size_t expected) {
  std::vector<shard_response> received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received.size() < expected && std::chrono::steady_clock::now() < deadline) {
    pollfd wake{channel.wake_fd(), POLLIN, 0};
    ::poll(&wake, 1, 100);
    channel.clear_wake();
    shard_response batch[64];
    const std::size_t count = channel.receive(batch, 64);
    for (std::size_t i = 0; i < count; ++i) received.push_back(std::move(batch[i]));
  }
  return received;
}

struct worker_fixture {
  runtime::tracker_clock clock;
  runtime::request_inbox requests{2, 1024};
  runtime::response_inbox socket_worker_0{1, 1024};
  runtime::response_inbox socket_worker_1{1, 1024};
  runtime::worker_counters counters;
  std::atomic<bool> stopping{false};
  runtime::request_worker<runtime::shard_service> worker{
      0,     clock, requests, std::vector<runtime::response_inbox*>{&socket_worker_0, &socket_worker_1},
      runtime::shard_settings{}, core::siphash_key{1, 2}, std::uint64_t{42}, clock.now_seconds(), counters};

  // Sends from socket worker `from` and wakes the request worker, as a socket worker does.
  void send(std::size_t from, std::vector<shard_request>& batch) {
    const std::size_t offered = batch.size();
    REQUIRE(requests.from(from).send(batch) == offered);
    requests.notify();
  }
  std::thread thread{[this] { worker.run(stopping); }};

  ~worker_fixture() {
    stopping = true;
    thread.join();
  }
};

}  // namespace

TEST_CASE("request worker answers each socket worker on its own channel", "[runtime]") {
  worker_fixture fixture;
  std::vector<shard_request> batch;
  batch.emplace_back(announce(0, 1, 1, 0));  // seeder, answered to socket worker 0
  fixture.send(0, batch);
  REQUIRE(receive_all(fixture.socket_worker_0, 1).size() == 1);
  batch.emplace_back(announce(1, 1, 2, 100));  // leecher, answered to socket worker 1
  batch.emplace_back(runtime::scrape_part_request{1, 77, 3, proto::address_family::ipv4, hash_of(1)});
  fixture.send(1, batch);

  const auto to_1 = receive_all(fixture.socket_worker_1, 2);
  REQUIRE(to_1.size() == 2);

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
  std::vector<shard_request> batch;
  for (std::uint8_t i = 1; i <= 5; ++i) batch.emplace_back(announce(0, i, i, i % 2 == 0 ? 0 : 10));
  fixture.send(0, batch);
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

TEST_CASE("a channel holds exactly its capacity and cuts a batch that does not fit", "[runtime]") {
  // Nobody consumes: the channel must fill up to its capacity and then refuse, never grow.
  runtime::pair_channel<int> channel(100);
  std::vector<int> batch(64, 7);
  CHECK(channel.send(batch) == 64);
  CHECK(batch.empty());
  batch.assign(64, 8);
  CHECK(channel.send(batch) == 36);  // what fits is sent, the rest is the caller's to count
  batch.assign(1, 9);
  CHECK(channel.send(batch) == 0);
  int out[128];
  CHECK(channel.receive(out, 128) == 100);
  batch.assign(100, 1);
  CHECK(channel.send(batch) == 100);  // room again once consumed
}

TEST_CASE("one producer's flood never starves another producer of the same consumer", "[runtime]") {
  // The flaw this layout exists to prevent: with one shared moodycamel queue, a producer keeps the
  // blocks it took in a burst (or in a refused bulk), and the other producers are refused forever,
  // even when the queue is empty.
  runtime::request_inbox inbox(2, 256);
  std::vector<shard_request> flood(10'000, shard_request{announce(0, 1, 1, 0)});
  CHECK(inbox.from(0).send(flood) == 256);  // producer 0 fills only its own channel
  std::vector<shard_request> one{shard_request{announce(1, 2, 2, 0)}};
  CHECK(inbox.from(1).send(one) == 1);      // producer 1 still gets through
  std::vector<shard_request> out(1024);
  CHECK(inbox.receive(out.data(), out.size(), 0) == 257);
  // After a drain, both send again.
  flood.assign(10'000, shard_request{announce(0, 1, 1, 0)});
  CHECK(inbox.from(0).send(flood) == 256);
  one.assign(1, shard_request{announce(1, 2, 2, 0)});
  CHECK(inbox.from(1).send(one) == 1);
}

TEST_CASE("a request inbox waits for a batch and wakes when one is sent", "[runtime]") {
  runtime::request_inbox inbox(1, 64);
  std::vector<shard_request> out(8);
  CHECK(inbox.receive(out.data(), out.size(), 1000) == 0);  // empty: returns after the timeout
  std::thread producer([&inbox] {
    std::vector<shard_request> batch{shard_request{announce(0, 3, 3, 0)}};
    inbox.from(0).send(batch);
    inbox.notify();
  });
  std::size_t received = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received == 0 && std::chrono::steady_clock::now() < deadline) {
    received = inbox.receive(out.data(), out.size(), 100'000);
  }
  producer.join();
  CHECK(received == 1);
}
