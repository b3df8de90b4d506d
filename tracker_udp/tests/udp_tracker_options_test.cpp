// The option table of tracker_udp and the configuration layer under it (option_table, cli):
// strict loading, one-line errors naming the key, rendering and round trips.

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "tracker/config/cli.hpp"
#include "tracker/config/option_table.hpp"
#include "udp_tracker_options.hpp"

namespace {

using riptide::config::access_list_mode_config;
using riptide::config::log_level;
using riptide::udp::udp_tracker_config;
using riptide::udp::udp_tracker_options;

struct load_result {
  udp_tracker_config config;
  std::optional<riptide::config::config_error> error;
};

load_result load(std::string_view text) {
  load_result result;
  result.error = udp_tracker_options().load(text, "test.toml", result.config);
  return result;
}

// The error of a text that must fail, checked to be one line in the agreed format.
std::string error_of(std::string_view text) {
  const auto result = load(text);
  REQUIRE(result.error.has_value());
  const auto& message = result.error->message;
  CHECK(message.starts_with("config error: test.toml"));
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find('\r') == std::string::npos);
  return message;
}

void require_loads(std::string_view text) {
  const auto result = load(text);
  INFO(text);
  REQUIRE_FALSE(result.error.has_value());
}

// The value of `key` in `[section]` of rendered TOML, as written.
std::string rendered_value(const std::string& toml, std::string_view section, std::string_view key) {
  std::istringstream in(toml);
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    if (line.starts_with("[")) current = line.substr(1, line.size() - 2);
    const std::string prefix = std::string(key) + " = ";
    if (current == section && line.starts_with(prefix)) return line.substr(prefix.size());
  }
  return "<missing>";
}

// Every field set to a valid value that differs from its default.
udp_tracker_config modified_config() {
  udp_tracker_config c;
  c.network.ipv4_address = "127.0.0.1";
  c.network.ipv6_address = "";
  c.network.port = 7001;
  c.network.socket_receive_buffer_bytes = 1001;
  c.network.socket_send_buffer_bytes = 1002;
  c.protocol.connection_id_lifetime_seconds = 300;
  c.protocol.max_scrape_hashes = 10;
  c.protocol.receive_batch = 32;
  c.protocol.max_pending_scrapes = 123;
  c.workers.socket_workers = 3;
  c.workers.request_workers = 5;
  c.swarm.announce_interval_seconds = 900;
  c.swarm.peer_timeout_seconds = 1000;
  c.swarm.default_num_want = 30;
  c.swarm.max_peers_ipv4 = 150;
  c.swarm.max_peers_ipv6 = 40;
  c.swarm.max_torrents = 123456;
  c.swarm.max_peers = 654321;
  c.swarm.completed_retention_seconds = 0;
  c.channels.request_queue_capacity = 1024;
  c.channels.response_queue_capacity = 2048;
  c.cleaning.interval_seconds = 30;
  c.statistics.interval_seconds = 0;
  c.access_list.mode = access_list_mode_config::deny;
  c.access_list.path = "/etc/riptide/deny \"list\"\\ \xc3\xa9\t.txt";
  c.privileges.drop = true;
  c.privileges.chroot_path = "/var/empty";
  c.privileges.user = "riptide";
  c.log.level = log_level::debug;
  return c;
}

void check_fields_equal(const udp_tracker_config& a, const udp_tracker_config& b) {
  CHECK(a.network.ipv4_address == b.network.ipv4_address);
  CHECK(a.network.ipv6_address == b.network.ipv6_address);
  CHECK(a.network.port == b.network.port);
  CHECK(a.network.socket_receive_buffer_bytes == b.network.socket_receive_buffer_bytes);
  CHECK(a.network.socket_send_buffer_bytes == b.network.socket_send_buffer_bytes);
  CHECK(a.protocol.connection_id_lifetime_seconds == b.protocol.connection_id_lifetime_seconds);
  CHECK(a.protocol.max_scrape_hashes == b.protocol.max_scrape_hashes);
  CHECK(a.protocol.receive_batch == b.protocol.receive_batch);
  CHECK(a.protocol.max_pending_scrapes == b.protocol.max_pending_scrapes);
  CHECK(a.workers.socket_workers == b.workers.socket_workers);
  CHECK(a.workers.request_workers == b.workers.request_workers);
  CHECK(a.swarm.announce_interval_seconds == b.swarm.announce_interval_seconds);
  CHECK(a.swarm.peer_timeout_seconds == b.swarm.peer_timeout_seconds);
  CHECK(a.swarm.default_num_want == b.swarm.default_num_want);
  CHECK(a.swarm.max_peers_ipv4 == b.swarm.max_peers_ipv4);
  CHECK(a.swarm.max_peers_ipv6 == b.swarm.max_peers_ipv6);
  CHECK(a.swarm.max_torrents == b.swarm.max_torrents);
  CHECK(a.swarm.max_peers == b.swarm.max_peers);
  CHECK(a.swarm.completed_retention_seconds == b.swarm.completed_retention_seconds);
  CHECK(a.channels.request_queue_capacity == b.channels.request_queue_capacity);
  CHECK(a.channels.response_queue_capacity == b.channels.response_queue_capacity);
  CHECK(a.cleaning.interval_seconds == b.cleaning.interval_seconds);
  CHECK(a.statistics.interval_seconds == b.statistics.interval_seconds);
  CHECK(a.access_list.mode == b.access_list.mode);
  CHECK(a.access_list.path == b.access_list.path);
  CHECK(a.privileges.drop == b.privileges.drop);
  CHECK(a.privileges.chroot_path == b.privileges.chroot_path);
  CHECK(a.privileges.user == b.privileges.user);
  CHECK(a.log.level == b.log.level);
}

}  // namespace

TEST_CASE("an empty file gives the defaults", "[config]") {
  for (const std::string_view text : {"", "\n\n", "# nothing but a comment\n"}) {
    const auto result = load(text);
    REQUIRE_FALSE(result.error.has_value());
    check_fields_equal(result.config, udp_tracker_config{});
    CHECK(udp_tracker_options().render(result.config) == udp_tracker_options().render_defaults());
  }
}

