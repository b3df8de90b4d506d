// A tracker_ws request worker on its own thread, fed through real channels (no sockets): replies
// and relays come back on the inbox of the socket worker that owns each target connection.

#include <poll.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "ws_request_worker.hpp"

namespace riptide::ws {
namespace {

namespace wt = proto::webtorrent;

// Waits (bounded) until `expected` responses arrived on `inbox`.
std::vector<ws_response> receive_all(ws_response_inbox& inbox, std::size_t expected) {
  std::vector<ws_response> received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (received.size() < expected && std::chrono::steady_clock::now() < deadline) {
    pollfd wake{inbox.wake_fd(), POLLIN, 0};
    ::poll(&wake, 1, 100);
    inbox.clear_wake();
    ws_response batch[16];
    const std::size_t count = inbox.receive(batch, 16);
    for (std::size_t i = 0; i < count; ++i) received.push_back(std::move(batch[i]));
  }
  return received;
}

ws_request announce(std::uint16_t socket_worker, std::uint64_t connection, std::uint8_t peer, bool with_offer) {
  ws_announce_request request;
  request.input.hash.bytes.fill(1);
  request.input.peer.bytes.fill(peer);
  request.input.connection = {socket_worker, connection};
  request.input.left = 10;
  if (with_offer) {
    proto::offer_id offer;
    offer.bytes.fill(9);
    request.input.offers.push_back({offer, wt::json_text::parse_object(R"({"type":"offer","sdp":"x"})").value()});
  }
  return request;
}

TEST_CASE("a request worker relays between connections of two socket workers", "[request_worker]") {
  runtime::tracker_clock clock;
  ws_request_inbox requests(2, 64);
  ws_response_inbox socket_worker_0(1, 64);
  ws_response_inbox socket_worker_1(1, 64);
  ws_counters counters;
  std::atomic<bool> stopping{false};
  ws_request_worker worker(0, clock, requests, {&socket_worker_0, &socket_worker_1}, ws_swarm_settings{},
                           core::siphash_key{1, 2}, std::uint64_t{42}, clock.now_seconds(), counters);
  std::thread thread([&] { worker.run(stopping); });

  std::vector<ws_request> batch;
  batch.push_back(announce(1, 5, 2, false));
  REQUIRE(requests.from(1).send(batch) == 1);
  requests.notify();
  REQUIRE(receive_all(socket_worker_1, 1).size() == 1);

  batch.push_back(announce(0, 8, 3, true));
  REQUIRE(requests.from(0).send(batch) == 1);
  requests.notify();
  const auto to_offerer = receive_all(socket_worker_0, 1);
  const auto to_target = receive_all(socket_worker_1, 1);
  stopping = true;
  thread.join();

  REQUIRE(to_offerer.size() == 1);
  CHECK(std::get<ws_outbound_message>(to_offerer[0]).connection_id == 8);
  REQUIRE(to_target.size() == 1);
  const auto& relay = std::get<ws_outbound_message>(to_target[0]);
  CHECK(relay.connection_id == 5);
  CHECK(relay.text.find(R"("offer":{"type":"offer","sdp":"x"})") != std::string::npos);
  CHECK(counters.get(ws_gauge::peers) == 2);
}

TEST_CASE("responses beyond a full channel are dropped and counted", "[request_worker]") {
  runtime::tracker_clock clock;
  ws_request_inbox requests(1, 64);
  ws_response_inbox socket_worker_0(1, 16);  // room for 16 replies
  ws_counters counters;
  std::atomic<bool> stopping{false};
  ws_request_worker worker(0, clock, requests, {&socket_worker_0}, ws_swarm_settings{}, core::siphash_key{1, 2},
                           std::uint64_t{42}, clock.now_seconds(), counters);
  std::thread thread([&] { worker.run(stopping); });

  std::vector<ws_request> batch;
  for (std::uint8_t i = 0; i < 40; ++i) batch.push_back(announce(0, i, static_cast<std::uint8_t>(i + 1), false));
  REQUIRE(requests.from(0).send(batch) == 40);
  requests.notify();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (counters.get(ws_counter::dropped_response_queue_full) < 24 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stopping = true;
  thread.join();
  CHECK(receive_all(socket_worker_0, 16).size() == 16);
  CHECK(counters.get(ws_counter::dropped_response_queue_full) == 24);
}

}  // namespace
}  // namespace riptide::ws
