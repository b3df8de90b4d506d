// A socket worker without sockets: messages handed to it as a session would, its channel to a
// request worker that nobody drains, and what it sends back to the connection.

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "tracker/proto/webtorrent_codec.hpp"
#include "ws_connection.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {
namespace {

namespace wt = proto::webtorrent;

class recording_connection final : public ws_connection {
 public:
  void attach_to(ws_socket_worker& worker) { connection_id_ = worker.attach(*this); }
  bool send(std::string message, message_kind) override {
    sent.push_back(std::move(message));
    return true;
  }
  void say_goodbye() override {}
  void ping() override {}
  void close_idle() override {}
  void drop() override {}
  void flush() override {}
  bool write_in_flight() const override { return false; }
  void replies_settled() override { ++settlements; }
  int settlements = 0;
  std::vector<std::string> sent;
};

std::string announce_text(std::uint8_t peer) {
  wt::announce_message message;
  message.hash.bytes.fill(7);
  message.peer.bytes.fill(peer);
  message.left = 0;
  return wt::encode_announce(message);
}

TEST_CASE("a message that is not UTF-8 gets no reply: the session is told to close", "[socket_worker]") {
  ws_tracker_config config;
  auto access_list = std::get<std::unique_ptr<runtime::access_list_holder>>(
      runtime::access_list_holder::create(config.access_list));
  const runtime::tracker_clock clock;
  const core::shard_router router(core::siphash_key{1, 2}, 1);
  connection_limiter limiter(100, 100);
  process_heap_trim heap_trim(1, false);
  ws_counters counters;
  recording_connection connection;
  ws_swarm_access swarms;
  swarms.inline_service = std::make_unique<ws_swarm_service>(ws_swarm_settings{}, core::siphash_key{3, 4}, 5,
                                                             clock.now_seconds(), counters);
  ws_socket_worker worker(0, config,
                          ws_socket_worker_services{*access_list, clock, router, limiter, heap_trim, {}, {&counters}},
                          std::move(swarms), counters, nullptr);
  connection.attach_to(worker);
  using verdict = ws_socket_worker::message_verdict;
  CHECK(worker.handle_message(connection, "{\"action\":\"scrape\",\"x\":\"\xc3\x28\"}") == verdict::not_utf8);
  CHECK(connection.sent.empty());
  // Broken JSON that is UTF-8 gets its failure reply.
  CHECK(worker.handle_message(connection, "{\"action\":\"scr\u00e9") == verdict::served);
  CHECK(connection.sent.size() == 1);
  CHECK(worker.handle_message(connection, announce_text(1)) == verdict::served);
  CHECK(connection.sent.size() == 2);
}

// A socket worker with request workers (one by default) whose channels hold 16 requests each and
// that nobody drains.
struct worker_with_full_channel {
  static ws_tracker_config config_with(std::uint32_t max_torrents_per_connection, std::uint16_t request_workers) {
    ws_tracker_config config;
    config.workers.request_workers = request_workers;
    config.channels.request_queue_capacity = 16;
    config.limits.max_torrents_per_connection = max_torrents_per_connection;
    return config;
  }
  static std::vector<std::unique_ptr<ws_request_inbox>> inboxes(std::uint16_t count) {
    std::vector<std::unique_ptr<ws_request_inbox>> made;
    for (std::uint16_t i = 0; i < count; ++i) made.push_back(std::make_unique<ws_request_inbox>(1, 16));
    return made;
  }
  static ws_swarm_access swarms_of(const std::vector<std::unique_ptr<ws_request_inbox>>& requests,
                                   ws_response_inbox& responses) {
    ws_swarm_access swarms;
    for (const auto& inbox : requests) swarms.request_inboxes.push_back(inbox.get());
    swarms.responses = &responses;
    return swarms;
  }

  explicit worker_with_full_channel(std::uint32_t max_torrents_per_connection = 256, std::uint16_t request_workers = 1)
      : config(config_with(max_torrents_per_connection, request_workers)),
        access_list(std::get<std::unique_ptr<runtime::access_list_holder>>(
            runtime::access_list_holder::create(config.access_list))),
        router(core::siphash_key{1, 2}, request_workers),
        requests(inboxes(request_workers)),
        worker(0, config, ws_socket_worker_services{*access_list, clock, router, limiter, heap_trim, {}, {&counters}},
               swarms_of(requests, responses), counters, nullptr) {
    connection.attach_to(worker);
  }

