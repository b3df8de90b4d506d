#include "udp_tracker_options.hpp"

#include <algorithm>
#include <cstdint>

#include "tracker/config/common_options.hpp"
#include "tracker/core/shard_router.hpp"
#include "tracker/core/source_peer_counts.hpp"

namespace riptide::udp {

namespace {

using option = config::option<udp_tracker_config>;

// Bounds shared by several options, with the reason they exist.

// SO_RCVBUF / SO_SNDBUF take an int and Linux doubles the value (bookkeeping overhead), so
// anything above 1 GiB would overflow; the kernel caps it at net.core.{r,w}mem_max anyway.
constexpr std::uint64_t max_socket_buffer_bytes = std::uint64_t{1} << 30;

// A worker is a thread: beyond a few hundred they only add context switches, and the channels
// grow as socket_workers x request_workers (one producer sub-queue per pair).
constexpr std::uint64_t max_workers = 256;

// Channels are bounded so that overload drops requests instead of eating memory. There is one per
// (socket worker, request worker) pair each way. A channel's memory is all taken at start-up, not
// as it fills: moodycamel's queue preallocates blocks for twice its capacity (one producer plus
// one spare), and they are resident at once. Measured (RSS of an idle tracker at `ready`, one
// socket and one request worker, both capacities at 2^20): about 197 bytes per request slot (a 96-byte
// shard_request) and 165 per response slot (an 80-byte shard_response), so a 2^20-slot channel
// is about 190 MiB, far beyond any useful backlog. Below 64 a channel holds hardly one receive batch.
constexpr std::uint64_t min_queue_capacity = 64;
constexpr std::uint64_t max_queue_capacity = std::uint64_t{1} << 20;

// All channels together may hold at most this many messages:
// socket_workers x request_workers x (request + response capacity) grows fast with the workers.
// 2^23 slots is at most about 1.5 GiB at the measured ~197 bytes a slot (4 x 4 workers with
// 2^18-slot channels each way measured 1.4 GiB), all of it taken at start-up.
constexpr std::uint64_t max_channel_slots = std::uint64_t{1} << 23;

constexpr std::uint64_t one_day_seconds = 86400;

config::option_table<udp_tracker_config> make_table() {
  std::vector<config::section_spec> sections = {
      {"network", "Sockets. One UDP socket per address family, both on the same port."},
      {"protocol", "BEP 15 protocol limits."},
      {"workers", "Threads. Socket workers receive, parse and send; request workers own the torrents,\n"
                  "each a shard chosen by a keyed hash of the info hash."},
      {"swarm", "Announce rules."},
      {"channels", "Bounded queues between socket and request workers (with request_workers > 0); when one\n"
                   "is full the request is dropped and counted, never queued without limit. Their memory is\n"
                   "taken at start-up: socket_workers * request_workers * (request_queue_capacity +\n"
                   "response_queue_capacity) is at most 8388608 (2^23) slots, about 1.5 GiB."},
      {"cleaning", "Removal of expired peers and empty torrents, by each request worker in its own shard."},
      {"statistics", "Periodic summary of the counters in the log."},
      {"access_list", "Which info hashes are served."},
      {"privileges", "Privilege drop, after every socket is bound."},
      {"log", "Logging to stderr."},
  };

  std::vector<option> options = {
      // [network]
      option::string("network", "ipv4_address", [](auto& c) -> auto& { return c.network.ipv4_address; },
                     "IPv4 address to bind; empty: no IPv4 socket."),
      option::string("network", "ipv6_address", [](auto& c) -> auto& { return c.network.ipv6_address; },
                     "IPv6 address to bind (the socket is IPV6_V6ONLY); empty: no IPv6 socket."),
      option::integer("network", "port", "", 0, 65535, [](auto& c) -> auto& { return c.network.port; },
                      "UDP port of both sockets; 0 picks any free port (used by tests)."),
      option::integer("network", "socket_receive_buffer_bytes", "bytes", 0, max_socket_buffer_bytes,
                      [](auto& c) -> auto& { return c.network.socket_receive_buffer_bytes; },
                      "SO_RCVBUF of each socket, capped by the kernel at net.core.rmem_max; 0: the OS default.\n"
                      "A large buffer absorbs bursts while the socket workers are busy."),
      option::integer("network", "socket_send_buffer_bytes", "bytes", 0, max_socket_buffer_bytes,
                      [](auto& c) -> auto& { return c.network.socket_send_buffer_bytes; },
                      "SO_SNDBUF of each socket, capped by the kernel at net.core.wmem_max; 0: the OS default."),

      // [protocol]
      // BEP 15 asks trackers to accept a connection id for two minutes (clients use one for a
      // minute; libtorrent caches them 60 s), so less than 120 s would refuse ids that
      // well-behaved clients still use. The longer the lifetime, the longer a captured id can be
      // replayed with a forged source address; a day is already generous.
      option::integer("protocol", "connection_id_lifetime_seconds", "seconds", 120, one_day_seconds,
                      [](auto& c) -> auto& { return c.protocol.connection_id_lifetime_seconds; },
                      "How long a connection id stays valid after it is issued.\n"
                      "BEP 15 asks trackers to accept ids for two minutes."),
      // BEP 15: "Up to about 74 torrents can be scraped at once", i.e. (1500 - 16) / 20: a scrape
      // request (16 bytes + 20 per hash) about the size of a 1500-byte Ethernet packet.
      option::integer("protocol", "max_scrape_hashes", "info hashes", 1, 74,
                      [](auto& c) -> auto& { return c.protocol.max_scrape_hashes; },
                      "Most info hashes in one scrape; a scrape with more gets an error reply."),
      // recvmmsg and sendmmsg take at most UIO_MAXIOV (1024) messages per call.
      option::integer("protocol", "receive_batch", "datagrams", 1, 1024,
                      [](auto& c) -> auto& { return c.protocol.receive_batch; },
                      "Datagrams received (recvmmsg) or sent (sendmmsg) per system call."),
      // A pending scrape's id carries its slot in 16 bits; each slot holds up to 74 counts
      // (about 1 KiB), made only when first needed.
      option::integer("protocol", "max_pending_scrapes", "scrapes", 1, 65536,
                      [](auto& c) -> auto& { return c.protocol.max_pending_scrapes; },
                      "Scrapes split across request workers and still waiting for parts, per socket worker;\n"
                      "beyond this, new split scrapes are dropped and counted."),

      // [workers]
      option::integer("workers", "socket_workers", "threads", 1, max_workers,
                      [](auto& c) -> auto& { return c.workers.socket_workers; },
                      "Threads that own the sockets: receive, parse, answer connects, send."),
      option::integer("workers", "request_workers", "threads", 0, max_workers,
                      [](auto& c) -> auto& { return c.workers.request_workers; },
                      "Threads that own the torrent shards and answer announces and scrapes.\n"
                      "0: the single socket worker owns every torrent itself (needs socket_workers = 1);\n"
                      "no channels and no thread hand-off: the fastest layout on one core."),

      // [swarm]
      option::integer("swarm", "announce_interval_seconds", "seconds", 1, one_day_seconds,
                      [](auto& c) -> auto& { return c.swarm.announce_interval_seconds; },
                      "Interval between announces, told to clients in every announce reply."),
      // Two days: a peer may miss one announce at the longest interval and still be listed.
      option::integer("swarm", "peer_timeout_seconds", "seconds", 1, 2 * one_day_seconds,
                      [](auto& c) -> auto& { return c.swarm.peer_timeout_seconds; },
                      "A peer not heard from for this long is dropped.\n"
                      "Must be greater than swarm.announce_interval_seconds."),
      // 0 would give clients that ask for "the default" (num_want -1) no peers at all.
      option::integer("swarm", "default_num_want", "peers", 1, 200,
                      [](auto& c) -> auto& { return c.swarm.default_num_want; },
                      "Peers returned when a client leaves num_want at -1 (the default);\n"
                      "capped by max_peers_ipv4 / max_peers_ipv6."),
      // The reply must fit one unfragmented datagram even on a 1280-byte-MTU path:
      // 20 + 6 * 200 = 1220 bytes of payload.
      option::integer("swarm", "max_peers_ipv4", "peers", 1, 200,
                      [](auto& c) -> auto& { return c.swarm.max_peers_ipv4; },
                      "Most IPv4 peers in one announce reply."),
      // 20 + 18 * 66 = 1208 bytes: the most that fits 1232 bytes, the UDP payload of a 1280-byte
      // IPv6 packet (the minimum IPv6 MTU).
      option::integer("swarm", "max_peers_ipv6", "peers", 1, 66,
                      [](auto& c) -> auto& { return c.swarm.max_peers_ipv6; },
                      "Most IPv6 peers in one announce reply."),

      // About 20 bytes a peer and 60 a torrent (docs/benchmarks.md): the defaults bound the swarm
      // data near 700 MiB per family, whatever clients send.
      option::integer("swarm", "max_torrents", "torrents", 1, 4294967295U,
                      [](auto& c) -> auto& { return c.swarm.max_torrents; },
                      "Most torrents per address family; an announce that would add one more gets the error\n"
                      "\"tracker is full\"."),
      option::integer("swarm", "max_peers", "peers", 1, 4294967295U, [](auto& c) -> auto& { return c.swarm.max_peers; },
                      "Most peers per address family; an announce that would add one more gets the error\n"
                      "\"tracker is full\" (peers already in a swarm keep announcing)."),
      // A seedbox announces tens of thousands of torrents from one address, and a carrier's NAT
      // puts many clients behind one: the default is far above both, and still keeps one source
      // to 1% of max_peers.
      option::integer("swarm", "max_peers_per_source", "peers", 0, 4294967295U,
                      [](auto& c) -> auto& { return c.swarm.max_peers_per_source; },
                      "Most peers one source may hold per address family, a source being an IPv4 address\n"
                      "or an IPv6 prefix (ipv6_source_prefix_length); an announce that would add one more\n"
                      "gets the error \"too many peers from this address\" (its peers already in a swarm keep\n"
                      "announcing). 0: no limit; otherwise at least max_peers / 32768 (per request worker's\n"
                      "share). Counted approximately in a table of about 512 * max_peers / max_peers_per_source\n"
                      "bytes per family (64 KiB at the defaults, at most 16 MiB per request worker and family),\n"
                      "taken at start-up: never below a source's true count, above it by about\n"
                      "max_peers_per_source / 64 when the tracker is full."),
      // RIPE-690 gives a home customer a /56 (or a /48); a /64 is one network of it.
      option::integer("swarm", "ipv6_source_prefix_length", "bits", core::source_peer_counts::min_ipv6_prefix_bits,
                      core::source_peer_counts::max_ipv6_prefix_bits,
                      [](auto& c) -> auto& { return c.swarm.ipv6_source_prefix_length; },
                      "The IPv6 prefix that counts as one source for max_peers_per_source: 56, a home\n"
                      "customer's usual allocation; 64 counts each network apart, 48 each site."),
      // A kept count is a map slot (32 to 64 bytes with the map's load), no allocation of its own,
      // and there are at most max_torrents of them per family: at most about 300 MiB per family
      // more at the defaults. opentracker keeps such a torrent for a day.
      option::integer("swarm", "completed_retention_seconds", "seconds", 0, 30 * one_day_seconds,
                      [](auto& c) -> auto& { return c.swarm.completed_retention_seconds; },
                      "How long a torrent left without peers keeps its completed count (the downloads\n"
                      "scrapes report): scrapes still show it, and the torrent counts on from it when a\n"
                      "peer comes back. At most max_torrents counts per address family, 32 to 64 bytes\n"
                      "each; 0: the count goes with the last peer."),

      // [channels]
      option::integer("channels", "request_queue_capacity", "requests", min_queue_capacity, max_queue_capacity,
                      [](auto& c) -> auto& { return c.channels.request_queue_capacity; },
                      "Requests waiting in each socket worker -> request worker channel; at least\n"
                      "protocol.receive_batch * protocol.max_scrape_hashes, so that a full batch of the\n"
                      "largest scrapes fits an empty channel. Memory for every slot (about 200 bytes) is\n"
                      "taken at start-up."),
      option::integer("channels", "response_queue_capacity", "responses", min_queue_capacity, max_queue_capacity,
                      [](auto& c) -> auto& { return c.channels.response_queue_capacity; },
                      "Responses waiting in each request worker -> socket worker channel; at least\n"
                      "protocol.receive_batch. Memory for every slot (about 170 bytes) is taken at start-up."),

      // [cleaning]
      // At least every hour, so that expired peers do not linger (and get handed out) for long.
      option::integer("cleaning", "interval_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.cleaning.interval_seconds; },
                      "How often each request worker drops expired peers and empty torrents."),
  };
  for (auto& shared : config::shared_tracker_options<udp_tracker_config>()) options.push_back(std::move(shared));

  return {"tracker_udp", std::move(sections), std::move(options), validate_udp_tracker_config};
}

}  // namespace

std::optional<std::string> validate_udp_tracker_config(const udp_tracker_config& config) {
  if (auto problem = config::validate_listen_addresses(config.network.ipv4_address, config.network.ipv6_address)) {
    return problem;
  }
  if (auto problem = config::validate_worker_layout(
          {config.workers.socket_workers, config.workers.request_workers, config.channels.request_queue_capacity,
           config.channels.response_queue_capacity},
          "torrents", max_channel_slots, "1.5 GiB, taken at start-up")) {
    return problem;
  }
  if (auto problem = config::validate_split_limits(
          {{"swarm.max_torrents", config.swarm.max_torrents}, {"swarm.max_peers", config.swarm.max_peers}},
          config.workers.request_workers)) {
    return problem;
  }
  if (config.swarm.max_peers_per_source != 0) {  // 0 is no limit, not a share
    if (auto problem = config::validate_split_limits(
            {{"swarm.max_peers_per_source", config.swarm.max_peers_per_source}}, config.workers.request_workers)) {
      return problem;
    }
    // The shard with the smallest share of the limit and the largest of max_peers.
    const std::uint64_t shards = std::max<std::uint64_t>(config.workers.request_workers, 1);
    const std::uint64_t least_share = core::share_of_total(config.swarm.max_peers_per_source, shards, shards - 1);
    const std::uint64_t smallest =
        core::source_peer_counts::smallest_limit(core::share_of_total(config.swarm.max_peers, shards, 0));
    if (least_share < smallest) {
      return "swarm.max_peers_per_source (" + std::to_string(config.swarm.max_peers_per_source) +
             ") must be 0 or at least swarm.max_peers / 32768 in each request worker's share (" +
             std::to_string(smallest * shards) + " here): below that, sources with few peers would be counted " +
             "with others";
    }
  }
  // A peer that announces on time must never expire between two announces.
  if (config.swarm.peer_timeout_seconds <= config.swarm.announce_interval_seconds) {
    return "swarm.peer_timeout_seconds (" + std::to_string(config.swarm.peer_timeout_seconds) +
           ") must be greater than swarm.announce_interval_seconds (" +
           std::to_string(config.swarm.announce_interval_seconds) + ")";
  }
  // A receive batch turns into at most receive_batch * max_scrape_hashes requests for one request
  // worker: a smaller channel would drop part of a full batch even when the workers keep up.
  // With request_workers = 0 there are no channels, and nothing to size.
  const bool has_channels = config.workers.request_workers > 0;
  const std::uint64_t largest_batch = std::uint64_t{config.protocol.receive_batch} * config.protocol.max_scrape_hashes;
  if (has_channels && config.channels.request_queue_capacity < largest_batch) {
    return "channels.request_queue_capacity (" + std::to_string(config.channels.request_queue_capacity) +
           ") must be at least protocol.receive_batch * protocol.max_scrape_hashes (" + std::to_string(largest_batch) +
           ") when workers.request_workers > 0";
  }
  if (has_channels && config.channels.response_queue_capacity < config.protocol.receive_batch) {
    return "channels.response_queue_capacity (" + std::to_string(config.channels.response_queue_capacity) +
           ") must be at least protocol.receive_batch (" + std::to_string(config.protocol.receive_batch) +
           ") when workers.request_workers > 0";
  }
  // Every scrape of a receive batch may be waiting for its parts at once.
  if (config.protocol.max_pending_scrapes < config.protocol.receive_batch) {
    return "protocol.max_pending_scrapes (" + std::to_string(config.protocol.max_pending_scrapes) +
           ") must be at least protocol.receive_batch (" + std::to_string(config.protocol.receive_batch) + ")";
  }
  return config::validate_access_and_privileges(config.access_list, config.privileges);
}

const config::option_table<udp_tracker_config>& udp_tracker_options() {
  static const config::option_table<udp_tracker_config> table = make_table();
  return table;
}

}  // namespace riptide::udp
