// Start-up and shutdown of the real tracker: a graceful stop, and a port already in use.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "process_inspection.hpp"
#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

using proto::address_family;

// A plain UDP socket bound to address:0 without SO_REUSEPORT, so that nobody else can bind the
// same address and port while it lives.
class port_holder {
 public:
  explicit port_holder(address_family family) {
    fd_ = ::socket(family == address_family::ipv4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (family == address_family::ipv4) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      std::memcpy(&storage, &v4, sizeof v4);
      length = sizeof v4;
    } else {
      sockaddr_in6 v6{};
      v6.sin6_family = AF_INET6;
      v6.sin6_addr = in6addr_loopback;
      std::memcpy(&storage, &v6, sizeof v6);
      length = sizeof v6;
    }
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&storage), length) == 0);
    sockaddr_storage bound{};
    socklen_t bound_length = sizeof bound;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length) == 0);
    port_ = family == address_family::ipv4 ? ntohs(reinterpret_cast<const sockaddr_in&>(bound).sin_port)
                                           : ntohs(reinterpret_cast<const sockaddr_in6&>(bound).sin6_port);
  }
  ~port_holder() {
    if (fd_ >= 0) ::close(fd_);
  }
  port_holder(const port_holder&) = delete;
  port_holder& operator=(const port_holder&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Stops the tracker (gracefully) and returns the statistics line it logs at the stop.
std::string stop_line(tracker_process& tracker) {
  CHECK(tracker.stop() == 0);
  const auto& lines = tracker.log_lines();
  const auto last = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("at the stop, over the last ") != std::string::npos;
  });
  REQUIRE(last != lines.end());
  return *last;
}

TEST_CASE("lifecycle: SIGTERM stops the tracker gracefully with exit status 0", "[udp][lifecycle]") {
  const auto tracker = start_tracker(tracker_config());
  CHECK(tracker->has_ipv4());
  CHECK(tracker->has_ipv6());
  udp_test_client v4(client_address(address_family::ipv4, 0), tracker->port());
  udp_test_client v6(client_address(address_family::ipv6, 0), tracker->port());
  v4.connect();
  v6.connect();
  v4.announce_ok(v4.make_announce(make_info_hash(900), 7001));
  CHECK(tracker->stop() == 0);
}

TEST_CASE("lifecycle: the stop logs what came since the last statistics line", "[udp][lifecycle]") {
  const auto tracker = start_tracker(tracker_config().set("statistics", "interval_seconds", 3600));
  udp_test_client v4(client_address(address_family::ipv4, 0), tracker->port());
  v4.connect();
  v4.announce_ok(v4.make_announce(make_info_hash(901), 7001));
  const std::string last = stop_line(*tracker);
  INFO(last);
  // One connect and one announce, at a rate over those seconds: not zero.
  CHECK(last.find("stats: requests/s connect=0.0 ") == std::string::npos);
  CHECK(last.find(" announce=0.0 scrape") == std::string::npos);
  CHECK(last.find("peers=1 ") != std::string::npos);
}

TEST_CASE("lifecycle: bytes in count a datagram too long to read at its length on the wire", "[udp][lifecycle]") {
  const auto tracker = start_tracker(tracker_config().set("statistics", "interval_seconds", 3600));
  udp_test_client client(client_address(address_family::ipv4, 0), tracker->port());
  // Longer than the 2,048 bytes read of a datagram: dropped unread, but 3,000 bytes came in.
  const std::vector<std::uint8_t> datagram(3000, 0);
  for (int i = 0; i < 10; ++i) client.send_raw(datagram);
  client.connect();  // answered after the ten were read: one socket, one worker, in order
  // The stop line gives a rate over its seconds, printed to the millisecond: a few hundred of
  // them make the product exact to a fraction of a per cent.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string last = stop_line(*tracker);
  INFO(last);
  const auto number_after = [&](const std::string& label) {
    const auto at = last.find(label);
    REQUIRE(at != std::string::npos);
    return std::stod(last.substr(at + label.size()));
  };
  CHECK(last.find(" unanswerable=10 ") != std::string::npos);
  // 30,016 bytes with the 16-byte connect, not 2,048 for each of the ten.
  const double bytes_in = number_after("bytes/s in=") * number_after("over the last ");
  CHECK(bytes_in > 30016 * 0.99);
  CHECK(bytes_in < 30016 * 1.01);
}

