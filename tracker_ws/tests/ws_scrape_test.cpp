// Scrapes, and the removal of a closed connection's peers.

#include <chrono>
#include <csignal>
#include <thread>

#include "ws_integration_support.hpp"

namespace riptide::test {
namespace {

std::string scrape(std::initializer_list<proto::info_hash> hashes) {
  const std::vector<proto::info_hash> list(hashes);
  return wt::encode_scrape(list);
}

TEST_CASE("scrape one and many info hashes", "[scrape]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  INFO("host " << host);
  tracker_process tracker(tracker_ws_path(), ws_config());
  const auto first = make_id<proto::info_hash>(20);
  const auto second = make_id<proto::info_hash>(21);
  const auto unknown = make_id<proto::info_hash>(22);
  ws_test_client seeder(host, tracker.port());
  // A known leecher that completes: one download.
  seeder.send(announce(first, make_id<proto::peer_id>(1), 9, wt::announce_event::started));
  expect_message<wt::announce_response>(seeder.receive());
  seeder.send(announce(first, make_id<proto::peer_id>(1), 0, wt::announce_event::completed));
  expect_message<wt::announce_response>(seeder.receive());
  seeder.send(announce(second, make_id<proto::peer_id>(1), 5));
  expect_message<wt::announce_response>(seeder.receive());

  ws_test_client client(host, tracker.port());
  client.send(scrape({first}));
  const auto one = expect_message<wt::scrape_response>(client.receive());
  REQUIRE(one.files.size() == 1);
  CHECK(one.files[0].hash == first);
  CHECK(one.files[0].stats == wt::scrape_stats{1, 0, 1});

  client.send(scrape({first, second, unknown}));
  auto many = expect_message<wt::scrape_response>(client.receive());
  REQUIRE(many.files.size() == 3);
  std::sort(many.files.begin(), many.files.end(), [](const auto& a, const auto& b) { return a.hash < b.hash; });
  for (const auto& file : many.files) {
    if (file.hash == first) CHECK(file.stats == wt::scrape_stats{1, 0, 1});
    if (file.hash == second) CHECK(file.stats == wt::scrape_stats{0, 1, 0});
    if (file.hash == unknown) CHECK(file.stats == wt::scrape_stats{0, 0, 0});
  }
}

TEST_CASE("hashes outside the access list scrape as zeros even when the list dropped a live swarm on reload", "[scrape]") {
  const auto kept = make_id<proto::info_hash>(23);
  const auto dropped = make_id<proto::info_hash>(24);
  temporary_file list(proto::to_hex(kept) + "\n" + proto::to_hex(dropped) + "\n");
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "[access_list]\nmode = \"allow\"\npath = \"" + list.path() + "\"\n"));
  ws_test_client peer("127.0.0.1", tracker.port());
  for (const auto& hash : {kept, dropped}) {
    peer.send(announce(hash, make_id<proto::peer_id>(1), 5));
    expect_message<wt::announce_response>(peer.receive());
  }
  list.write(proto::to_hex(kept) + "\n");
  tracker.send_signal(SIGUSR1);
  REQUIRE(tracker.wait_for_log("access list reloaded", std::chrono::seconds(5)));

  // The peer is still in the dropped swarm (it leaves when it times out), but no longer shown.
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(scrape({dropped}));
  auto alone = expect_message<wt::scrape_response>(client.receive());
  REQUIRE(alone.files.size() == 1);
  CHECK(alone.files[0].hash == dropped);
  CHECK(alone.files[0].stats == wt::scrape_stats{0, 0, 0});
  client.send(scrape({dropped, kept, make_id<proto::info_hash>(25)}));
  auto mixed = expect_message<wt::scrape_response>(client.receive());
  REQUIRE(mixed.files.size() == 3);
  for (const auto& file : mixed.files) {
    CHECK(file.stats == (file.hash == kept ? wt::scrape_stats{0, 1, 0} : wt::scrape_stats{0, 0, 0}));
  }
}

TEST_CASE("IPv4 and IPv6 peers are separate swarms, and a scrape counts the scraper's", "[scrape][announce]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  REQUIRE(tracker.has_ipv4());
  REQUIRE(tracker.has_ipv6());
  const auto hash = make_id<proto::info_hash>(30);
  ws_test_client over_ipv4("127.0.0.1", tracker.port());
  over_ipv4.send(announce(hash, make_id<proto::peer_id>(1), 10));
  CHECK(expect_message<wt::announce_response>(over_ipv4.receive()).incomplete == 1);
  ws_test_client over_ipv6("::1", tracker.port());
  over_ipv6.send(announce(hash, make_id<proto::peer_id>(2), 0));
  const auto reply = expect_message<wt::announce_response>(over_ipv6.receive());
  CHECK(reply.complete == 1);
  CHECK(reply.incomplete == 0);

  over_ipv4.send(scrape({hash}));
  auto from_ipv4 = expect_message<wt::scrape_response>(over_ipv4.receive());
  REQUIRE(from_ipv4.files.size() == 1);
  CHECK(from_ipv4.files[0].stats == wt::scrape_stats{0, 1, 0});
  over_ipv6.send(scrape({hash}));
  auto from_ipv6 = expect_message<wt::scrape_response>(over_ipv6.receive());
  REQUIRE(from_ipv6.files.size() == 1);
  CHECK(from_ipv6.files[0].stats == wt::scrape_stats{1, 0, 0});
}

