// The access list against the real tracker: allow and deny modes, reload on SIGUSR1 (a bad file
// keeps the previous list), and a bad file at start-up.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "udp_integration_support.hpp"

namespace riptide::test {
namespace {

namespace udp = proto::udp;
using proto::address_family;

tracker_config access_list_config(const std::string& mode, const std::string& path) {
  tracker_config config;
  config.set_string("access_list", "mode", mode);
  config.set_string("access_list", "path", path);
  return config;
}

// Whether an announce of `hash` is served; throws on a reply that is neither a success nor the
// access list's refusal.
bool announce_allowed(udp_test_client& client, const proto::info_hash& hash) {
  const auto reply = client.announce(client.make_announce(hash, 7001));
  if (std::holds_alternative<udp::announce_response>(reply)) return true;
  REQUIRE(std::holds_alternative<udp::error_response>(reply));
  CHECK(std::get<udp::error_response>(reply).message == "info hash not allowed");
  return false;
}

TEST_CASE("access list: mode allow serves only the listed hashes", "[udp][access_list]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const proto::info_hash listed = make_info_hash(700);
  const proto::info_hash unlisted = make_info_hash(701);
  const temporary_file list("# allowed torrents\n" + proto::to_hex(listed) + "\n");
  const auto tracker = start_tracker(access_list_config("allow", list.path()));
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();

  CHECK(announce_allowed(client, listed));
  CHECK_FALSE(announce_allowed(client, unlisted));
  const std::vector<proto::info_hash> both{unlisted, listed};
  const auto entries = client.scrape_ok(both);
  CHECK(counts_of(entries[0]) == swarm_counts{});
  CHECK(counts_of(entries[1]) == swarm_counts{0, 0, 1});
}

TEST_CASE("access list: mode deny serves all but the listed hashes", "[udp][access_list]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const proto::info_hash listed = make_info_hash(710);
  const proto::info_hash unlisted = make_info_hash(711);
  const temporary_file list(proto::to_hex(listed) + "\n");
  const auto tracker = start_tracker(access_list_config("deny", list.path()));
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();

  CHECK_FALSE(announce_allowed(client, listed));
  CHECK(announce_allowed(client, unlisted));
  CHECK(counts_of(client.scrape_one(listed)) == swarm_counts{});
  CHECK(counts_of(client.scrape_one(unlisted)) == swarm_counts{0, 0, 1});
}

TEST_CASE("access list: SIGUSR1 reloads the file, and a bad file keeps the previous list", "[udp][access_list]") {
  const address_family family = GENERATE(address_family::ipv4, address_family::ipv6);
  INFO("family " << to_string(family));
  const proto::info_hash first = make_info_hash(720);
  const proto::info_hash second = make_info_hash(721);
  const temporary_file list(proto::to_hex(first) + "\n");
  const auto tracker = start_tracker(access_list_config("allow", list.path()));
  udp_test_client client(client_address(family, 0), tracker->port());
  client.connect();
  CHECK(announce_allowed(client, first));
  CHECK_FALSE(announce_allowed(client, second));

  list.write(proto::to_hex(second) + "\n");
  tracker->send_signal(SIGUSR1);
  REQUIRE(tracker->wait_for_log("access list reloaded", std::chrono::seconds(10)));
  CHECK_FALSE(announce_allowed(client, first));
  CHECK(announce_allowed(client, second));

  list.write(proto::to_hex(first) + "\nthis is not an info hash\n");
  tracker->send_signal(SIGUSR1);
  REQUIRE(tracker->wait_for_log("access list reload failed", std::chrono::seconds(10)));
  CHECK_FALSE(announce_allowed(client, first));
  CHECK(announce_allowed(client, second));
}

TEST_CASE("access list: with a privilege drop a list its user cannot read is warned about at start-up",
          "[udp][access_list]") {
  if (::geteuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  const proto::info_hash listed = make_info_hash(723);
  const temporary_file list(proto::to_hex(listed) + "\n");  // owned by root
  REQUIRE(::chmod(std::filesystem::path(list.path()).parent_path().c_str(), 0755) == 0);  // only its mode stops nobody
  REQUIRE(::chmod(list.path().c_str(), 0600) == 0);  // readable by root alone
  auto config = access_list_config("allow", list.path());
  config.set_bool("privileges", "drop", true);
  config.set_string("privileges", "user", "nobody");
  const auto tracker = start_tracker(config);
  const auto warning = tracker->wait_for_log("cannot be read after the privilege drop", std::chrono::seconds(10));
  REQUIRE(warning);
  CHECK(warning->find("access list " + list.path()) != std::string::npos);
  // Read before the drop, the list serves; its reload fails, as warned, and keeps it.
  udp_test_client client(client_address(address_family::ipv4, 0), tracker->port());
  client.connect();
  CHECK(announce_allowed(client, listed));
  tracker->send_signal(SIGUSR1);
  REQUIRE(tracker->wait_for_log("access list reload failed", std::chrono::seconds(10)));
  CHECK(announce_allowed(client, listed));
  CHECK_FALSE(announce_allowed(client, make_info_hash(724)));
}

TEST_CASE("access list: a reload from a FIFO or a device is refused at once, and SIGTERM still stops",
          "[udp][access_list]") {
  const proto::info_hash first = make_info_hash(725);
  const temporary_file list(proto::to_hex(first) + "\n");
  const auto tracker = start_tracker(access_list_config("allow", list.path()));
  udp_test_client client(client_address(address_family::ipv4, 0), tracker->port());
  client.connect();
  REQUIRE(announce_allowed(client, first));

  // The path now names something that is not a regular file. Read as a file, a FIFO without a
  // writer would block the signal thread for ever, and /dev/zero would fill memory.
  REQUIRE(std::remove(list.path().c_str()) == 0);
  SECTION("a FIFO") { REQUIRE(::mkfifo(list.path().c_str(), 0600) == 0); }
  SECTION("/dev/zero") { REQUIRE(::symlink("/dev/zero", list.path().c_str()) == 0); }
  tracker->send_signal(SIGUSR1);
  const auto logged = tracker->wait_for_log("access list reload failed", std::chrono::seconds(10));
  REQUIRE(logged);
  CHECK(logged->find("not a regular file") != std::string::npos);
  CHECK(announce_allowed(client, first));  // the previous list stays
  CHECK(tracker->stop() == 0);
}

TEST_CASE("access list: a bad or missing file at start-up is one line on stderr and a non-zero exit",
          "[udp][access_list]") {
  const temporary_file bad_list(proto::to_hex(make_info_hash(730)) + "\nnot hex at all\n");
  std::string path = bad_list.path();
  SECTION("bad line") {}
  SECTION("missing file") { path += ".missing"; }
  INFO("access list " << path);
  const temporary_file config(access_list_config("allow", path).text());

  const command_result result = run_command(tracker_executable(), {"-c", config.path()});
  INFO("stdout: " << result.standard_output);
  INFO("stderr: " << result.standard_error);
  CHECK(result.exit_status != 0);
  CHECK(result.exit_status > 0);  // an orderly exit, not a signal
  CHECK(count_lines(result.standard_error) == 1);
  CHECK(result.standard_error.find(path) != std::string::npos);
  CHECK(result.standard_output.find("ready") == std::string::npos);
}

}  // namespace
}  // namespace riptide::test
