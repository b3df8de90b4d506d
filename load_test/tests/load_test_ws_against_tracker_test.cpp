// load_test ws against the real tracker_ws on loopback (ws:// and wss://): a short run with a few
// hundred connections must get announces and scrapes answered, offers and answers relayed both
// ways, nothing malformed and no failure replies. Correctness of both programs, not speed.
#define CATCH_CONFIG_MAIN
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <optional>
#include <string>
#include <thread>

#include "tracker_process.hpp"

using riptide::test::command_result;
using riptide::test::run_command;
using riptide::test::temporary_file;
using riptide::test::tracker_process;

namespace {

// 200 connections for 2 measured seconds. `run_extra`: more lines of the [run] section; `requests`:
// the [requests] section.
command_result run_load_test(std::uint16_t port, bool tls, const std::string& run_extra,
                             const std::string& requests = "message_interval_ms = 500\n") {
  const temporary_file config("[target]\naddress = \"127.0.0.1\"\nport = " + std::to_string(port) +
                              "\ntls = " + (tls ? "true" : "false") + "\n[run]\nconnections = 200\nduration_seconds = 2\n" +
                              run_extra + "[requests]\n" + requests);
  return run_command(LOAD_TEST_PATH, {"ws", "-c", config.path(), "--json"}, std::chrono::seconds(60));
}

// A run the tracker answered nothing in exits with 1 and says so in one line on stderr.
boost::json::object run_load(std::uint16_t port, bool tls, const std::string& run_extra = "threads = 2\n",
                             bool answered = true) {
  const auto result = run_load_test(port, tls, run_extra);
  INFO("stderr: " << result.standard_error);
  REQUIRE(result.exit_status == (answered ? 0 : 1));
  CHECK((result.standard_error.find("answered nothing (200 of 200 connections failed)") != std::string::npos) ==
        !answered);
  return boost::json::parse(result.standard_output).as_object();
}

void check_summary(const boost::json::object& summary, bool tls) {
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("tls").as_bool() == tls);
  CHECK(summary.at("connected").as_int64() == 200);
  CHECK(summary.at("connect_failures").as_int64() == 0);
  CHECK(summary.at("closed").as_int64() == 0);
  CHECK(summary.at("received_announce_response").as_int64() > 0);
  CHECK(summary.at("received_scrape_response").as_int64() > 0);
  CHECK(summary.at("received_offer").as_int64() > 0);
  CHECK(summary.at("sent_answer").as_int64() > 0);
  CHECK(summary.at("received_answer").as_int64() > 0);
  CHECK(summary.at("received_failure").as_int64() == 0);
  CHECK(summary.at("malformed").as_int64() == 0);
  CHECK(summary.at("announce_latency_us_p50").as_int64() > 0);
  CHECK(summary.at("announce_latency_samples").as_int64() > 0);
  // The tracker kept up: what went unanswered is at most what was in flight at the window's edges,
  // and load_test kept its schedule.
  const auto requests = summary.at("sent_announce").as_int64() + summary.at("sent_scrape").as_int64();
  CHECK(summary.at("unanswered").as_int64() <= requests / 20 + 20);
  CHECK(summary.at("missed").as_int64() == 0);
}

const std::string tracker_config = "[network]\nport = 0\n[statistics]\ninterval_seconds = 0\n";

// The tracker's GET /stats, parsed.
boost::json::object tracker_stats(std::uint16_t port) {
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(socket >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  REQUIRE(::connect(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string request = "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(socket, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t got; (got = ::recv(socket, buffer, sizeof buffer, 0)) > 0;) {
    response.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(socket);
  const auto body = response.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  return boost::json::parse(response.substr(body + 4)).as_object();
}

// The announces the tracker has counted, from GET /stats; nullopt if it does not answer. No test
// macros: called from a thread of its own.
std::optional<std::int64_t> announces_counted(std::uint16_t port) {
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket < 0) return std::nullopt;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  std::string response;
  const std::string request = "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::connect(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(socket, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t got; (got = ::recv(socket, buffer, sizeof buffer, 0)) > 0;) {
      response.append(buffer, static_cast<std::size_t>(got));
    }
  }
  ::close(socket);
  const auto body = response.find("\r\n\r\n");
  if (body == std::string::npos) return std::nullopt;
  boost::system::error_code error;
  const auto stats = boost::json::parse(response.substr(body + 4), error);
  if (error || !stats.is_object()) return std::nullopt;
  const auto* messages = stats.as_object().if_contains("messages");
  const auto* announces = messages != nullptr && messages->is_object() ? messages->as_object().if_contains("announce")
                                                                        : nullptr;
  if (announces == nullptr || !announces->is_int64()) return std::nullopt;
  return announces->as_int64();
}

