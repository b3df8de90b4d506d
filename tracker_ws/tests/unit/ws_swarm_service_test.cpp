// The swarm side of tracker_ws without sockets: requests in, the JSON each socket worker must send
// out. Connections live on different socket workers here, as they do with several of them.

#include <catch2/catch.hpp>
#include <string>
#include <variant>

#include "ws_swarm_service.hpp"

namespace riptide::ws {
namespace {

namespace wt = proto::webtorrent;

template <typename Id>
Id id_of(std::uint8_t seed) {
  Id id;
  id.bytes.fill(seed);
  return id;
}

wt::json_text sdp(const std::string& type, const std::string& text) {
  return wt::json_text::parse_object(R"({"type":")" + type + R"(","sdp":")" + text + R"("})").value();
}

struct service_fixture {
  ws_counters counters;
  ws_swarm_settings settings = [] {
    ws_swarm_settings value;
    value.announce_interval_seconds = 77;
    value.cleaning_interval_seconds = 10;
    value.rules.peer_timeout_seconds = 30;
    return value;
  }();
  ws_swarm_service service{settings, core::siphash_key{1, 2}, 42, 0, counters};
  ws_response_batches out = ws_response_batches(3);  // three socket workers

  ws_request announce(std::uint16_t socket_worker, std::uint64_t connection, std::uint8_t peer,
                      std::optional<std::uint64_t> left, std::size_t offers = 0) {
    ws_announce_request request;
    request.input.hash = id_of<proto::info_hash>(1);
    request.input.peer = id_of<proto::peer_id>(peer);
    request.input.connection = {socket_worker, connection};
    request.input.left = left;
    for (std::size_t i = 0; i < offers; ++i) {
      request.input.offers.push_back(
          {id_of<proto::offer_id>(static_cast<std::uint8_t>(100 + i)), sdp("offer", "o" + std::to_string(i))});
    }
    return request;
  }