TEST_CASE("the defaults pass the cross-field rules", "[config]") {
  CHECK_FALSE(udp_tracker_options().validate(udp_tracker_config{}).has_value());
}

TEST_CASE("a missing key keeps its default", "[config]") {
  const auto result = load("[network]\nport = 7000\n\n[log]\n");
  REQUIRE_FALSE(result.error.has_value());
  CHECK(result.config.network.port == 7000);
  CHECK(result.config.network.ipv4_address == "0.0.0.0");
  CHECK(result.config.swarm.announce_interval_seconds == 1800);
  CHECK(result.config.log.level == log_level::info);
}

TEST_CASE("TOML forms of a section all load", "[config]") {
  CHECK(load("network.port = 7000\n").config.network.port == 7000);
  CHECK(load("network = { port = 7000 }\n").config.network.port == 7000);
  CHECK(load("[network]\nport = 0x1B58\n").config.network.port == 7000);
  CHECK(load("[network]\nport = 7_000\n").config.network.port == 7000);
}

TEST_CASE("an unknown section is an error naming it", "[config]") {
  CHECK(error_of("[network]\nport = 1\n[netwrk]\nport = 2\n") ==
        "config error: test.toml:3: unknown section [netwrk] (did you mean [network]?)");
  CHECK(error_of("[http]\nenabled = true\n") == "config error: test.toml:1: unknown section [http]");
  CHECK(error_of("[\"odd\\nname\"]\nx = 1\n") == "config error: test.toml:1: unknown section [\"odd\\nname\"]");
}

TEST_CASE("an unknown key is an error naming it", "[config]") {
  CHECK(error_of("[network]\nport = 1\nprot = 2\n") ==
        "config error: test.toml:3: unknown key network.prot (did you mean network.port?)");
  CHECK(error_of("[swarm]\ncolour = \"blue\"\n") == "config error: test.toml:2: unknown key swarm.colour");
  CHECK(error_of("port = 1\n") == "config error: test.toml:1: unknown key port (did you mean network.port?)");
  CHECK(error_of("verbose = true\n") ==
        "config error: test.toml:1: unknown key verbose (every option belongs in a [section])");
  // A table nested in a section is a key of that section.
  CHECK(error_of("[network.extra]\nx = 1\n") == "config error: test.toml:1: unknown key network.extra");
  // A key with a newline in it is quoted, so the message stays one line.
  CHECK(error_of("[network]\n\"a\\nb\" = 1\n") == "config error: test.toml:2: unknown key network.\"a\\nb\"");
  // A value is quoted as TOML writes it, its controls escaped, not dropped.
  CHECK(error_of("[network]\nipv4_address = \"1.2.3.4\\u0007\\u001b[31m\"\n") ==
        "config error: test.toml: network.ipv4_address: \"1.2.3.4\\u0007\\u001B[31m\" is not an IPv4 address");
}

TEST_CASE("the first problem in the file is the one reported", "[config]") {
  CHECK(error_of("[swarm]\nmax_peers_ipv4 = 0\n[network]\nport = -1\n[log]\nlevel = 3\n") ==
        "config error: test.toml:2: swarm.max_peers_ipv4: expected an integer from 1 to 200, got 0");
}

TEST_CASE("a value of the wrong type is an error naming the key", "[config]") {
  SECTION("string for an integer") {
    CHECK(error_of("[network]\nport = \"6969\"\n") ==
          "config error: test.toml:2: network.port: expected an integer from 0 to 65535, got a string (\"6969\")");
  }
  SECTION("integer for a boolean") {
    CHECK(error_of("[privileges]\ndrop = 1\n") ==
          "config error: test.toml:2: privileges.drop: expected true or false, got an integer (1)");
  }
  SECTION("string for a boolean") {
    CHECK(error_of("[privileges]\ndrop = \"yes\"\n") ==
          "config error: test.toml:2: privileges.drop: expected true or false, got a string (\"yes\")");
  }
  SECTION("float for an integer") {
    CHECK(error_of("[workers]\nsocket_workers = 2.0\n") ==
          "config error: test.toml:2: workers.socket_workers: expected an integer from 1 to 256, got a float (2)");
    CHECK(error_of("[workers]\nsocket_workers = 1e3\n") ==
          "config error: test.toml:2: workers.socket_workers: expected an integer from 1 to 256, got a float (1000)");
  }
  SECTION("negative for an unsigned integer") {
    CHECK(error_of("[statistics]\ninterval_seconds = -1\n") ==
          "config error: test.toml:2: statistics.interval_seconds: expected an integer from 0 to 86400, got -1");
  }
  SECTION("integer for a string") {
    CHECK(error_of("[network]\nipv4_address = 127\n") ==
          "config error: test.toml:2: network.ipv4_address: expected a string, got an integer (127)");
  }
  SECTION("boolean for an enum") {
    CHECK(error_of("[access_list]\nmode = false\n") ==
          "config error: test.toml:2: access_list.mode: expected one of \"off\", \"allow\", \"deny\", got a boolean "
          "(false)");
  }
  SECTION("array, table and date") {
    CHECK(error_of("[network]\nport = [6969]\n") ==
          "config error: test.toml:2: network.port: expected an integer from 0 to 65535, got an array");
    CHECK(error_of("[network]\nport = { value = 1 }\n") ==
          "config error: test.toml:2: network.port: expected an integer from 0 to 65535, got a table");
    CHECK(error_of("[network]\nport = 1979-05-27\n") ==
          "config error: test.toml:2: network.port: expected an integer from 0 to 65535, got a date or time");
  }
  SECTION("a section that is not a table") {
    CHECK(error_of("network = 1\n") ==
          "config error: test.toml:1: network: expected a table [network], got an integer (1)");
    CHECK(error_of("[[network]]\nport = 1\n") ==
          "config error: test.toml:1: network: expected a table [network], got an array");
  }
}