TEST_CASE("a full scrape is refused with action scrape", "[scrape]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(R"({"action":"scrape"})");
  const auto failure = expect_message<wt::failure_reply>(client.receive());
  CHECK(failure.action == wt::message_action::scrape);
}

TEST_CASE("closing a connection removes its peers at once", "[scrape][lifecycle]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  INFO("host " << host);
  tracker_process tracker(tracker_ws_path(), ws_config());
  const auto hash = make_id<proto::info_hash>(30);
  ws_test_client observer(host, tracker.port());
  {
    ws_test_client a(host, tracker.port());
    a.send(announce(hash, make_id<proto::peer_id>(1), 0));
    CHECK(expect_message<wt::announce_response>(a.receive()).complete == 1);
    observer.send(scrape({hash}));
    CHECK(expect_message<wt::scrape_response>(observer.receive()).files.at(0).stats.complete == 1);
    a.close();
  }
  // The close and the scrape travel on different connections: allow the tracker a moment to see
  // the close first. "At once" is against the peer timeout (240 s), so a second is plenty.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::uint32_t complete = 1;
  while (complete != 0 && std::chrono::steady_clock::now() < deadline) {
    observer.send(scrape({hash}));
    complete = expect_message<wt::scrape_response>(observer.receive()).files.at(0).stats.complete;
  }
  CHECK(complete == 0);
}

TEST_CASE("a stopped announce removes the peer", "[scrape][lifecycle]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  const auto hash = make_id<proto::info_hash>(31);
  ws_test_client a("127.0.0.1", tracker.port());
  a.send(announce(hash, make_id<proto::peer_id>(1), 3));
  CHECK(expect_message<wt::announce_response>(a.receive()).incomplete == 1);
  a.send(announce(hash, make_id<proto::peer_id>(1), 3, wt::announce_event::stopped));
  a.receive();  // the response to stopped
  a.send(scrape({hash}));
  CHECK(expect_message<wt::scrape_response>(a.receive()).files.at(0).stats.incomplete == 0);
}

TEST_CASE("a torrent keeps its downloaded count when its last peer leaves, for completed_retention_seconds",
          "[scrape][lifecycle]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "[protocol]\ncompleted_retention_seconds = 3\n[cleaning]\ninterval_seconds = 1\n"));
  const auto hash = make_id<proto::info_hash>(33);
  ws_test_client observer("127.0.0.1", tracker.port());
  const auto scrape_stats = [&] {
    observer.send(scrape({hash}));
    return expect_message<wt::scrape_response>(observer.receive()).files.at(0).stats;
  };
  const auto download = [&](ws_test_client& client, std::uint8_t peer) {
    client.send(announce(hash, make_id<proto::peer_id>(peer), 9, wt::announce_event::started));
    expect_message<wt::announce_response>(client.receive());
    client.send(announce(hash, make_id<proto::peer_id>(peer), 0, wt::announce_event::completed));
    expect_message<wt::announce_response>(client.receive());
  };

  // The only peer downloads, then stops: the torrent has no peer, and still one download.
  ws_test_client a("127.0.0.1", tracker.port());
  download(a, 1);
  a.send(announce(hash, make_id<proto::peer_id>(1), 0, wt::announce_event::stopped));
  a.receive();  // the response to stopped
  CHECK(scrape_stats() == wt::scrape_stats{0, 0, 1});

  // A new peer counts on from it; then its connection closes.
  {
    ws_test_client b("127.0.0.1", tracker.port());
    download(b, 2);
    CHECK(scrape_stats() == wt::scrape_stats{1, 0, 2});
    b.close();
  }
  // Scrapes until `wanted`, for at most 10 s (the close and the scrapes travel on different
  // connections; the retention runs on the tracker's clock).
  const auto scrapes_until = [&](const wt::scrape_stats& wanted) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (scrape_stats() == wanted) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  CHECK(scrapes_until(wt::scrape_stats{0, 0, 2}));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("torrents":0,)"));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("completed_counts_kept":1,)"));
  // Three seconds later (by the next cleaning), the count is gone too.
  CHECK(scrapes_until(wt::scrape_stats{}));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("completed_counts_kept":0,)"));
}

TEST_CASE("a silent peer expires after peer_timeout_seconds, by the cleaning timer", "[scrape][lifecycle]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "[protocol]\nannounce_interval_seconds = 1\npeer_timeout_seconds = 2\n"
                                        "[cleaning]\ninterval_seconds = 1\n"));
  const auto hash = make_id<proto::info_hash>(32);
  ws_test_client a("127.0.0.1", tracker.port());
  a.send(announce(hash, make_id<proto::peer_id>(1), 0));
  CHECK(expect_message<wt::announce_response>(a.receive()).complete == 1);
  // `a` stays connected (so only expiry can remove it) and sends nothing more.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  std::uint32_t complete = 1;
  while (complete != 0 && std::chrono::steady_clock::now() < deadline) {
    CHECK_FALSE(a.receive(std::chrono::milliseconds(250)));
    a.send(scrape({hash}));
    complete = expect_message<wt::scrape_response>(a.receive()).files.at(0).stats.complete;
  }
  CHECK(complete == 0);
  CHECK(std::chrono::steady_clock::now() < deadline);
}

}  // namespace
}  // namespace riptide::test
