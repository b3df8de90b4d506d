#pragma once
// Shared by the tracker_udp integration tests: the tracker's config, starting it, and small
// helpers over announce replies. Header-only; every test file includes it.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "tracker_process.hpp"
#include "udp_test_client.hpp"

#ifndef TRACKER_UDP_PATH
#error "TRACKER_UDP_PATH must name the tracker_udp executable (set by tests/CMakeLists.txt)"
#endif

namespace riptide::test {

// A tracker_udp config (TOML) built key by key. The defaults serve loopback only, on a port the
// kernel picks, with the periodic statistics line off; each test sets what it is about.
class tracker_config {
 public:
  tracker_config() {
    set_string("network", "ipv4_address", "127.0.0.1");
    set_string("network", "ipv6_address", "::1");
    set("network", "port", 0);
    set("statistics", "interval_seconds", 0);
  }

  tracker_config& set(const std::string& section, const std::string& key, std::int64_t value) {
    sections_[section][key] = std::to_string(value);
    return *this;
  }

  tracker_config& set_bool(const std::string& section, const std::string& key, bool value) {
    sections_[section][key] = value ? "true" : "false";
    return *this;
  }

  tracker_config& set_string(const std::string& section, const std::string& key, const std::string& value) {
    std::string quoted = "\"";
    for (const char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    sections_[section][key] = quoted + "\"";
    return *this;
  }

  std::string text() const {
    std::string out;
    for (const auto& [section, keys] : sections_) {
      out += "[" + section + "]\n";
      for (const auto& [key, value] : keys) out += key + " = " + value + "\n";
      out += "\n";
    }
    return out;
  }

 private:
  std::map<std::string, std::map<std::string, std::string>> sections_;
};

inline const std::string& tracker_executable() {
  static const std::string path = TRACKER_UDP_PATH;
  return path;
}

// Starts tracker_udp with `config` and waits for its "ready" line.
inline std::unique_ptr<tracker_process> start_tracker(const tracker_config& config) {
  return std::make_unique<tracker_process>(tracker_executable(), config.text());
}

// A peer as an announce reply lists it, whatever the family: address bytes and port.
struct listed_peer {
  std::vector<std::uint8_t> address;
  std::uint16_t port = 0;
  friend auto operator<=>(const listed_peer&, const listed_peer&) = default;
  friend bool operator==(const listed_peer&, const listed_peer&) = default;
};

inline std::vector<listed_peer> peers_of(const proto::udp::announce_response& reply) {
  std::vector<listed_peer> peers;
  for (const auto& peer : reply.ipv4_peers) peers.push_back({{peer.address.begin(), peer.address.end()}, peer.port});
  for (const auto& peer : reply.ipv6_peers) peers.push_back({{peer.address.begin(), peer.address.end()}, peer.port});
  return peers;
}

// How `client` appears in other peers' lists when it announces `port`.
inline listed_peer peer_of(const udp_test_client& client, std::uint16_t port) { return {client.address_bytes(), port}; }

inline std::string describe(const std::vector<listed_peer>& peers) {
  std::string text;
  for (const listed_peer& peer : peers) {
    if (!text.empty()) text += ", ";
    for (std::size_t i = 0; i < peer.address.size(); ++i) {
      text += (i == 0 ? "" : peer.address.size() == 4 ? "." : ":") + std::to_string(peer.address[i]);
    }
    text += " port " + std::to_string(peer.port);
  }
  return "[" + text + "]";
}

inline std::ostream& operator<<(std::ostream& out, const listed_peer& peer) {
  return out << describe(std::vector<listed_peer>{peer});
}

// A scrape entry in a comparable, printable form.
struct swarm_counts {
  std::uint32_t seeders = 0;
  std::uint32_t completed = 0;
  std::uint32_t leechers = 0;
  friend bool operator==(const swarm_counts&, const swarm_counts&) = default;
};

inline swarm_counts counts_of(const proto::udp::scrape_entry& entry) {
  return {entry.seeders, entry.completed, entry.leechers};
}

inline std::ostream& operator<<(std::ostream& out, const swarm_counts& counts) {
  return out << "{seeders " << counts.seeders << ", completed " << counts.completed << ", leechers "
             << counts.leechers << "}";
}

inline bool all_distinct(std::vector<listed_peer> peers) {
  std::sort(peers.begin(), peers.end());
  return std::adjacent_find(peers.begin(), peers.end()) == peers.end();
}

inline bool contains(const std::vector<listed_peer>& peers, const listed_peer& peer) {
  return std::find(peers.begin(), peers.end(), peer) != peers.end();
}

// Calls `condition` about every 100 ms until it returns true or `timeout` passes; returns its
// last result. Only for behaviour that is driven by the tracker's own clock (peer expiry,
// cleaning), where there is no event to wait for.
template <typename Condition>
bool poll_until(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Waits for a "stats:" log line that contains every one of `parts`; returns it, or nullopt at the
// deadline. Earlier stats lines that do not match are consumed.
inline std::optional<std::string> wait_for_stats_line(tracker_process& tracker, const std::vector<std::string>& parts,
                                                      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    const auto line = tracker.wait_for_log("stats:", left);
    if (!line) return std::nullopt;
    bool all = true;
    for (const std::string& part : parts) all = all && line->find(part) != std::string::npos;
    if (all) return line;
  }
}

inline std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace riptide::test
