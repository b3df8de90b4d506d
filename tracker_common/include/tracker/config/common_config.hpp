#pragma once
// Plain configuration structs shared by the trackers, with their defaults. Only the loader
// (config/option_table.hpp and its users) knows TOML; everything else sees these structs.

#include <cstdint>
#include <string>

namespace riptide::config {

struct workers_config {
  std::uint32_t socket_workers = 1;   // threads that own sockets: receive, parse, answer connects, send
  // threads that own the torrent shards; 0: the single socket worker owns every torrent (the
  // fastest layout measured on one and two cores, docs/benchmarks.md)
  std::uint32_t request_workers = 0;
};

struct swarm_config {
  std::uint32_t announce_interval_seconds = 1800;  // told to clients
  std::uint32_t peer_timeout_seconds = 2700;       // a peer silent this long is dropped
  std::uint32_t default_num_want = 50;             // peers returned when the client asks for "default"
  std::uint32_t max_peers_ipv4 = 200;              // cap per reply (fits one datagram)
  std::uint32_t max_peers_ipv6 = 66;               // cap per reply (fits one datagram)
  std::uint32_t max_torrents = 5'000'000;          // per address family; beyond: "tracker is full"
  std::uint32_t max_peers = 20'000'000;            // per address family; beyond: "tracker is full"
  // per source (IPv4 address, IPv6 prefix) and address family; 0: no limit
  std::uint32_t max_peers_per_source = 200'000;
  std::uint32_t ipv6_source_prefix_length = 56;  // the IPv6 prefix that is one source, in bits
  std::uint32_t completed_retention_seconds = 86'400;  // a torrent without peers keeps its completed count
};

// Every (socket worker, request worker) pair has its own channel each way.
struct channel_config {
  std::uint32_t request_queue_capacity = 8192;   // requests waiting, per socket worker -> request worker
  std::uint32_t response_queue_capacity = 8192;  // responses waiting, per request worker -> socket worker
};

struct cleaning_config {
  std::uint32_t interval_seconds = 60;  // how often each shard drops expired peers and empty torrents
};

struct statistics_config {
  std::uint32_t interval_seconds = 60;  // a summary line every interval; 0 turns it off
};

enum class access_list_mode_config : std::uint8_t { off, allow, deny };

struct access_list_config {
  access_list_mode_config mode = access_list_mode_config::off;
  std::string path;  // file of 40-hex info hashes; reloaded on SIGUSR1
};

struct privileges_config {
  bool drop = false;        // after every socket is bound: chroot, setgid, setuid
  std::string chroot_path;  // empty: no chroot
  std::string user = "nobody";
};

enum class log_level : std::uint8_t { debug, info, warning, error };

struct log_config {
  log_level level = log_level::info;
};

}  // namespace riptide::config