  ws_tracker_config config;
  std::unique_ptr<runtime::access_list_holder> access_list;
  const runtime::tracker_clock clock;
  const core::shard_router router;
  connection_limiter limiter{100, 100};
  process_heap_trim heap_trim{1, false};
  std::vector<std::unique_ptr<ws_request_inbox>> requests;  // one per request worker
  ws_response_inbox responses{1, 64};
  ws_counters counters;
  recording_connection connection;  // outlives the worker, which holds a pointer to it
  ws_socket_worker worker;
};

TEST_CASE("requests a full channel refuses are counted and told the tracker is busy", "[socket_worker]") {
  worker_with_full_channel f;
  auto& counters = f.counters;
  auto& connection = f.connection;
  auto& worker = f.worker;

  // One read's worth of 20 announces: one batch, flushed once run() starts; 16 fit the channel.
  for (std::uint8_t i = 0; i < 20; ++i) worker.handle_message(connection, announce_text(i));
  worker.stop();  // after the flush; the goodbye then waits out its deadline (1 s)
  worker.run();

  CHECK(counters.get(ws_counter::dropped_request_queue_full) == 4);
  REQUIRE(connection.sent.size() == 4);
  proto::info_hash hash;
  hash.bytes.fill(7);
  for (const auto& text : connection.sent) {
    auto decoded = wt::decode_tracker_message(text);
    REQUIRE(std::holds_alternative<wt::tracker_message>(decoded));
    const auto* failure = std::get_if<wt::failure_reply>(&std::get<wt::tracker_message>(decoded));
    REQUIRE(failure != nullptr);
    CHECK(failure->reason == "tracker busy, announce again later");
    CHECK(failure->action == wt::message_action::announce);
    CHECK(failure->hash == hash);
  }
  // The 16 that fit are in the channel, in order.
  ws_request taken[32];
  CHECK(f.requests[0]->receive(taken, 32, 0) == 16);
}

TEST_CASE("with request workers each routed announce owes its connection a reply until it comes back", "[socket_worker]") {
  worker_with_full_channel f;
  auto& connection = f.connection;
  // 20 announces owe 20 replies; an answer owes none (the reference tracker sends it none).
  for (std::uint8_t i = 0; i < 20; ++i) f.worker.handle_message(connection, announce_text(i));
  const std::size_t owed_by_20 = connection.owed_reply_bytes();
  CHECK(owed_by_20 > 0);
  wt::announce_message answer;
  answer.hash.bytes.fill(7);
  answer.peer.bytes.fill(30);
  answer.answer = wt::announce_answer{proto::peer_id{}, proto::offer_id{}, *wt::json_text::parse_object("{}")};
  f.worker.handle_message(connection, wt::encode_announce(answer));
  CHECK(connection.owed_reply_bytes() == owed_by_20);
  // The 4 a full channel refuses are answered ("tracker busy") and settled; 16 stay owed.
  f.worker.stop();
  f.worker.run();
  CHECK(connection.sent.size() == 4);
  CHECK(connection.settlements == 4);
  CHECK(connection.owed_reply_bytes() * 20 == owed_by_20 * 16);
}

// A scrape of `count` distinct hashes, or of one hash `count` times.
std::string scrape_text(std::size_t count, bool distinct = true) {
  std::vector<proto::info_hash> hashes(count);
  for (std::size_t i = 0; i < count; ++i) hashes[i].bytes.fill(static_cast<std::uint8_t>(distinct ? i : 0));
  return wt::encode_scrape(hashes);
}

TEST_CASE("with request workers a scrape owes its connection a bound that grows with its distinct hashes", "[socket_worker]") {
  worker_with_full_channel f;
  auto& connection = f.connection;
  auto owed_by = [&](const std::string& scrape) {
    const std::size_t before = connection.owed_reply_bytes();
    f.worker.handle_message(connection, scrape);
    return connection.owed_reply_bytes() - before;
  };
  // One router shard: each scrape is one request, and the channel takes 16.
  const std::size_t one = owed_by(scrape_text(1));
  CHECK(one > 0);
  CHECK(owed_by(scrape_text(10, false)) == one);  // a hash asked for twice is answered once
  const std::size_t ten = owed_by(scrape_text(10));
  const std::size_t all = owed_by(scrape_text(wt::decode_limits{}.max_scrape_hashes));
  CHECK(one < ten);
  CHECK(ten < all);
  for (int i = 0; i < 12; ++i) owed_by(scrape_text(1));
  const std::size_t owed_by_16 = connection.owed_reply_bytes();
  CHECK(owed_by_16 == 14 * one + ten + all);
  // The channel is full: the next two are refused ("tracker busy") and settle what each owed.
  owed_by(scrape_text(wt::decode_limits{}.max_scrape_hashes));
  owed_by(scrape_text(1));
  f.worker.stop();
  f.worker.run();
  CHECK(connection.sent.size() == 2);
  CHECK(connection.settlements == 2);
  CHECK(connection.owed_reply_bytes() == owed_by_16);
}

TEST_CASE("a scrape split over request workers counts once when full channels refuse it", "[socket_worker]") {
  worker_with_full_channel f(256, 2);
  auto& connection = f.connection;
  // 20 scrapes of 64 hashes, each in both shards: 16 fit, the last 4 are refused in both.
  for (int i = 0; i < 20; ++i) f.worker.handle_message(connection, scrape_text(64));
  f.worker.stop();
  f.worker.run();
  CHECK(connection.sent.size() == 4);
  for (const auto& text : connection.sent) CHECK(text.find("tracker busy, scrape again later") != std::string::npos);
  CHECK(f.counters.get(ws_counter::dropped_request_queue_full) == 4);
  ws_request taken[32];
  CHECK(f.requests[0]->receive(taken, 32, 0) == 16);
  CHECK(f.requests[1]->receive(taken, 32, 0) == 16);
}

std::string announce_of_torrent(std::uint8_t torrent) {
  wt::announce_message message;
  message.hash.bytes.fill(torrent);
  message.peer.bytes.fill(1);
  message.left = 0;
  return wt::encode_announce(message);
}

TEST_CASE("an announce a full channel refuses gives back the torrent place it took", "[socket_worker]") {
  worker_with_full_channel f(20);
  auto& counters = f.counters;
  auto& connection = f.connection;
  auto& worker = f.worker;

  // 20 new torrents: each takes a place; 16 reach the channel, 4 are refused (busy) and give theirs back.
  for (std::uint8_t torrent = 1; torrent <= 20; ++torrent) worker.handle_message(connection, announce_of_torrent(torrent));
  worker.stop();
  worker.run();
  REQUIRE(counters.get(ws_counter::dropped_request_queue_full) == 4);
  connection.sent.clear();
  // So 4 more new torrents fit (they are routed: no reply here), and the 5th is one too many.
  for (std::uint8_t torrent = 21; torrent <= 24; ++torrent) worker.handle_message(connection, announce_of_torrent(torrent));
  CHECK(connection.sent.empty());
  CHECK(counters.get(ws_counter::too_many_torrents) == 0);
  worker.handle_message(connection, announce_of_torrent(25));
  CHECK(counters.get(ws_counter::too_many_torrents) == 1);
}

// A connection that notes each flush in `log`, and when flushed asks the worker for what
// `on_flush` says; `gone` is set when it is destroyed.
class flushing_connection final : public ws_connection {
 public:
  flushing_connection(std::string name, std::vector<std::string>& log, bool& gone)
      : name_(std::move(name)), log_(log), gone_(gone) {}
  ~flushing_connection() override { gone_ = true; }
  bool send(std::string, message_kind) override { return true; }
  void say_goodbye() override {}
  void ping() override {}
  void close_idle() override {}
  void drop() override {}
  bool write_in_flight() const override { return false; }
  void replies_settled() override { ++settlements; }
  int settlements = 0;
  void flush() override {
    log_.push_back(name_);
    if (on_flush) on_flush();
  }
  std::function<void()> on_flush;

