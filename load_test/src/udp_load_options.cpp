#include "udp_load_options.hpp"

#include <arpa/inet.h>

#include "torrent_options.hpp"
#include "workload.hpp"

namespace riptide::load_test {
namespace {

using option = config::option<udp_load_config>;

bool is_ip_address(const std::string& text) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

config::option_table<udp_load_config> make_table() {
  std::vector<config::section_spec> sections = {
      {"target", "The tracker under load."},
      {"run", "Threads, sockets and duration. Each socket keeps a bounded window of requests in flight."},
      {"requests", "The request mix of the measured phase, as relative weights."},
      {"torrents", "The torrents, and how unevenly popular they are (rank 0 is the most popular)."},
      {"peers", "The peer population. Each peer belongs to one torrent for the whole run."},
  };
  std::vector<option> options = {
      option::string("target", "address", [](auto& c) -> auto& { return c.target.address; },
                     "Numeric IPv4 or IPv6 address of the tracker."),
      option::integer("target", "port", "", 1, 65535, [](auto& c) -> auto& { return c.target.port; },
                      "UDP port of the tracker."),

      option::integer("run", "threads", "threads", 1, 256, [](auto& c) -> auto& { return c.run.threads; },
                      "Load threads; each owns sockets_per_thread sockets."),
      // 127.0.0.2 + 1024 sockets stays inside 127.0.0.0/8 with room to spare.
      option::integer("run", "sockets_per_thread", "sockets", 1, 1024,
                      [](auto& c) -> auto& { return c.run.sockets_per_thread; },
                      "UDP sockets per thread, each from its own source address (IPv4)."),
      option::string("run", "first_source_address", [](auto& c) -> auto& { return c.run.first_source_address; },
                     "IPv4 targets: socket i binds this address + i (e.g. 127.0.0.2, 127.0.0.3, ...), so the\n"
                     "tracker's SO_REUSEPORT spreads the load; empty: let the kernel choose. IPv6: unused."),
      // The transaction id keeps the slot in its low 10 bits.
      option::integer("run", "in_flight_per_socket", "requests", 1, 1024,
                      [](auto& c) -> auto& { return c.run.in_flight_per_socket; },
                      "Requests a socket may have waiting for a reply."),
      option::integer("run", "duration_seconds", "seconds", 1, 86400,
                      [](auto& c) -> auto& { return c.run.duration_seconds; }, "Length of the measured phase."),
      option::integer("run", "request_timeout_ms", "milliseconds", 1, 60000,
                      [](auto& c) -> auto& { return c.run.request_timeout_ms; },
                      "A request unanswered for this long counts as lost."),
      option::integer("run", "seed", "", 0, 4294967295U, [](auto& c) -> auto& { return c.run.seed; },
                      "Seed of every random choice: the same seed builds the same torrents and swarms."),

      option::integer("requests", "connect_weight", "", 0, 1000, [](auto& c) -> auto& { return c.requests.connect_weight; },
                      "Weight of connect requests (besides the connects a connection id needs)."),
      option::integer("requests", "announce_weight", "", 0, 1000,
                      [](auto& c) -> auto& { return c.requests.announce_weight; }, "Weight of announce requests."),
      option::integer("requests", "scrape_weight", "", 0, 1000, [](auto& c) -> auto& { return c.requests.scrape_weight; },
                      "Weight of scrape requests."),
      option::integer("requests", "max_scrape_hashes", "info hashes", 1, 74,
                      [](auto& c) -> auto& { return c.requests.max_scrape_hashes; },
                      "A scrape asks for between 1 and this many info hashes, drawn by popularity."),
      option::integer("requests", "num_want", "peers", 0, 200, [](auto& c) -> auto& { return c.requests.num_want; },
                      "num_want of every announce."),
      option::integer("requests", "connection_id_reuse_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.requests.connection_id_reuse_seconds; },
                      "A socket connects again after using a connection id this long (libtorrent: 60)."),
  };
  for (auto& torrent_option : torrent_options<udp_load_config>()) options.push_back(std::move(torrent_option));
  options.push_back(option::integer("peers", "count", "peers", 1, 100'000'000, [](auto& c) -> auto& { return c.peers.count; },
                                    "Peers in the population, spread over the sockets; each announces for its own "
                                    "torrent."));
  options.push_back(option::real("peers", "seeder_probability", "", 0.0, 1.0,
                                 [](auto& c) -> auto& { return c.peers.seeder_probability; },
                                 "Chance that a peer is a seeder (announces left = 0)."));
  options.push_back(option::boolean("peers", "warmup", [](auto& c) -> auto& { return c.peers.warmup; },
                                    "Before measuring, every peer announces `started` once, so the swarms are full "
                                    "(for at most 120 s; then the run measures anyway, and says so)."));
  return {"load_test udp", std::move(sections), std::move(options), validate_udp_load_config};
}

}  // namespace

std::optional<std::string> validate_udp_load_config(const udp_load_config& config) {
  if (!is_ip_address(config.target.address)) {
    return "target.address: " + config::toml_quoted(config.target.address) + " is not a numeric IP address";
  }
  if (config.requests.connect_weight + config.requests.announce_weight + config.requests.scrape_weight == 0) {
    return "requests.connect_weight, announce_weight and scrape_weight are all 0: nothing to send";
  }
  const std::uint64_t sockets = std::uint64_t{config.run.threads} * config.run.sockets_per_thread;
  if (!config.run.first_source_address.empty()) {
    in_addr first{};
    if (inet_pton(AF_INET, config.run.first_source_address.c_str(), &first) != 1) {
      return "run.first_source_address: " + config::toml_quoted(config.run.first_source_address) +
             " is not an IPv4 address";
    }
    // Each socket binds the next address: on loopback the last one must still be in 127.0.0.0/8.
    const std::uint64_t first_host = ntohl(first.s_addr);
    if ((first_host >> 24) == 127 && ((first_host + sockets - 1) >> 24) != 127) {
      return "run.first_source_address: " + config::toml_quoted(config.run.first_source_address) + " plus " +
             std::to_string(sockets) + " sockets (run.threads * run.sockets_per_thread) leaves 127.0.0.0/8";
    }
  }
  in6_addr v6{};
  const bool ipv6 = inet_pton(AF_INET6, config.target.address.c_str(), &v6) == 1;
  if ((ipv6 || config.run.first_source_address.empty()) && config.peers.count > ports_per_socket) {
    return "peers.count (" + std::to_string(config.peers.count) + ") is more than " + std::to_string(ports_per_socket) +
           ": without a source address per socket (IPv6, or an empty run.first_source_address) every peer needs its "
           "own port";
  }
  // Each peer is an (address, port) for the tracker: a socket's peers use ports 1024..65535.
  if (std::uint64_t{config.peers.count} > sockets * ports_per_socket) {
    return "peers.count (" + std::to_string(config.peers.count) + ") is more than run.threads * run.sockets_per_thread * " +
           std::to_string(ports_per_socket) + " distinct peers";
  }
  return std::nullopt;
}

const config::option_table<udp_load_config>& udp_load_options() {
  static const config::option_table<udp_load_config> table = make_table();
  return table;
}

}  // namespace riptide::load_test