TEST_CASE("an integer out of range is an error naming the key and the range", "[config]") {
  CHECK(error_of("[network]\nport = 70000\n") ==
        "config error: test.toml:2: network.port: expected an integer from 0 to 65535, got 70000");
  CHECK(error_of("[workers]\nsocket_workers = 0\n") ==
        "config error: test.toml:2: workers.socket_workers: expected an integer from 1 to 256, got 0");
  CHECK(error_of("[workers]\nrequest_workers = 257\n").ends_with("got 257"));
  CHECK(error_of("[protocol]\nconnection_id_lifetime_seconds = 119\n")
            .ends_with("protocol.connection_id_lifetime_seconds: expected an integer from 120 to 86400, got 119"));
  CHECK(error_of("[protocol]\nmax_scrape_hashes = 75\n").ends_with("from 1 to 74, got 75"));
  CHECK(error_of("[protocol]\nreceive_batch = 1025\n").ends_with("from 1 to 1024, got 1025"));
  CHECK(error_of("[swarm]\nmax_peers_ipv6 = 67\n").ends_with("from 1 to 66, got 67"));
  CHECK(error_of("[channels]\nrequest_queue_capacity = 63\n").ends_with("from 64 to 1048576, got 63"));
  CHECK(error_of("[cleaning]\ninterval_seconds = 3601\n").ends_with("from 1 to 3600, got 3601"));
  // Beyond 64 bits toml11 saturates; still out of range, never wrapped into range, and reported
  // as written, not as the saturated value.
  CHECK(error_of("[network]\nsocket_receive_buffer_bytes = 99999999999999999999999\n") ==
        "config error: test.toml:2: network.socket_receive_buffer_bytes: expected an integer from 0 "
        "to 1073741824, got 99999999999999999999999");
  CHECK(error_of("[network]\nport = -1_000_000_000_000_000_000_000 # far below\n").ends_with(
      "got -1_000_000_000_000_000_000_000"));
  CHECK(error_of("[network]\nipv4_address = 0xffffffffffffffffffff\n")
            .ends_with("expected a string, got an integer (0xffffffffffffffffffff)"));
  CHECK(error_of("[network]\nport = 9223372036854775807\n").ends_with("got 9223372036854775807"));
  // Both ends of a range are accepted.
  require_loads("[network]\nport = 0\n");
  require_loads("[network]\nport = 65535\n");
  require_loads("[workers]\nsocket_workers = 1\nrequest_workers = 256\n");
  require_loads("[protocol]\nmax_scrape_hashes = 74\nreceive_batch = 1024\n[channels]\nrequest_queue_capacity = "
                "75776\nresponse_queue_capacity = 1048576\n");
  require_loads("[statistics]\ninterval_seconds = 0\n");
}

TEST_CASE("a tracker-wide limit below one per request worker is refused", "[config]") {
  CHECK(error_of("[workers]\nrequest_workers = 8\n[swarm]\nmax_torrents = 4\n")
            .ends_with("swarm.max_torrents (4) must be at least workers.request_workers (8): each request worker "
                       "holds a share of it"));
  CHECK(error_of("[workers]\nrequest_workers = 3\n[swarm]\nmax_peers = 2\n").find("swarm.max_peers (2)") !=
        std::string::npos);
  require_loads("[workers]\nrequest_workers = 3\n[swarm]\nmax_torrents = 3\nmax_peers = 3\n");
  require_loads("[swarm]\nmax_torrents = 1\nmax_peers = 1\n");  // one shard, the socket worker's
}