 private:
  std::string name_;
  std::vector<std::string>& log_;
  bool& gone_;
};

TEST_CASE("flush_later: one posted round flushes each connection that asked, in order, and asks made during it get "
          "the next round", "[socket_worker]") {
  worker_with_full_channel f;
  std::vector<std::string> log;
  bool a_gone = false, b_gone = false, c_gone = false, d_gone = false;
  auto a = std::make_shared<flushing_connection>("a", log, a_gone);
  auto b = std::make_shared<flushing_connection>("b", log, b_gone);
  auto c = std::make_shared<flushing_connection>("c", log, c_gone);
  auto d = std::make_shared<flushing_connection>("d", log, d_gone);
  // a's flush asks for c's (a write that lets a paused connection read, which queues for another);
  // c's ends the run, behind everything posted so far.
  a->on_flush = [&] { f.worker.flush_later(c); };
  c->on_flush = [&] { f.worker.stop(); };
  f.worker.flush_later(a);
  f.worker.flush_later(b);
  f.worker.flush_later(d);
  d.reset();  // only the worker holds it now: it goes once flushed
  CHECK_FALSE(d_gone);
  // Should c never be flushed, the run still ends (and the check below fails).
  std::mutex mutex;
  std::condition_variable ran;
  bool finished = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    if (!ran.wait_for(lock, std::chrono::seconds(5), [&] { return finished; })) f.worker.stop();
  });
  f.worker.run();
  {
    const std::lock_guard lock(mutex);
    finished = true;
  }
  ran.notify_one();
  watchdog.join();
  CHECK(log == std::vector<std::string>{"a", "b", "d", "c"});
  CHECK(d_gone);
  // The worker holds no connection after its rounds.
  CHECK(a.use_count() == 1);
  CHECK(c.use_count() == 1);
}

TEST_CASE("flush_later: a worker destroyed with flushes due lets their connections go unflushed", "[socket_worker]") {
  std::vector<std::string> log;
  bool gone = false;
  {
    worker_with_full_channel f;
    f.worker.flush_later(std::make_shared<flushing_connection>("e", log, gone));
    CHECK_FALSE(gone);
  }
  CHECK(gone);
  CHECK(log.empty());
}

}  // namespace
}  // namespace riptide::ws