// load_test's whole-run counts against the tracker's: every message the tracker counted was sent
// by load_test, and every reply load_test counted answered one the tracker counted.
void check_totals_against_tracker(const boost::json::object& summary, std::uint16_t port) {
  const auto stats = tracker_stats(port);
  INFO(boost::json::serialize(summary) << "\n" << boost::json::serialize(stats));
  const auto& messages = stats.at("messages").as_object();
  const auto total = [&](const char* name) { return summary.at(name).as_int64(); };
  CHECK(total("total_sent_announce") >= total("sent_announce"));
  CHECK(total("total_received_announce_response") > 0);
  CHECK(messages.at("announce").as_int64() <= total("total_sent_announce"));
  CHECK(messages.at("announce").as_int64() >= total("total_received_announce_response"));
  CHECK(messages.at("scrape").as_int64() <= total("total_sent_scrape"));
  CHECK(messages.at("scrape").as_int64() >= total("total_received_scrape_response"));
  CHECK(messages.at("answer").as_int64() <= total("total_sent_answer"));
  CHECK(stats.at("relayed").as_object().at("answers").as_int64() >= total("total_received_answer"));
  CHECK(stats.at("relayed").as_object().at("offers").as_int64() >= total("total_received_offer"));
}

}  // namespace

TEST_CASE("load_test ws: announces, scrapes, offers and answers flow over ws://", "[load_test][integration]") {
  tracker_process tracker(TRACKER_WS_PATH, tracker_config);
  const auto summary = run_load(tracker.port(), false);
  check_summary(summary, false);
  check_totals_against_tracker(summary, tracker.port());
  CHECK(tracker.stop() == 0);
}

TEST_CASE("load_test ws: the same with the load thread polling instead of sleeping", "[load_test][integration]") {
  // One thread, so that the tracker keeps a core of its own while the generator spins on the other.
  tracker_process tracker(TRACKER_WS_PATH, tracker_config);
  check_summary(run_load(tracker.port(), false, "threads = 1\nbusy_poll = true\n"), false);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("load_test ws: the same over wss:// with a self-signed certificate", "[load_test][integration]") {
  const temporary_file certificate("");
  const temporary_file key("");
  const auto made = run_command("/usr/bin/openssl",
                                {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                 "-keyout", key.path(), "-out", certificate.path(), "-days", "2", "-subj", "/CN=load"});
  INFO(made.standard_error);
  REQUIRE(made.exit_status == 0);
  tracker_process tracker(TRACKER_WS_PATH, tracker_config + "[tls]\nenabled = true\ncertificate_chain_path = \"" +
                                               certificate.path() + "\"\nprivate_key_path = \"" + key.path() + "\"\n");
  check_summary(run_load(tracker.port(), true), true);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("load_test ws: a tracker that is not there gives connect failures, not a hang", "[load_test][integration]") {
  std::uint16_t port = 0;
  {
    tracker_process tracker(TRACKER_WS_PATH, tracker_config);
    port = tracker.port();
    REQUIRE(tracker.stop() == 0);
  }
  const auto summary = run_load(port, false, "threads = 2\n", false);
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("connected").as_int64() == 0);
  CHECK(summary.at("connect_failures").as_int64() == 200);
  CHECK(summary.at("received_announce_response").as_int64() == 0);
}

TEST_CASE("load_test ws: a listener that never answers gives connect failures at the deadline, not a hang",
          "[load_test][integration]") {
  // The kernel completes TCP handshakes into the backlog whether or not anyone accepts: the
  // client connects, then its TLS ClientHello or its upgrade request goes unanswered.
  const bool tls = GENERATE(true, false);
  INFO((tls ? "wss://" : "ws://"));
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 512) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const auto summary = run_load(ntohs(address.sin_port), tls, "threads = 2\n", false);
  ::close(listener);
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("connected").as_int64() == 0);
  CHECK(summary.at("connect_failures").as_int64() == 200);
  CHECK(summary.at("closed").as_int64() == 0);
}