TEST_CASE("max_peers_per_source: 0 or a share per request worker, and not too small to count", "[config]") {
  CHECK(load("").config.swarm.max_peers_per_source == 200'000);
  require_loads("[swarm]\nmax_peers_per_source = 0\n");  // no limit
  require_loads("[workers]\nrequest_workers = 8\n[swarm]\nmax_peers_per_source = 0\n");
  CHECK(error_of("[workers]\nrequest_workers = 8\n[swarm]\nmax_peers_per_source = 4\nmax_peers = 100\n")
            .find("swarm.max_peers_per_source (4) must be at least workers.request_workers (8)") != std::string::npos);
  // 20 million peers: at least 611 (64 * 20M / 2^21, rounded up).
  CHECK(error_of("[swarm]\nmax_peers_per_source = 610\n")
            .ends_with("swarm.max_peers_per_source (610) must be 0 or at least swarm.max_peers / 32768 in each "
                       "request worker's share (611 here): below that, sources with few peers would be counted with "
                       "others"));
  require_loads("[swarm]\nmax_peers_per_source = 611\n");
  require_loads("[swarm]\nmax_peers = 1000\nmax_peers_per_source = 1\n");
  // Split over 4: the worst share has 57,344 peers and a limit of 1 (7 / 4), where 2 are needed.
  CHECK(error_of("[workers]\nrequest_workers = 4\n[swarm]\nmax_peers = 229376\nmax_peers_per_source = 7\n")
            .find("(8 here)") != std::string::npos);
  require_loads("[workers]\nrequest_workers = 4\n[swarm]\nmax_peers = 229376\nmax_peers_per_source = 8\n");
  // The IPv6 prefix of a source: a /32 to a /64.
  CHECK(load("").config.swarm.ipv6_source_prefix_length == 56);
  require_loads("[swarm]\nipv6_source_prefix_length = 32\n");
  require_loads("[swarm]\nipv6_source_prefix_length = 64\n");
  CHECK(error_of("[swarm]\nipv6_source_prefix_length = 65\n").find("swarm.ipv6_source_prefix_length") !=
        std::string::npos);
  CHECK(error_of("[swarm]\nipv6_source_prefix_length = 31\n").find("swarm.ipv6_source_prefix_length") !=
        std::string::npos);
}

TEST_CASE("a string with a NUL in it is refused, not cut short", "[config]") {
  CHECK(error_of("[network]\nipv4_address = \"127.0.0.1\\u0000junk\"\n") ==
        "config error: test.toml:2: network.ipv4_address: contains a NUL character (\\u0000), which no address, path "
        "or name can hold");
  CHECK(error_of("[privileges]\nuser = \"nobody\\u0000root\"\n").find("privileges.user: contains a NUL") !=
        std::string::npos);
  CHECK(error_of("[access_list]\npath = \"/etc/allow\\u0000.txt\"\n").find("access_list.path: contains a NUL") !=
        std::string::npos);
}

TEST_CASE("an enum value outside its names is an error listing them", "[config]") {
  CHECK(error_of("[log]\nlevel = \"verbose\"\n") ==
        "config error: test.toml:2: log.level: expected one of \"debug\", \"info\", \"warning\", \"error\", got a "
        "string (\"verbose\")");
  CHECK(error_of("[log]\nlevel = \"INFO\"\n").find("log.level") != std::string::npos);
  CHECK(error_of("[access_list]\nmode = \"\"\n").find("access_list.mode") != std::string::npos);
  CHECK(load("[log]\nlevel = \"warning\"\n").config.log.level == log_level::warning);
  CHECK(load("[access_list]\nmode = \"allow\"\npath = \"/x\"\n").config.access_list.mode == access_list_mode_config::allow);
}

TEST_CASE("cross-field rules name the keys involved", "[config]") {
  CHECK(error_of("[swarm]\nannounce_interval_seconds = 2700\n") ==
        "config error: test.toml: swarm.peer_timeout_seconds (2700) must be greater than "
        "swarm.announce_interval_seconds (2700)");
  require_loads("[swarm]\nannounce_interval_seconds = 2699\n");
  CHECK(error_of("[access_list]\nmode = \"allow\"\n") ==
        "config error: test.toml: access_list.path must be set when access_list.mode is not \"off\"");
  CHECK(error_of("[access_list]\nmode = \"deny\"\npath = \"\"\n").find("access_list.path") != std::string::npos);
  require_loads("[access_list]\nmode = \"off\"\npath = \"\"\n");
  CHECK(error_of("[privileges]\ndrop = true\nuser = \"\"\n") ==
        "config error: test.toml: privileges.user must be set when privileges.drop is true");
  require_loads("[privileges]\ndrop = true\n");
  CHECK(error_of("[privileges]\nchroot_path = \"/var/empty\"\n").find("privileges.chroot_path") != std::string::npos);
  CHECK(error_of("[privileges]\ndrop = true\nchroot_path = \"var/empty\"\n") ==
        "config error: test.toml: privileges.chroot_path: \"var/empty\" is not an absolute path");
  CHECK(error_of("[protocol]\nreceive_batch = 128\n[channels]\nrequest_queue_capacity = 64\n[workers]\n"
                 "request_workers = 1\n") ==
        "config error: test.toml: channels.request_queue_capacity (64) must be at least protocol.receive_batch * "
        "protocol.max_scrape_hashes (9472) when workers.request_workers > 0");
  CHECK(error_of("[protocol]\nreceive_batch = 128\nmax_scrape_hashes = 10\n[channels]\nresponse_queue_capacity = 64\n"
                 "[workers]\nrequest_workers = 1\n") ==
        "config error: test.toml: channels.response_queue_capacity (64) must be at least protocol.receive_batch (128) "
        "when workers.request_workers > 0");
  // In the default layout (request_workers = 0) no channel exists: their capacities size nothing.
  require_loads("[protocol]\nreceive_batch = 1024\nmax_pending_scrapes = 1024\n");
  require_loads("[protocol]\nreceive_batch = 128\n[channels]\nrequest_queue_capacity = 64\nresponse_queue_capacity = 64\n");
  // All channels together are bounded: 256 x 256 workers at the default capacities is 2^30 messages.
  CHECK(error_of("[workers]\nsocket_workers = 256\nrequest_workers = 256\n")
            .find("workers.socket_workers * workers.request_workers * (channels.request_queue_capacity + "
                  "channels.response_queue_capacity) is 1073741824 messages") != std::string::npos);
  require_loads("[workers]\nsocket_workers = 16\nrequest_workers = 16\n");
  // The total is 2^23 slots (about 1.5 GiB, all taken at start-up): 8 x 8 x (2^16 + 2^16) fits exactly.
  require_loads("[workers]\nsocket_workers = 8\nrequest_workers = 8\n"
                "[channels]\nrequest_queue_capacity = 65536\nresponse_queue_capacity = 65536\n");
  CHECK(error_of("[workers]\nsocket_workers = 8\nrequest_workers = 8\n"
                 "[channels]\nrequest_queue_capacity = 65536\nresponse_queue_capacity = 65537\n") ==
        "config error: test.toml: workers.socket_workers * workers.request_workers * (channels.request_queue_capacity + "
        "channels.response_queue_capacity) is 8388672 messages, more than 8388608 (about 1.5 GiB, taken at start-up): "
        "lower the capacities or the workers");
  // 32 x 32 at the default capacities (2^24 slots) measured 2.9 GiB resident before any traffic.
  CHECK(error_of("[workers]\nsocket_workers = 32\nrequest_workers = 32\n").find("16777216 messages") !=
        std::string::npos);
  CHECK(error_of("[protocol]\nmax_pending_scrapes = 63\n") ==
        "config error: test.toml: protocol.max_pending_scrapes (63) must be at least protocol.receive_batch (64)");
  CHECK(error_of("[workers]\nsocket_workers = 2\nrequest_workers = 0\n") ==
        "config error: test.toml: workers.request_workers = 0 (socket worker owns the torrents) needs "
        "workers.socket_workers = 1, not 2");
  require_loads("[workers]\nsocket_workers = 1\nrequest_workers = 0\n");
  CHECK(error_of("[network]\nipv4_address = \"\"\nipv6_address = \"\"\n") ==
        "config error: test.toml: network.ipv4_address and network.ipv6_address are both empty: no socket to serve "
        "on");
  CHECK(error_of("[network]\nipv4_address = \"1.2.3\"\n") ==
        "config error: test.toml: network.ipv4_address: \"1.2.3\" is not an IPv4 address");
  CHECK(error_of("[network]\nipv6_address = \"127.0.0.1\"\n") ==
        "config error: test.toml: network.ipv6_address: \"127.0.0.1\" is not an IPv6 address");
  require_loads("[network]\nipv4_address = \"\"\nipv6_address = \"::1\"\n");
  // An IPv4-mapped address is IPv6 text for an IPv4 address: the IPV6_V6ONLY socket cannot bind it.
  CHECK(error_of("[network]\nipv6_address = \"::ffff:127.0.0.1\"\n") ==
        "config error: test.toml: network.ipv6_address: \"::ffff:127.0.0.1\" is an IPv4-mapped address, which the "
        "IPv6-only socket cannot bind (use network.ipv4_address)");
  CHECK(error_of("[network]\nipv6_address = \"0:0:0:0:0:FFFF:7f00:1\"\n").find("IPv4-mapped") != std::string::npos);
  require_loads("[network]\nipv6_address = \"::7f00:1\"\n");  // IPv4-compatible (deprecated) is not mapped
  require_loads("[network]\nipv6_address = \"64:ff9b::7f00:1\"\n");
}

TEST_CASE("a TOML syntax error is one line with file and line", "[config]") {
  CHECK(error_of("[network]\nport = 1\nipv4_address = \"unterminated\n")
            .starts_with("config error: test.toml:3: invalid TOML: "));
  CHECK(error_of("[network]\nport = = 1\n").starts_with("config error: test.toml:2: invalid TOML: "));
  CHECK(error_of("[network]\nport = 1\n\n[network]\n").starts_with("config error: test.toml:4: invalid TOML: "));
  CHECK(error_of("[network]\nport = 1\nport = 2\n").starts_with("config error: test.toml:"));
  CHECK(error_of("[network\n").starts_with("config error: test.toml:1: invalid TOML: "));
}

TEST_CASE("a failed load leaves the config as it was", "[config]") {
  udp_tracker_config config;
  config.network.port = 7000;
  const auto& table = udp_tracker_options();
  CHECK(table.load("[network]\nport = 1\nprot = 2\n", "test.toml", config).has_value());
  CHECK(config.network.port == 7000);
  CHECK(table.load("[network]\nport = 1\n[swarm]\npeer_timeout_seconds = 1\n", "test.toml", config).has_value());
  CHECK(config.network.port == 7000);
  CHECK_FALSE(table.load("[network]\nport = 1\n", "test.toml", config).has_value());
  CHECK(config.network.port == 1);
}

TEST_CASE("every error is a single line naming the key", "[config]") {
  struct bad_case {
    std::string_view toml;
    std::string_view key;
  };
  const std::vector<bad_case> cases = {
      {"[netwrk]\n", "[netwrk]"},
      {"[network]\nprot = 1\n", "network.prot"},
      {"[network]\nport = \"x\"\n", "network.port"},
      {"[network]\nport = 70000\n", "network.port"},
      {"[network]\nipv4_address = \"x\\ny\"\n", "network.ipv4_address"},
      {"[network]\nipv4_address = \"\"\nipv6_address = \"\"\n", "network.ipv6_address"},
      {"[network]\nsocket_send_buffer_bytes = 1073741825\n", "network.socket_send_buffer_bytes"},
      {"[protocol]\nmax_pending_scrapes = 0\n", "protocol.max_pending_scrapes"},
      {"[workers]\nsocket_workers = true\n", "workers.socket_workers"},
      {"[swarm]\npeer_timeout_seconds = 10\n", "swarm.peer_timeout_seconds"},
      {"[swarm]\ndefault_num_want = 0\n", "swarm.default_num_want"},
      {"[channels]\nresponse_queue_capacity = 16777217\n", "channels.response_queue_capacity"},
      {"[cleaning]\ninterval_seconds = 0\n", "cleaning.interval_seconds"},
      {"[statistics]\ninterval_seconds = 86401\n", "statistics.interval_seconds"},
      {"[access_list]\nmode = \"allow\"\n", "access_list.path"},
      {"[access_list]\npath = [\"a\"]\n", "access_list.path"},
      {"[privileges]\ndrop = \"true\"\n", "privileges.drop"},
      {"[privileges]\nuser = 0\n", "privileges.user"},
      {"[log]\nlevel = \"\\n\"\n", "log.level"},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    const auto message = error_of(c.toml);
    CHECK(message.find(c.key) != std::string::npos);
  }
}

TEST_CASE("the rendered config shows every option with its meaning, in table order", "[config]") {
  const auto& table = udp_tracker_options();
  const auto text = table.render_defaults();
  CHECK(text.ends_with("\n"));
  CHECK(text.find("\n\n\n") == std::string::npos);

  // Sections in the declared order, each holding its options.
  const std::vector<std::string_view> expected_sections = {"network",  "protocol",   "workers",     "swarm",
                                                           "channels", "cleaning", "statistics", "access_list",
                                                           "privileges", "log"};
  std::size_t previous = 0;
  for (const auto section : expected_sections) {
    const auto at = text.find("\n[" + std::string(section) + "]\n");
    INFO(section);
    REQUIRE(at != std::string::npos);
    CHECK(at > previous);
    previous = at;
  }
  REQUIRE(table.sections().size() == expected_sections.size());

  // Every option: a comment with its meaning and one with what it accepts, then the value.
  CHECK(table.options().size() == 31);
  for (const auto& spec : table.options()) {
    INFO(spec.full_name());
    CHECK(rendered_value(text, spec.section, spec.key) != "<missing>");
    const auto at = text.find("# " + std::string(spec.help.substr(0, spec.help.find('\n'))));
    CHECK(at != std::string::npos);
    if (!spec.unit.empty()) CHECK(text.find(", in " + std::string(spec.unit) + ".\n", at) != std::string::npos);
  }
  CHECK(text.find("# Integer from 0 to 65535.\nport = 6969\n") != std::string::npos);
  CHECK(text.find("# Integer from 1 to 86400, in seconds.\nannounce_interval_seconds = 1800\n") != std::string::npos);
  CHECK(text.find("# One of \"debug\", \"info\", \"warning\", \"error\".\nlevel = \"info\"\n") != std::string::npos);
  CHECK(text.find("# true or false.\ndrop = false\n") != std::string::npos);
}

TEST_CASE("every option reaches its own field, and a modified config round-trips", "[config]") {
  const auto& table = udp_tracker_options();
  const auto modified = modified_config();
  REQUIRE_FALSE(table.validate(modified).has_value());
  const auto text = table.render(modified);

  // The getters: each key shows the value of its own field.
  CHECK(rendered_value(text, "network", "ipv4_address") == "\"127.0.0.1\"");
  CHECK(rendered_value(text, "network", "ipv6_address") == "\"\"");
  CHECK(rendered_value(text, "network", "port") == "7001");
  CHECK(rendered_value(text, "network", "socket_receive_buffer_bytes") == "1001");
  CHECK(rendered_value(text, "network", "socket_send_buffer_bytes") == "1002");
  CHECK(rendered_value(text, "protocol", "connection_id_lifetime_seconds") == "300");
  CHECK(rendered_value(text, "protocol", "max_scrape_hashes") == "10");
  CHECK(rendered_value(text, "protocol", "receive_batch") == "32");
  CHECK(rendered_value(text, "protocol", "max_pending_scrapes") == "123");
  CHECK(rendered_value(text, "workers", "socket_workers") == "3");
  CHECK(rendered_value(text, "workers", "request_workers") == "5");
  CHECK(rendered_value(text, "swarm", "announce_interval_seconds") == "900");
  CHECK(rendered_value(text, "swarm", "peer_timeout_seconds") == "1000");
  CHECK(rendered_value(text, "swarm", "default_num_want") == "30");
  CHECK(rendered_value(text, "swarm", "max_peers_ipv4") == "150");
  CHECK(rendered_value(text, "swarm", "max_peers_ipv6") == "40");
  CHECK(rendered_value(text, "channels", "request_queue_capacity") == "1024");
  CHECK(rendered_value(text, "channels", "response_queue_capacity") == "2048");
  CHECK(rendered_value(text, "cleaning", "interval_seconds") == "30");
  CHECK(rendered_value(text, "statistics", "interval_seconds") == "0");
  CHECK(rendered_value(text, "access_list", "mode") == "\"deny\"");
  CHECK(rendered_value(text, "access_list", "path") == "\"/etc/riptide/deny \\\"list\\\"\\\\ \xc3\xa9\\t.txt\"");
  CHECK(rendered_value(text, "privileges", "drop") == "true");
  CHECK(rendered_value(text, "privileges", "chroot_path") == "\"/var/empty\"");
  CHECK(rendered_value(text, "privileges", "user") == "\"riptide\"");
  CHECK(rendered_value(text, "log", "level") == "\"debug\"");

  // The setters: loading it back over the defaults gives every field back.
  udp_tracker_config reloaded;
  const auto error = table.load(text, "rendered.toml", reloaded);
  REQUIRE_FALSE(error.has_value());
  check_fields_equal(reloaded, modified);
  CHECK(table.render(reloaded) == text);

  // And the defaults round-trip to themselves.
  udp_tracker_config defaults;
  REQUIRE_FALSE(table.load(table.render_defaults(), "defaults.toml", defaults).has_value());
  check_fields_equal(defaults, udp_tracker_config{});
}

TEST_CASE("the markdown reference lists every option with its default", "[config]") {
  const auto& table = udp_tracker_options();
  const auto markdown = table.render_markdown();
  for (const auto& spec : table.options()) {
    INFO(spec.full_name());
    CHECK(markdown.find("| `" + std::string(spec.key) + "` |") != std::string::npos);
  }
  CHECK(markdown.find("### [network]\n") != std::string::npos);
  CHECK(markdown.find("| `port` | `6969` |  | 0 to 65535 |") != std::string::npos);
  CHECK(markdown.find("| `level` | `\"info\"` |  | `\"debug\"`, `\"info\"`, `\"warning\"`, `\"error\"` |") !=
        std::string::npos);
}

namespace {

struct tiny_config {
  std::uint8_t small = 1;
  std::uint32_t wide = 1;
  bool flag = false;
};

using tiny_option = riptide::config::option<tiny_config>;

}  // namespace

TEST_CASE("a mistake in an option table is caught when the table is built", "[config]") {
  using riptide::config::option_table;
  using riptide::config::section_spec;
  const auto wide = [](auto& c) -> auto& { return c.wide; };
  const auto small = [](auto& c) -> auto& { return c.small; };
  const auto flag = [](auto& c) -> auto& { return c.flag; };
  // A range wider than the field, or empty.
  CHECK_THROWS_AS(tiny_option::integer("a", "small", "", 0, 256, small, "help"), std::logic_error);
  CHECK_THROWS_AS(tiny_option::integer("a", "wide", "", 5, 4, wide, "help"), std::logic_error);
  CHECK_NOTHROW(tiny_option::integer("a", "small", "", 0, 255, small, "help"));
  // Duplicate option, undeclared section, section without options, duplicate section.
  CHECK_THROWS_AS(option_table<tiny_config>("tiny", {{"a", "A."}},
                                            {tiny_option::integer("a", "wide", "", 0, 9, wide, "help"),
                                             tiny_option::integer("a", "wide", "", 0, 9, wide, "help")}),
                  std::logic_error);
  CHECK_THROWS_AS(option_table<tiny_config>("tiny", {{"a", "A."}}, {tiny_option::boolean("b", "flag", flag, "help")}),
                  std::logic_error);
  CHECK_THROWS_AS(option_table<tiny_config>("tiny", {{"a", "A."}, {"b", "B."}},
                                            {tiny_option::boolean("a", "flag", flag, "help")}),
                  std::logic_error);
  CHECK_THROWS_AS(option_table<tiny_config>("tiny", {{"a", "A."}, {"a", "A."}},
                                            {tiny_option::boolean("a", "flag", flag, "help")}),
                  std::logic_error);
  const option_table<tiny_config> fine("tiny", {{"a", "A."}},
                                       {tiny_option::integer("a", "small", "", 0, 255, small, "help"),
                                        tiny_option::boolean("a", "flag", flag, "help")});
  tiny_config config;
  CHECK_FALSE(fine.load("[a]\nsmall = 255\nflag = true\n", "tiny.toml", config).has_value());
  CHECK(config.small == 255);
  CHECK(config.flag);
}

namespace {

struct cli_run {
  riptide::config::cli_outcome<udp_tracker_config> outcome;
  std::string out;
  std::string err;
};

cli_run run_cli(std::vector<const char*> args) {
  args.insert(args.begin(), "tracker_udp");
  std::ostringstream out;
  std::ostringstream err;
  auto outcome = riptide::config::handle_command_line(static_cast<int>(args.size()), args.data(), "test",
                                                      udp_tracker_options(), out, err);
  return {std::move(outcome), out.str(), err.str()};
}

// A file in the temporary directory, removed at the end of the scope.
class temp_file {
 public:
  explicit temp_file(std::string_view contents)
      : path_(std::filesystem::temp_directory_path() /
              ("riptide_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(next_id_++) + ".toml")) {
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~temp_file() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  std::string path() const { return path_.string(); }

 private:
  static inline unsigned next_id_ = 0;
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("the command line", "[config][cli]") {
  using riptide::config::exit_success;
  using riptide::config::exit_usage;

  SECTION("no flags: run with the defaults") {
    const auto r = run_cli({});
    REQUIRE(r.outcome.config.has_value());
    check_fields_equal(*r.outcome.config, udp_tracker_config{});
    CHECK(r.out.empty());
    CHECK(r.err.empty());
  }
  SECTION("-p prints the defaults") {
    const auto r = run_cli({"-p"});
    CHECK_FALSE(r.outcome.config.has_value());
    CHECK(r.outcome.exit_code == exit_success);
    CHECK(r.out == udp_tracker_options().render_defaults());
    CHECK(run_cli({"--print-default-config"}).out == r.out);
  }
  SECTION("-c FILE runs with the file; -P prints it as loaded") {
    const temp_file file("[network]\nport = 7001\n");
    const auto r = run_cli({"-c", file.path().c_str()});
    REQUIRE(r.outcome.config.has_value());
    CHECK(r.outcome.config->network.port == 7001);
    const auto printed = run_cli({"--config", file.path().c_str(), "-P"});
    CHECK_FALSE(printed.outcome.config.has_value());
    CHECK(printed.outcome.exit_code == exit_success);
    CHECK(printed.out == udp_tracker_options().render(*r.outcome.config));
    CHECK(rendered_value(printed.out, "network", "port") == "7001");
  }
  SECTION("a bad file: one line on stderr, exit code 2") {
    const temp_file file("[network]\nport = 70000\n");
    const auto r = run_cli({"-c", file.path().c_str()});
    CHECK_FALSE(r.outcome.config.has_value());
    CHECK(r.outcome.exit_code == exit_usage);
    CHECK(r.out.empty());
    CHECK(r.err == "config error: " + file.path() + ":2: network.port: expected an integer from 0 to 65535, got 70000\n");
    CHECK(run_cli({"-P", "-c", file.path().c_str()}).outcome.exit_code == exit_usage);
  }
  SECTION("an empty file name (-c \"$UNSET\") is refused, not taken as no -c") {
    for (const auto& args : std::vector<std::vector<const char*>>{{"-c", ""}, {"--config", ""}, {"-P", "-c", ""}}) {
      const auto r = run_cli(args);
      CHECK_FALSE(r.outcome.config.has_value());
      CHECK(r.outcome.exit_code == exit_usage);
      CHECK(r.err == "usage error: -c,--config: an empty file name (see tracker_udp --help)\n");
    }
  }
  SECTION("a missing file") {
    const auto r = run_cli({"-c", "/nonexistent/riptide.toml"});
    CHECK(r.outcome.exit_code == exit_usage);
    CHECK(r.err == "config error: /nonexistent/riptide.toml: cannot read: No such file or directory\n");
  }
  SECTION("a path that never ends (/dev/zero): refused after 1 MiB, not read until memory runs out") {
    const auto r = run_cli({"-c", "/dev/zero"});
    CHECK(r.outcome.exit_code == exit_usage);
    CHECK(r.err == "config error: /dev/zero: cannot read: more than 1 MiB, not a configuration file\n");
  }
  SECTION("bad flags: one line on stderr, exit code 2") {
    for (const auto& args : std::vector<std::vector<const char*>>{{"--bogus"}, {"-c"}, {"-p", "-P"}, {"extra"}}) {
      const auto r = run_cli(args);
      CHECK_FALSE(r.outcome.config.has_value());
      CHECK(r.outcome.exit_code == exit_usage);
      CHECK(r.err.starts_with("usage error: "));
      CHECK(r.err.find('\n') == r.err.size() - 1);
      CHECK(r.out.empty());
    }
  }
  SECTION("-V and -h") {
    const auto version = run_cli({"-V"});
    CHECK(version.outcome.exit_code == exit_success);
    CHECK(version.out == "tracker_udp " + std::string(riptide::config::riptide_version()) + "\n");
    const auto help = run_cli({"--help"});
    CHECK(help.outcome.exit_code == exit_success);
    CHECK_FALSE(help.outcome.config.has_value());
    CHECK(help.out.find("--print-parsed-config") != std::string::npos);
    CHECK(help.out.find("--print-config-markdown") == std::string::npos);  // hidden
  }
  SECTION("--print-config-markdown") {
    const auto r = run_cli({"--print-config-markdown"});
    CHECK(r.outcome.exit_code == exit_success);
    CHECK(r.out == udp_tracker_options().render_markdown());
  }
}

TEST_CASE("text that is not UTF-8 is refused before the TOML parser sees it", "[config]") {
  // The input fuzz/udp_config_fuzzer found: an invalid UTF-8 byte in a literal-string key made
  // toml11 3.7.1 read past its buffer (toml11 issue #199). Now it is one error line.
  const std::string crash("'\xf5'\x88\xe4", 5);
  CHECK(error_of(crash) == "config error: test.toml:1: not valid UTF-8 (TOML files are UTF-8)");
  CHECK(error_of("[network]\nport = 1\n# \xc0\xaf overlong\n") ==
        "config error: test.toml:3: not valid UTF-8 (TOML files are UTF-8)");
  CHECK(error_of("[privileges]\nuser = \"\xed\xa0\x80\"\n").find("not valid UTF-8") != std::string::npos);  // surrogate
  // Well-formed UTF-8 is fine, in comments and in strings.
  require_loads("# r\xc3\xa9" "glages \xe2\x9c\x93 \xf0\x9f\x9a\x80\n[privileges]\nuser = \"n\xc3\xb6" "body\"\n");
}

namespace {

std::string repeated(std::string_view piece, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += piece;
  return out;
}

// `[[...]]`: `depth` arrays, one in the other.
std::string nested_arrays(std::size_t depth) { return repeated("[", depth) + repeated("]", depth); }

}  // namespace

TEST_CASE("tables, arrays and dotted keys nested too deep are refused before the TOML parser sees them", "[config]") {
  // toml11 recurses once per level: these made the loader die with SIGSEGV (a stack overflow) from
  // about 6000 levels, in a file far below the size limit.
  const std::string too_deep_message = "invalid TOML: tables, arrays or dotted keys nested more than 100 deep";
  CHECK(error_of("x = " + nested_arrays(6000) + "\n") == "config error: test.toml:1: " + too_deep_message);
  CHECK(error_of("[network]\nport = " + repeated("{a=", 10000) + "1" + repeated("}", 10000) + "\n") ==
        "config error: test.toml:2: " + too_deep_message);
  // Mixed, spread over lines: the line is the one where the limit is crossed.
  CHECK(error_of("[network]\nport = [\n" + repeated("{a=[\n", 50) + "1" + repeated("]}", 50) + "]\n") ==
        "config error: test.toml:52: " + too_deep_message);
  // 100 levels are left to the parser and the option rules; 101 are not.
  CHECK(error_of("[network]\nport = " + nested_arrays(100) + "\n") ==
        "config error: test.toml:2: network.port: expected an integer from 0 to 65535, got an array");
  CHECK(error_of("[network]\nport = " + nested_arrays(101) + "\n") == "config error: test.toml:2: " + too_deep_message);
  // Dotted keys nest tables too: 20000 parts crashed toml11 the same way, as a key or a header.
  CHECK(error_of("a" + repeated(".a", 20000) + " = 1\n") == "config error: test.toml:1: " + too_deep_message);
  CHECK(error_of("[network]\n[a" + repeated(".a", 20000) + "]\n") == "config error: test.toml:2: " + too_deep_message);
  CHECK(error_of("[[a" + repeated(".\"a\"", 200) + "]]\n") == "config error: test.toml:1: " + too_deep_message);
  // A header's dots count for the keys under it, and a key's for its value; inline tables add up.
  CHECK(error_of("[a" + repeated(".a", 50) + "]\nb" + repeated(".b", 51) + " = 1\n") ==
        "config error: test.toml:2: " + too_deep_message);
  CHECK(error_of("b" + repeated(".b", 50) + " = " + nested_arrays(60) + "\n") ==
        "config error: test.toml:1: " + too_deep_message);
  CHECK(error_of("x = " + repeated("{a.a.a = ", 40) + "1" + repeated("}", 40) + "\n") ==
        "config error: test.toml:1: " + too_deep_message);
  // but not past their line, their table or their inline table.
  CHECK(error_of("[a" + repeated(".a", 60) + "]\n[b]\nb" + repeated(".b", 60) + " = 1\n").find("unknown section") !=
        std::string::npos);
  CHECK(error_of("a" + repeated(".a", 60) + " = 1\nb" + repeated(".b", 60) + " = 1\n").find("unknown section") !=
        std::string::npos);
  CHECK(error_of("x = [" + repeated("{a" + repeated(".a", 60) + " = 1}, ", 10) + "]\n").find("unknown key") !=
        std::string::npos);
  // Dots in values are no keys: 300 floats and times in one array.
  CHECK(error_of("[network]\nport = [" + repeated("1.5, 07:32:00.25, ", 300) + "]\n").find("got an array") !=
        std::string::npos);
  // Brackets closed on the way do not add up: 60 levels twice is 60 deep.
  CHECK(error_of("[network]\nport = [" + nested_arrays(60) + ", " + nested_arrays(60) + "]\n").find("got an array") !=
        std::string::npos);
}

TEST_CASE("brackets and dots inside strings and comments are not nesting", "[config]") {
  const std::string deep = repeated("[{", 3000);
  // Every kind of TOML string, each with an escape or quote that a naive scan would take as its end.
  require_loads("[access_list]\npath = \"a\\\"" + deep + "\"\n");                     // basic, \" inside
  require_loads("[access_list]\npath = 'a\\" + deep + "'\n");                          // literal: \ is no escape
  require_loads("[access_list]\npath = \"\"\"\n\\\"\"\"" + deep + "\n\"\"\"\n");      // multi-line basic, \"""
  require_loads("[access_list]\npath = \"\"\"a\\\n" + deep + "\"\"\"\n");             // line-ending backslash
  require_loads("[access_list]\npath = '''\n\"\"\"'' " + deep + "\n'''\n");           // multi-line literal
  require_loads("[access_list]\npath = \"\"\"" + deep + "\"\"\"\"\"\n");              // ends with 2 quotes of content
  require_loads("# " + deep + "\n[access_list] # " + deep + "\npath = \"x\" # " + deep + "\n");
  require_loads("[access_list]\n\"path\" = \"" + deep + "\"\n");                      // a quoted key
  // Dots inside quoted keys, in a header and before '=', are part of one key.
  CHECK(error_of("[\"" + repeated("a.", 3000) + "\"]\n").find("unknown section") != std::string::npos);
  CHECK(error_of("[network]\n'" + repeated("a.", 3000) + "' = 1\n").find("unknown key") != std::string::npos);
  // And a string does not hide nesting after it on the same line: the scan knows where each kind
  // ends (an escaped backslash, a quote of the other kind, quotes of content after a closing """).
  const std::string too_deep =
      "config error: test.toml:2: invalid TOML: tables, arrays or dotted keys nested more than 100 deep";
  const auto after = [&](std::string_view string) {
    return "[access_list]\nx = [" + std::string(string) + ", " + nested_arrays(200) + "]\n";
  };
  CHECK(error_of(after(R"("it's \\")")) == too_deep);
  CHECK(error_of(after(R"('it"s \')")) == too_deep);
  CHECK(error_of(after(R"("""a"""")")) == too_deep);
  CHECK(error_of(after(R"('''a''''')")) == too_deep);
  CHECK(error_of(after(R"("", '')")) == too_deep);
}