  // The one message waiting for socket worker `socket_worker`, decoded; empties that batch.
  template <typename T>
  std::pair<std::uint64_t, T> take_one(std::size_t socket_worker) {
    REQUIRE(out[socket_worker].size() == 1);
    auto response = std::move(out[socket_worker].front());
    out[socket_worker].clear();
    REQUIRE(std::holds_alternative<ws_outbound_message>(response));
    auto& message = std::get<ws_outbound_message>(response);
    INFO("message: " << message.text);
    auto decoded = wt::decode_tracker_message(message.text);
    REQUIRE(std::holds_alternative<wt::tracker_message>(decoded));
    REQUIRE(std::holds_alternative<T>(std::get<wt::tracker_message>(decoded)));
    return {message.connection_id, std::get<T>(std::get<wt::tracker_message>(decoded))};
  }
};

TEST_CASE("an announce is answered on the announcer's socket worker with interval and counts", "[swarm_service]") {
  service_fixture f;
  auto seeder = f.announce(2, 50, 1, 0);
  f.service.handle(seeder, 1, f.out);
  auto [connection, response] = f.take_one<wt::announce_response>(2);
  CHECK(connection == 50);
  CHECK(response.interval == 77);
  CHECK(response.complete == 1);
  CHECK(response.incomplete == 0);
  CHECK(f.out[0].empty());
  CHECK(f.out[1].empty());
}

TEST_CASE("offers go to the target's socket worker and answers back to the offerer's", "[swarm_service]") {
  service_fixture f;
  auto leecher = f.announce(1, 7, 2, 100);
  f.service.handle(leecher, 1, f.out);
  f.take_one<wt::announce_response>(1);

  auto offering = f.announce(0, 9, 3, 100, 2);  // two offers, one other peer: one relayed
  f.service.handle(offering, 2, f.out);
  CHECK(f.take_one<wt::announce_response>(0).second.incomplete == 2);
  REQUIRE(f.out[1].size() == 1);
  CHECK(std::get<ws_outbound_message>(f.out[1].front()).kind == message_kind::offer_relay);
  auto [target, relay] = f.take_one<wt::offer_relay>(1);
  CHECK(target == 7);
  CHECK(relay.offerer == id_of<proto::peer_id>(3));

  ws_announce_request answer;
  answer.reply = false;
  answer.input.hash = id_of<proto::info_hash>(1);
  answer.input.peer = id_of<proto::peer_id>(2);
  answer.input.connection = {1, 7};
  answer.input.answer = core::webtorrent_answer{id_of<proto::peer_id>(3), relay.id, sdp("answer", "a")};
  ws_request request = std::move(answer);
  f.service.handle(request, 3, f.out);
  CHECK(f.out[1].empty());  // no response to an answer
  REQUIRE(f.out[0].size() == 1);
  CHECK(std::get<ws_outbound_message>(f.out[0].front()).kind == message_kind::answer_relay);
  auto [offerer, answered] = f.take_one<wt::answer_relay>(0);
  CHECK(offerer == 9);
  CHECK(answered.answerer == id_of<proto::peer_id>(2));
  CHECK(answered.answer == sdp("answer", "a"));
  // Counted as relayed by the target's socket worker, once queued there.
  CHECK(f.counters.get(ws_counter::offers_relayed) == 0);
}

TEST_CASE("a refused announce gets a failure with action and info_hash", "[swarm_service]") {
  service_fixture f;
  auto first = f.announce(0, 1, 5, 0);
  f.service.handle(first, 1, f.out);
  f.take_one<wt::announce_response>(0);
  auto thief = f.announce(1, 2, 5, 0);  // the same peer id from another live connection
  f.service.handle(thief, 1, f.out);
  auto [connection, failure] = f.take_one<wt::failure_reply>(1);
  CHECK(connection == 2);
  CHECK(failure.action == wt::message_action::announce);
  CHECK(failure.hash == id_of<proto::info_hash>(1));
  CHECK(f.counters.get(ws_counter::refused_announces) == 1);
}

TEST_CASE("with request workers, an announce that leaves its connection no peer in the torrent says so",
          "[swarm_service]") {
  service_fixture f;
  f.settings.report_released_torrents = true;
  ws_swarm_service service{f.settings, core::siphash_key{1, 2}, 42, 0, f.counters};
  const auto released_in = [](const std::vector<ws_response>& batch) {
    std::vector<std::uint64_t> connections;
    for (const auto& response : batch) {
      if (const auto* released = std::get_if<ws_torrent_released>(&response)) {
        CHECK(released->hash == id_of<proto::info_hash>(1));
        CHECK(released->sequence == 70 + released->connection_id);  // the announce's, echoed
        connections.push_back(released->connection_id);
      }
    }
    return connections;
  };
  auto holder = f.announce(0, 1, 5, 0);
  service.handle(holder, 1, f.out);
  CHECK(released_in(f.out[0]).empty());  // accepted: the peer stays

  auto thief = f.announce(1, 2, 5, 0);  // refused: connection 2 holds nothing there
  std::get<ws_announce_request>(thief).sequence = 72;
  service.handle(thief, 1, f.out);
  CHECK(released_in(f.out[1]) == std::vector<std::uint64_t>{2});
  f.out[1].clear();

  auto second_peer = f.announce(0, 1, 6, 0);  // refused, but connection 1 still holds peer 5
  service.handle(second_peer, 1, f.out);
  CHECK(released_in(f.out[0]).empty());

  auto forged_stop = f.announce(1, 2, 5, 0);  // a stop of another connection's peer removes nothing
  std::get<ws_announce_request>(forged_stop).input.event = core::peer_event::stopped;
  std::get<ws_announce_request>(forged_stop).sequence = 72;
  service.handle(forged_stop, 1, f.out);
  CHECK(released_in(f.out[1]) == std::vector<std::uint64_t>{2});
  f.out[0].clear();

  auto stop = f.announce(0, 1, 5, 0);
  std::get<ws_announce_request>(stop).input.event = core::peer_event::stopped;
  std::get<ws_announce_request>(stop).sequence = 71;
  service.handle(stop, 1, f.out);
  CHECK(released_in(f.out[0]) == std::vector<std::uint64_t>{1});
}

TEST_CASE("without request workers nothing is said: the shard counts torrents itself", "[swarm_service]") {
  service_fixture f;
  auto holder = f.announce(0, 1, 5, 0);
  f.service.handle(holder, 1, f.out);
  f.take_one<wt::announce_response>(0);
  auto stop = f.announce(0, 1, 5, 0);
  std::get<ws_announce_request>(stop).input.event = core::peer_event::stopped;
  f.service.handle(stop, 1, f.out);
  f.take_one<wt::announce_response>(0);  // the only message
}

TEST_CASE("scrape parts keep their indices; a disconnect empties the swarm", "[swarm_service]") {
  service_fixture f;
  auto seeder = f.announce(0, 1, 1, 0);
  f.service.handle(seeder, 1, f.out);
  f.out[0].clear();

  ws_scrape_request scrape;
  scrape.connection = {2, 4};
  scrape.pending_id = 99;
  scrape.hashes = {{3, id_of<proto::info_hash>(1)}, {0, id_of<proto::info_hash>(2)}};
  ws_request request = scrape;
  f.service.handle(request, 1, f.out);
  REQUIRE(f.out[2].size() == 1);
  const auto& part = std::get<ws_scrape_part>(f.out[2].front());
  CHECK(part.pending_id == 99);
  REQUIRE(part.files.size() == 2);
  CHECK(part.files[0].index == 3);
  CHECK(part.files[0].file.stats.complete == 1);
  CHECK(part.files[1].index == 0);
  CHECK(part.files[1].file.stats.complete == 0);

  ws_request disconnect = ws_disconnect_request{{0, 1}};
  f.service.handle(disconnect, 2, f.out);
  f.service.publish_gauges();
  CHECK(f.counters.get(ws_gauge::peers) == 0);
  CHECK(f.counters.get(ws_gauge::torrents) == 0);
  CHECK(f.counters.get(ws_counter::peers_removed_by_disconnect) == 1);
}

TEST_CASE("cleaning runs on its interval and drops silent peers", "[swarm_service]") {
  service_fixture f;
  auto peer = f.announce(0, 1, 1, 0);
  f.service.handle(peer, 1, f.out);
  f.service.clean_if_due(9);  // not due yet (interval 10)
  f.service.publish_gauges();
  CHECK(f.counters.get(ws_gauge::peers) == 1);
  f.service.clean_if_due(40);  // due, and the peer (timeout 30) is gone
  CHECK(f.counters.get(ws_gauge::peers) == 0);
  CHECK(f.counters.get(ws_counter::peers_removed_by_cleaning) == 1);
}

TEST_CASE("a request naming a socket worker this tracker does not have is dropped, not a crash", "[swarm_service]") {
  service_fixture f;
  auto stray = f.announce(7, 1, 1, 0);
  f.service.handle(stray, 1, f.out);
  for (const auto& batch : f.out) CHECK(batch.empty());
}

}  // namespace
}  // namespace riptide::ws
