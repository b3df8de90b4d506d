// What a socket worker keeps per connection: the shards it used, the torrents it holds, and its
// keep-alive and write-progress state.

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ws_connection.hpp"

namespace riptide::ws {
namespace {

class recording_connection final : public ws_connection {
 public:
  bool send(std::string message, message_kind) override {
    sent.push_back(std::move(message));
    return true;
  }
  void say_goodbye() override {}
  void ping() override {}
  void close_idle() override {}
  void drop() override {}
  void flush() override {}
  bool write_in_flight() const override { return writing; }
  void replies_settled() override { ++settlements; }
  int settlements = 0;
  bool writing = false;
  std::vector<std::string> sent;
};

template <typename Id>
Id id_of(std::uint8_t seed) {
  Id id;
  id.bytes.fill(seed);
  return id;
}

TEST_CASE("a connection holds at most `limit` torrents until released or silent for the expiry", "[connection]") {
  recording_connection connection;
  const auto torrent = [](std::uint8_t seed) { return id_of<proto::info_hash>(seed); };
  constexpr std::uint32_t limit = 2;
  constexpr std::uint32_t expiry = 100;
  // What the socket worker does with an announce: take a place, then route it with a number.
  const auto announce = [&](std::uint8_t seed, std::uint32_t now) -> std::optional<std::uint32_t> {
    if (connection.hold_torrent(torrent(seed), now, limit, expiry) == ws_connection::torrent_place::refused) {
      return std::nullopt;
    }
    return connection.announce_routed(torrent(seed), now);
  };
  const auto first = announce(1, 1000);
  const auto second = announce(2, 1010);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(announce(1, 1050));  // held already: announced again
  CHECK_FALSE(announce(3, 1050));

  SECTION("the shard says the connection holds no peer in a torrent any more") {
    connection.release_torrent(torrent(9), *second);  // not held: nothing changes
    CHECK_FALSE(announce(3, 1050));
    connection.release_torrent(torrent(2), *second);
    CHECK(announce(3, 1050));
    CHECK_FALSE(announce(4, 1050));
  }
  SECTION("a release for an announce followed by another of the same torrent is stale") {
    connection.release_torrent(torrent(1), *first);  // torrent 1 was announced again since
    CHECK_FALSE(announce(3, 1050));
    const auto stop = connection.announce_routed(torrent(2), 1060);  // a stop: no place taken
    const auto again = announce(2, 1060);                              // and at once a new start
    REQUIRE(again);
    connection.release_torrent(torrent(2), stop);  // the stop's: stale, the start holds it
    CHECK_FALSE(announce(3, 1060));
    connection.release_torrent(torrent(2), *again);  // had the start been refused
    CHECK(announce(3, 1060));
  }
  SECTION("a torrent not announced for the expiry is given back, one announced since is not") {
    CHECK_FALSE(announce(3, 1109));  // torrent 2: 99 s
    CHECK(announce(3, 1110));        // torrent 2: 100 s
    CHECK_FALSE(announce(4, 1149));  // torrent 1 announced at 1050
    CHECK(announce(4, 1150));
  }
}

TEST_CASE("a connection remembers the shards it announced to", "[connection]") {
  recording_connection connection;
  CHECK(connection.shards_used() == 0);
  connection.use_shard(0);
  connection.use_shard(5);
  connection.use_shard(5);
  CHECK(connection.shards_used() == ((std::uint64_t{1} << 0) | (std::uint64_t{1} << 5)));
}

TEST_CASE("a silent connection is pinged at half the idle timeout and expires at all of it", "[connection]") {
  using verdict = ws_connection::idle_verdict;
  using std::chrono::seconds;
  recording_connection connection;
  const auto start = std::chrono::steady_clock::now();
  const auto timeout = seconds(10);
  // Silence counts from construction (the handshake).
  CHECK(connection.check_idle(start + seconds(4), timeout) == verdict::fine);
  CHECK(connection.check_idle(start + seconds(5), timeout) == verdict::ping);
  CHECK(connection.check_idle(start + seconds(6), timeout) == verdict::fine);  // one ping only
  // A frame (the pong) starts the silence again at the next check.
  connection.heard();
  CHECK(connection.check_idle(start + seconds(7), timeout) == verdict::fine);
  CHECK(connection.check_idle(start + seconds(11), timeout) == verdict::fine);
  CHECK(connection.check_idle(start + seconds(12), timeout) == verdict::ping);  // a new ping
  CHECK(connection.check_idle(start + seconds(16), timeout) == verdict::fine);
  CHECK(connection.check_idle(start + seconds(17), timeout) == verdict::expired);
}

TEST_CASE("a write in flight with none finished for the write timeout is stalled", "[connection]") {
  using std::chrono::seconds;
  recording_connection connection;
  const auto start = std::chrono::steady_clock::now();
  const auto timeout = seconds(3);
  // Nothing written: never stalled, however long.
  CHECK_FALSE(connection.write_stalled(start + seconds(1), timeout));
  CHECK_FALSE(connection.write_stalled(start + seconds(100), timeout));
  // A write starts just before a check: the time counts from that check (101 s), not from the
  // check before, so a write a moment old is never taken for a stuck one.
  connection.writing = true;
  CHECK_FALSE(connection.write_stalled(start + seconds(101), timeout));
  CHECK_FALSE(connection.write_stalled(start + seconds(103), timeout));
  CHECK(connection.write_stalled(start + seconds(104), timeout));
  // Writes that keep finishing are progress, even with one always in flight.
  connection.wrote();  // and the next write is in flight
  CHECK_FALSE(connection.write_stalled(start + seconds(105), timeout));  // completed since
  CHECK_FALSE(connection.write_stalled(start + seconds(106), timeout));  // seen in flight: from here
  CHECK_FALSE(connection.write_stalled(start + seconds(108), timeout));
  CHECK(connection.write_stalled(start + seconds(109), timeout));
  // Finished at last: fine again, and a new write is timed afresh.
  connection.wrote();
  connection.writing = false;
  CHECK_FALSE(connection.write_stalled(start + seconds(110), timeout));
  CHECK_FALSE(connection.write_stalled(start + seconds(200), timeout));
  connection.writing = true;
  CHECK_FALSE(connection.write_stalled(start + seconds(201), timeout));
  CHECK_FALSE(connection.write_stalled(start + seconds(203), timeout));
  CHECK(connection.write_stalled(start + seconds(204), timeout));
}

TEST_CASE("replies owed are counted until they come back, and what stays owed a whole period is written off",
          "[connection]") {
  recording_connection connection;
  connection.owe_reply(300);
  connection.owe_reply(5000);
  CHECK(connection.owed_reply_bytes() == 5300);
  connection.settle_reply(300);
  CHECK(connection.owed_reply_bytes() == 5000);
  CHECK(connection.settlements == 1);
  // The first period started with nothing owed: nothing stayed owed all of it.
  CHECK_FALSE(connection.write_off_lost_replies());
  CHECK(connection.owed_reply_bytes() == 5000);
  // A connection that keeps sending: replies come and go, but 5,000 bytes (a lost reply) never
  // settle. The low of the period is 5,000: written off, though the count never reached zero.
  for (int i = 0; i < 5; ++i) {
    connection.owe_reply(300);
    connection.settle_reply(300);
  }
  connection.owe_reply(300);  // still due at the end of the period
  CHECK(connection.owed_reply_bytes() == 5300);
  CHECK(connection.write_off_lost_replies());
  CHECK(connection.owed_reply_bytes() == 300);
  CHECK(connection.settlements == 7);  // 6 settles and the write-off
  // The reply due at the end of that period comes in this one: nothing is lost.
  connection.settle_reply(300);
  CHECK_FALSE(connection.write_off_lost_replies());
  CHECK(connection.owed_reply_bytes() == 0);
  // More settled than owed (a reply that comes after its write-off) stays at zero.
  connection.settle_reply(300);
  CHECK(connection.owed_reply_bytes() == 0);
  // Owed at the start of a period and not settled by its end: lost, whatever is owed meanwhile.
  connection.owe_reply(1000);
  CHECK_FALSE(connection.write_off_lost_replies());  // owed within this period
  connection.owe_reply(200);
  CHECK(connection.write_off_lost_replies());
  CHECK(connection.owed_reply_bytes() == 200);
}

TEST_CASE("a late idle check pings first: the client gets half the timeout to answer", "[connection]") {
  using verdict = ws_connection::idle_verdict;
  using std::chrono::seconds;
  recording_connection connection;
  const auto start = std::chrono::steady_clock::now();
  const auto timeout = seconds(10);
  // The first check comes after the whole timeout (a stalled worker): a ping, not a drop.
  CHECK(connection.check_idle(start + seconds(12), timeout) == verdict::ping);
  CHECK(connection.check_idle(start + seconds(13), timeout) == verdict::fine);
  CHECK(connection.check_idle(start + seconds(16), timeout) == verdict::fine);
  CHECK(connection.check_idle(start + seconds(17), timeout) == verdict::expired);
  // Answered in time: fine again.
  recording_connection answering;
  CHECK(answering.check_idle(start + seconds(12), timeout) == verdict::ping);
  answering.heard();
  CHECK(answering.check_idle(start + seconds(14), timeout) == verdict::fine);
  CHECK(answering.check_idle(start + seconds(18), timeout) == verdict::fine);
}

}  // namespace
}  // namespace riptide::ws