TEST_CASE("lifecycle: datagrams the kernel drops for want of buffer room are counted", "[udp][lifecycle]") {
  const auto tracker = start_tracker(tracker_config()
                                         .set("statistics", "interval_seconds", 1)
                                         .set("network", "socket_receive_buffer_bytes", 4096));
  udp_test_client client(client_address(address_family::ipv4, 0), tracker->port());
  // Stopped, the tracker reads nothing: what its socket's few kilobytes cannot hold, the kernel drops.
  tracker->send_signal(SIGSTOP);
  for (int i = 0; i < 500 && !all_threads_stopped(tracker->pid()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(all_threads_stopped(tracker->pid()));
  const std::vector<std::uint8_t> datagram(100, 0);
  for (int i = 0; i < 2000; ++i) client.send_raw(datagram);
  tracker->send_signal(SIGCONT);
  std::uint64_t dropped = 0;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       dropped == 0 && std::chrono::steady_clock::now() < deadline;) {
    const auto line = tracker->wait_for_log("stats:", std::chrono::seconds(2));
    if (!line) continue;
    const auto at = line->find(" by_kernel=");
    REQUIRE(at != std::string::npos);
    dropped += std::stoull(line->substr(at + 11));
  }
  CHECK(dropped > 1000);
  CHECK(dropped <= 2000);
  CHECK(tracker->stop() == 0);
}

TEST_CASE("lifecycle: a port in use is one line on stderr naming the address, and a non-zero exit",
          "[udp][lifecycle]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const port_holder taken(family);
  tracker_config config;
  config.set("network", "port", taken.port());
  // Only the family under test, so that the failure is about the taken address.
  config.set_string("network", family == address_family::ipv4 ? "ipv6_address" : "ipv4_address", "");
  const temporary_file config_file(config.text());

  const command_result result = run_command(tracker_executable(), {"-c", config_file.path()});
  INFO("stdout: " << result.standard_output);
  INFO("stderr: " << result.standard_error);
  CHECK(result.exit_status > 0);
  CHECK(count_lines(result.standard_error) == 1);
  const std::string address = family == address_family::ipv4 ? "127.0.0.1:" + std::to_string(taken.port())
                                                              : "[::1]:" + std::to_string(taken.port());
  CHECK(result.standard_error.find(address) != std::string::npos);
  CHECK(result.standard_error.find("is another tracker running?") != std::string::npos);
  CHECK(result.standard_output.find("ready") == std::string::npos);
}

TEST_CASE("lifecycle: a bind that fails for another reason than a tracker on the port does not blame one",
          "[udp][lifecycle]") {
  tracker_config config;
  config.set("network", "port", 8000);
  config.set_string("network", "ipv4_address", "192.0.2.1");  // TEST-NET-1: no address of this machine
  config.set_string("network", "ipv6_address", "");
  const temporary_file config_file(config.text());
  const command_result result = run_command(tracker_executable(), {"-c", config_file.path()});
  INFO("stderr: " << result.standard_error);
  CHECK(result.exit_status > 0);
  CHECK(result.standard_error.find("Cannot assign requested address") != std::string::npos);
  CHECK(result.standard_error.find("another tracker") == std::string::npos);
}

TEST_CASE("lifecycle: privileges are dropped once the sockets are bound, and the tracker still serves",
          "[udp][lifecycle]") {
  // Dropping privileges needs them first: CI and the developers' machines run as root. Elsewhere
  // this case says so and checks nothing.
  if (::geteuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  const temporary_chroot root;
  const auto no_leak_check = without_leak_check();  // the empty chroot has no /proc
  const std::string user = GENERATE(std::string("nobody"), std::string("65534"));  // a name, or nobody's id
  INFO("user " << user);
  tracker_config config;
  config.set_bool("privileges", "drop", true);
  config.set_string("privileges", "chroot_path", root.path());
  config.set_string("privileges", "user", user);
  tracker_process tracker(tracker_executable(), config.text());
  check_dropped_to_nobody(tracker.pid(), root.path());

  udp_test_client client(client_address(address_family::ipv4, 0), tracker.port());
  client.connect();
  client.announce_ok(client.make_announce(make_info_hash(901), 7002));
  const int status = tracker.stop();
  if (status != 0) {
    for (const std::string& line : tracker.log_lines()) UNSCOPED_INFO(line);
  }
  CHECK(status == 0);
}

TEST_CASE("lifecycle: a privilege drop to root is refused at start-up, not done", "[udp][lifecycle]") {
  if (::geteuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  tracker_config config;
  config.set_bool("privileges", "drop", true);
  config.set_string("privileges", "user", "root");
  const temporary_file file(config.text());
  const auto result = run_command(tracker_executable(), {"-c", file.path()}, std::chrono::seconds(10));
  INFO(result.standard_error);
  CHECK(result.exit_status == 1);
  CHECK(result.standard_error.find("privileges: user root is root, and dropping to it would keep every privilege") !=
        std::string::npos);
}

}  // namespace
}  // namespace riptide::test
