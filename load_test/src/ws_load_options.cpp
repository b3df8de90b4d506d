#include "ws_load_options.hpp"

#include "torrent_options.hpp"

#include <arpa/inet.h>

namespace riptide::load_test {
namespace {

using option = config::option<ws_load_config>;

config::option_table<ws_load_config> make_table() {
  std::vector<config::section_spec> sections = {
      {"target", "The tracker under load (tracker_ws or any WebTorrent tracker)."},
      {"run", "Threads, connections and duration. Warm-up connects every connection and announces once."},
      {"requests", "What each connection sends. Offers received are always answered."},
      {"torrents", "The torrents, and how unevenly popular they are (rank 0 is the most popular)."},
  };
  std::vector<option> options = {
      option::string("target", "address", [](auto& c) -> auto& { return c.target.address; },
                     "Numeric IPv4 or IPv6 address of the tracker."),
      option::integer("target", "port", "", 1, 65535, [](auto& c) -> auto& { return c.target.port; },
                      "TCP port of the tracker."),
      option::boolean("target", "tls", [](auto& c) -> auto& { return c.target.tls; },
                      "wss:// instead of ws://. The certificate is not verified (a load generator)."),

      option::integer("run", "threads", "threads", 1, 256, [](auto& c) -> auto& { return c.run.threads; },
                      "Load threads, each with its own io_context; connections are spread over them."),
      option::integer("run", "connections", "connections", 1, 1'000'000,
                      [](auto& c) -> auto& { return c.run.connections; },
                      "WebSocket connections, each one peer announcing one torrent."),
      option::string("run", "first_source_address", [](auto& c) -> auto& { return c.run.first_source_address; },
                     "IPv4 targets: connection i binds this address + i / connections_per_address, so the\n"
                     "tracker's per-address connection limit is not hit; empty: let the kernel choose."),
      option::integer("run", "connections_per_address", "connections", 1, 65535,
                      [](auto& c) -> auto& { return c.run.connections_per_address; },
                      "Connections sharing one source address (tracker_ws allows 64 per address by default)."),
      option::integer("run", "duration_seconds", "seconds", 1, 86400,
                      [](auto& c) -> auto& { return c.run.duration_seconds; }, "Length of the measured phase."),
      option::integer("run", "warmup_timeout_seconds", "seconds", 1, 3600,
                      [](auto& c) -> auto& { return c.run.warmup_timeout_seconds; },
                      "Measure anyway if warm-up (connect, first announce answered) takes longer."),
      option::integer("run", "seed", "", 0, 4294967295U, [](auto& c) -> auto& { return c.run.seed; },
                      "Seed of every random choice: the same seed builds the same torrents and peers."),
      option::boolean("run", "busy_poll", [](auto& c) -> auto& { return c.run.busy_poll; },
                      "Load threads poll instead of sleeping, each using its whole core: the tracker's sends\n"
                      "then never pay for waking the generator (over loopback they do; over a network, never)."),

      option::integer("requests", "message_interval_ms", "milliseconds", 1, 3'600'000,
                      [](auto& c) -> auto& { return c.requests.message_interval_ms; },
                      "Each connection sends an announce or a scrape this often (answers come on top), on a fixed\n"
                      "schedule: slots load_test falls over an interval behind on count as missed, not made up."),
      option::integer("requests", "announce_weight", "", 0, 1000,
                      [](auto& c) -> auto& { return c.requests.announce_weight; }, "Weight of announces (with offers)."),
      option::integer("requests", "scrape_weight", "", 0, 1000, [](auto& c) -> auto& { return c.requests.scrape_weight; },
                      "Weight of scrapes."),
      option::integer("requests", "offers_per_announce", "offers", 0, 10,
                      [](auto& c) -> auto& { return c.requests.offers_per_announce; },
                      "Offers in each announce (also its numwant); the tracker relays each to one other peer."),
      option::integer("requests", "sdp_bytes", "bytes", 1, 16000, [](auto& c) -> auto& { return c.requests.sdp_bytes; },
                      "Length of the sdp text of each offer and answer (a real one is about 1 KB)."),
      option::integer("requests", "max_scrape_hashes", "info hashes", 1, 64,
                      [](auto& c) -> auto& { return c.requests.max_scrape_hashes; },
                      "A scrape asks for between 1 and this many info hashes, drawn by popularity."),
      option::integer("requests", "max_queued_messages", "messages", 1, 100000,
                      [](auto& c) -> auto& { return c.requests.max_queued_messages; },
                      "Messages a connection may have waiting to be written; more are dropped and counted."),
  };
  for (auto& torrent_option : torrent_options<ws_load_config>()) options.push_back(std::move(torrent_option));
  return {"load_test ws", std::move(sections), std::move(options), validate_ws_load_config};
}

}  // namespace

std::optional<std::string> validate_ws_load_config(const ws_load_config& config) {
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, config.target.address.c_str(), &v4) != 1 &&
      inet_pton(AF_INET6, config.target.address.c_str(), &v6) != 1) {
    return "target.address: " + config::toml_quoted(config.target.address) + " is not a numeric IP address";
  }
  if (!config.run.first_source_address.empty() && inet_pton(AF_INET, config.run.first_source_address.c_str(), &v4) != 1) {
    return "run.first_source_address: " + config::toml_quoted(config.run.first_source_address) +
           " is not an IPv4 address";
  }
  if (config.requests.announce_weight + config.requests.scrape_weight == 0) {
    return "requests.announce_weight and scrape_weight are both 0: nothing to send";
  }
  return std::nullopt;
}

const config::option_table<ws_load_config>& ws_load_options() {
  static const config::option_table<ws_load_config> table = make_table();
  return table;
}

}  // namespace riptide::load_test
