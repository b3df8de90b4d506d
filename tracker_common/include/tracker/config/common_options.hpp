#pragma once
// The options and cross-field rules every tracker shares: [statistics], [access_list],
// [privileges] and [log] (each tracker's config holds common_config.hpp's structs under these
// names), and the listen addresses of [network].

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/config/common_config.hpp"
#include "tracker/config/option_table.hpp"

namespace riptide::config {

template <typename Config>
std::vector<option<Config>> shared_tracker_options() {
  using entry = option<Config>;
  return {
      // [statistics]
      entry::integer("statistics", "interval_seconds", "seconds", 0, 86400,
                     [](auto& c) -> auto& { return c.statistics.interval_seconds; },
                     "A summary line in the log every interval; 0 turns it off."),

      // [access_list]
      entry::template enumeration<access_list_mode_config>(
          "access_list", "mode",
          {{"off", access_list_mode_config::off},
           {"allow", access_list_mode_config::allow},
           {"deny", access_list_mode_config::deny}},
          [](auto& c) -> auto& { return c.access_list.mode; },
          "off: serve every info hash; allow: only those listed in path; deny: all but those listed."),
      entry::string("access_list", "path", [](auto& c) -> auto& { return c.access_list.path; },
                    "File of info hashes, one per line as 40 hex digits ('#' starts a comment);\n"
                    "required unless mode is off. Reloaded on SIGUSR1 (with a chroot: the same file\n"
                    "when it lies inside the chroot directory, else this path inside the chroot);\n"
                    "a bad file is refused whole."),

      // [privileges]
      entry::boolean("privileges", "drop", [](auto& c) -> auto& { return c.privileges.drop; },
                     "After binding every socket: chroot (if chroot_path is set), then setgid and setuid to user."),
      entry::string("privileges", "chroot_path", [](auto& c) -> auto& { return c.privileges.chroot_path; },
                    "Absolute directory to chroot into when drop is true; empty: no chroot."),
      entry::string("privileges", "user", [](auto& c) -> auto& { return c.privileges.user; },
                    "User (and its primary group) to run as when drop is true: a name, or a user id; not root."),

      // [log]
      entry::template enumeration<log_level>("log", "level",
                                             {{"debug", log_level::debug},
                                              {"info", log_level::info},
                                              {"warning", log_level::warning},
                                              {"error", log_level::error}},
                                             [](auto& c) -> auto& { return c.log.level; },
                                             "Least severe level written to stderr."),
  };
}

// network.ipv4_address and network.ipv6_address: each empty or a literal of its family (for IPv6,
// not an IPv4-mapped ::ffff:a.b.c.d, which an IPV6_V6ONLY socket cannot bind), not both empty.
// Nullopt when fine, else one line naming the keys.
std::optional<std::string> validate_listen_addresses(const std::string& ipv4_address, const std::string& ipv6_address);

// The rules between [access_list] and [privileges] keys.
std::optional<std::string> validate_access_and_privileges(const access_list_config& access_list,
                                                          const privileges_config& privileges);

// Socket workers and request workers, and the channels between them. request_workers = 0 means
// the one socket worker owns `owned` itself ("torrents", "swarms"), so socket_workers must be 1.
// The channels hold at most socket_workers x request_workers x (request + response capacity)
// messages, which grows fast with the workers: more than `max_slots` (about `approximate_size` of
// memory) is refused.
struct worker_layout {
  std::uint64_t socket_workers = 0;
  std::uint64_t request_workers = 0;
  std::uint64_t request_queue_capacity = 0;
  std::uint64_t response_queue_capacity = 0;
};
std::optional<std::string> validate_worker_layout(const worker_layout& layout, const std::string& owned,
                                                  std::uint64_t max_slots, const std::string& approximate_size);

// Tracker-wide bounds (key and value, e.g. "swarm.max_torrents") split over the request workers'
// shards (core::share_of_total): below one per worker, some shard would get 0 and refuse every
// torrent that hashes to it, on an empty tracker.
struct split_limit {
  std::string_view key;
  std::uint64_t total = 0;
};
std::optional<std::string> validate_split_limits(std::initializer_list<split_limit> limits,
                                                 std::uint64_t request_workers);

}  // namespace riptide::config
