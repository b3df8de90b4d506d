// load_test against the real tracker_udp on loopback: a short run must get every request answered,
// well formed, with nothing lost. It checks correctness of both programs, not speed (speed is
// measured by scripts/bench-udp.sh, never asserted in a test).
#define CATCH_CONFIG_MAIN
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <thread>

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

// A UDP listener on 127.0.0.1 that answers every BEP 15 connect request `delay` after it came,
// with the request's transaction id or, if `own_transaction` is false, another one: a tracker that
// is late, or one whose replies match no request. It answers until the object goes.
class connect_answerer {
 public:
  connect_answerer(std::chrono::milliseconds delay, bool own_transaction)
      : delay_(delay), own_transaction_(own_transaction) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("connect_answerer: cannot bind");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~connect_answerer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  connect_answerer(const connect_answerer&) = delete;
  connect_answerer& operator=(const connect_answerer&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  struct due_reply {
    std::chrono::steady_clock::time_point at;
    std::array<std::uint8_t, 16> bytes;
    sockaddr_in to;
  };

  void serve() {
    std::deque<due_reply> due;
    while (!stop_) {
      pollfd readable{fd_, POLLIN, 0};
      ::poll(&readable, 1, 5);
      std::array<std::uint8_t, 2048> request{};
      sockaddr_in from{};
      socklen_t length = sizeof from;
      for (ssize_t got; (got = ::recvfrom(fd_, request.data(), request.size(), MSG_DONTWAIT,
                                          reinterpret_cast<sockaddr*>(&from), &length)) >= 16;
           length = sizeof from) {
        if (request[8] != 0 || request[9] != 0 || request[10] != 0 || request[11] != 0) continue;  // not a connect
        due_reply reply{std::chrono::steady_clock::now() + delay_, {}, from};
        std::memcpy(reply.bytes.data() + 4, request.data() + 12, 4);  // action 0, the transaction id
        if (!own_transaction_) reply.bytes[4] ^= 0x80;                 // one no request of this run has
        reply.bytes.back() = 1;                                         // a connection id
        due.push_back(reply);
      }
      while (!due.empty() && due.front().at <= std::chrono::steady_clock::now()) {
        ::sendto(fd_, due.front().bytes.data(), due.front().bytes.size(), 0,
                 reinterpret_cast<const sockaddr*>(&due.front().to), sizeof due.front().to);
        due.pop_front();
      }
    }
  }

  std::chrono::milliseconds delay_;
  bool own_transaction_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

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
  // Only the answers (the connects here) are timed: a quick refusal is no fast answer.
  CHECK(summary.at("latency_samples").as_int64() == summary.at("responses").as_int64());
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

TEST_CASE("load_test udp: a reply that matches no request is malformed and not late", "[load_test][integration]") {
  const connect_answerer tracker(std::chrono::milliseconds(0), false);
  const auto summary =
      run_load(tracker.port(), "127.0.0.1", "request_timeout_ms = 200\n", "[peers]\ncount = 20000\nwarmup = false\n", false);
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("malformed").as_int64() > 0);
  CHECK(summary.at("late").as_int64() == 0);
}

TEST_CASE("load_test udp: a reply after its request was counted lost is late", "[load_test][integration]") {
  const connect_answerer tracker(std::chrono::milliseconds(400), true);
  const auto summary =
      run_load(tracker.port(), "127.0.0.1", "request_timeout_ms = 200\n", "[peers]\ncount = 20000\nwarmup = false\n", false);
  INFO(boost::json::serialize(summary));
  CHECK(summary.at("lost").as_int64() > 0);
  CHECK(summary.at("late").as_int64() > 0);
  CHECK(summary.at("malformed").as_int64() == 0);
}