// Runs load_test against `tracker` and sends the tracker `signal_number` once it has answered the
// warm-up announce of each of the 200 connections (within 20 s): with the tracker answering nothing
// after that, the run must fail saying so. Returns its summary.
boost::json::object run_failed_after_warmup(const tracker_process& tracker, int signal_number) {
  std::thread signaller([&tracker, signal_number] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && announces_counted(tracker.port()).value_or(0) < 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    tracker.send_signal(signal_number);
  });
  const auto result = run_load_test(tracker.port(), false, "threads = 2\nwarmup_timeout_seconds = 20\n");
  signaller.join();
  INFO("stderr: " << result.standard_error);
  CHECK(result.exit_status == 1);
  CHECK(result.standard_error.find("answered nothing in the measured") != std::string::npos);
  auto summary = boost::json::parse(result.standard_output).as_object();
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("total_received_announce_response").as_int64() >= 200);  // the warm-up was answered
  CHECK(summary.at("received_announce_response").as_int64() == 0);
  return summary;
}

TEST_CASE("load_test ws: a tracker that stops answering after the warm-up fails the run and counts the unanswered",
          "[load_test][integration]") {
  tracker_process tracker(TRACKER_WS_PATH, tracker_config);
  // SIGSTOP: its sockets still take what is sent, and nothing is answered.
  const auto summary = run_failed_after_warmup(tracker, SIGSTOP);
  tracker.send_signal(SIGCONT);
  INFO(boost::json::serialize(summary));
  const auto requests = summary.at("sent_announce").as_int64() + summary.at("sent_scrape").as_int64();
  CHECK(requests > 0);
  CHECK(summary.at("unanswered").as_int64() == requests);
  CHECK(summary.at("announce_latency_samples").as_int64() == 0);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("load_test ws: a tracker that closes every connection after the warm-up fails the run",
          "[load_test][integration]") {
  tracker_process tracker(TRACKER_WS_PATH, tracker_config);
  // SIGTERM: a close frame to every connection, then it exits: no connection is left to ask on.
  const auto summary = run_failed_after_warmup(tracker, SIGTERM);
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("closed").as_int64() == summary.at("connected").as_int64());
}

TEST_CASE("load_test ws: slots of a schedule it cannot keep are counted as missed, not made up",
          "[load_test][integration]") {
  // 200 connections with a message each every millisecond: 200,000 a second and their replies, from
  // one thread, far more than it can send.
  tracker_process tracker(TRACKER_WS_PATH, tracker_config);
  const auto result =
      run_load_test(tracker.port(), false, "threads = 1\n", "message_interval_ms = 1\noffers_per_announce = 0\n");
  INFO("stderr: " << result.standard_error);
  REQUIRE(result.exit_status == 0);
  const auto summary = boost::json::parse(result.standard_output).as_object();
  INFO(boost::json::serialize(summary));
  const auto count = [&](const char* name) { return static_cast<double>(summary.at(name).as_int64()); };
  const double scheduled = 200 * 1000 * summary.at("seconds").to_number<double>();
  const double accounted = count("sent_announce") + count("sent_scrape") + count("dropped") + count("missed");
  CHECK(count("missed") > 0);
  // Each slot is sent, dropped or missed once, but missed slots are counted when the late timer
  // comes, so the window's count is off by what the thread's lag was at its two ends.
  CHECK(accounted <= scheduled * 1.2 + 200);
  CHECK(accounted >= scheduled * 0.5);
  CHECK(tracker.stop() == 0);
}
