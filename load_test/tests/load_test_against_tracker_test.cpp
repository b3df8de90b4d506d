// load_test against the real tracker_udp on loopback: a short run must get every request answered,
// well formed, with nothing lost. It checks correctness of both programs, not speed (speed is
// measured by scripts/bench-udp.sh, never asserted in a test).
#define CATCH_CONFIG_MAIN
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "tracker_process.hpp"

using riptide::test::run_command;
using riptide::test::temporary_file;
using riptide::test::tracker_process;

namespace {

// `run_keys` go into [run]; `sections` are further whole sections (not target, run or torrents).
// A run the tracker answered nothing in exits with 1 and says so in one line on stderr.
boost::json::object run_load(std::uint16_t port, const std::string& address, const std::string& run_keys,
                             const std::string& sections, bool answered = true) {
  const temporary_file config("[target]\naddress = \"" + address + "\"\nport = " + std::to_string(port) +
                              "\n[run]\nduration_seconds = 2\nsockets_per_thread = 4\n" + run_keys +
                              "[torrents]\ncount = 2000\n" + sections);
  const auto result = run_command(LOAD_TEST_PATH, {"udp", "-c", config.path(), "--json"}, std::chrono::seconds(60));
  INFO("stderr: " << result.standard_error);
  REQUIRE(result.exit_status == (answered ? 0 : 1));
  CHECK((result.standard_error.find("answered none of the requests measured") != std::string::npos) == !answered);
  return boost::json::parse(result.standard_output).as_object();
}

}  // namespace

TEST_CASE("load_test udp: every request answered, none malformed or lost", "[load_test][integration]") {
  const std::string address = GENERATE(std::string("127.0.0.1"), std::string("::1"));
  // Hand-off between threads, and the single thread that owns every torrent.
  const std::string workers = GENERATE(std::string("socket_workers = 2\nrequest_workers = 2\n"),
                                       std::string("socket_workers = 1\nrequest_workers = 0\n"));
  INFO(address << " " << workers);
  tracker_process tracker(TRACKER_UDP_PATH,
                          "[network]\nipv4_address = \"127.0.0.1\"\nipv6_address = \"::1\"\nport = 0\n"
                          "[workers]\n" + workers + "[statistics]\ninterval_seconds = 0\n");
  const auto summary = run_load(tracker.port(), address, "",
                                "[requests]\nconnect_weight = 5\nmax_scrape_hashes = 74\n[peers]\ncount = 20000\n");
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("responses").as_int64() > 0);
  CHECK(summary.at("announce_per_second").as_double() > 0);
  CHECK(summary.at("scrape_per_second").as_double() > 0);
  CHECK(summary.at("connect_per_second").as_double() > 0);
  CHECK(summary.at("malformed").as_int64() == 0);
  CHECK(summary.at("lost").as_int64() == 0);
  CHECK(summary.at("error_replies").as_int64() == 0);
  CHECK(summary.at("sent").as_int64() == summary.at("responses").as_int64());
  // Warm-up filled the swarms, so announces get peers back.
  CHECK(summary.at("peers_per_announce").as_double() > 1.0);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("load_test udp: error replies are counted as such", "[load_test][integration]") {
  // An allow-mode access list with one unrelated hash: every announce is refused with an error.
  const temporary_file whitelist("0123456789abcdef0123456789abcdef01234567\n");
  tracker_process tracker(TRACKER_UDP_PATH, "[network]\nipv4_address = \"127.0.0.1\"\nipv6_address = \"\"\nport = 0\n"
                                            "[access_list]\nmode = \"allow\"\npath = \"" + whitelist.path() + "\"\n");
  const auto summary =
      run_load(tracker.port(), "127.0.0.1", "", "[requests]\nscrape_weight = 0\n[peers]\ncount = 20000\nwarmup = false\n");
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("error_replies").as_int64() > 0);
  CHECK(summary.at("announce_per_second").as_double() == 0);
  CHECK(summary.at("first_error").as_string() == "info hash not allowed");
  CHECK(summary.at("malformed").as_int64() == 0);
}

TEST_CASE("load_test udp: a tracker that does not answer is lost, not a hang", "[load_test][integration]") {
  // Nothing listens on this port (the tracker is stopped first, so the port was free a moment ago).
  std::uint16_t port = 0;
  {
    tracker_process tracker(TRACKER_UDP_PATH, "[network]\nipv4_address = \"127.0.0.1\"\nipv6_address = \"\"\nport = 0\n");
    port = tracker.port();
    REQUIRE(tracker.stop() == 0);
  }
  const auto summary =
      run_load(port, "127.0.0.1", "request_timeout_ms = 200\n", "[peers]\ncount = 20000\nwarmup = false\n", false);
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("responses").as_int64() == 0);
  CHECK(summary.at("lost").as_int64() > 0);
}
