#pragma once
// limits.max_connections and limits.max_connections_per_ip across every socket worker, and the
// places kept past max_connections for monitoring (limits.monitoring_connections): a full tracker
// still answers GET /health, /stats and /metrics, and refuses a WebSocket upgrade there with 503,
// rather than look dead to the probe that would restart it. A monitoring place is one per address
// (as max_connections_per_ip counts them) and lives at most a couple of seconds
// (ws_listener.cpp), so that no one client can hold them all. A trusted proxy's connection, whose
// client is not known when it is accepted, takes any free one: the proxy carries the probes of
// others, and a monitoring place never becomes a client's (count_client refuses it). The kernel
// spreads the connections of one address over the workers' SO_REUSEPORT acceptors, so the counts
// are shared: a mutex held for one map update per connection opened or closed, which is nothing
// next to the TCP and WebSocket handshakes around it. Thread safety: every call, any thread.
//
// "Per IP" is per IPv4 address, and per /64 for IPv6: one subscriber's network gets a /64 (or
// more), so counting each of its 2^64 addresses apart would make the per-address limit none.

#include <boost/asio/ip/address.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "connection_slot.hpp"
#include "ws_counters.hpp"

namespace riptide::ws {

class connection_limiter {
 public:
  connection_limiter(std::uint32_t max_connections, std::uint32_t max_connections_per_ip,
                     std::uint32_t monitoring_connections = 0)
      : max_connections_(max_connections),
        max_connections_per_ip_(max_connections_per_ip),
        monitoring_connections_(monitoring_connections) {}

  // A slot for a new connection from `address`, accepted by the socket worker counting in `owner`,
  // or nullopt when a limit is reached. At max_connections the slot is a monitoring place
  // (connection_slot::monitoring_only), while one is free. The slot gives its place back when
  // destroyed.
  std::optional<connection_slot> admit(const boost::asio::ip::address& address, ws_counters& owner);
  // The same for a connection from a trusted reverse proxy: counted against max_connections only,
  // since it carries other clients' requests, until count_client() says whose it is.
  std::optional<connection_slot> admit_proxied(const boost::asio::ip::address& proxy, ws_counters& owner);
  // The client a proxy's connection serves, counted against max_connections_per_ip from now on
  // and the slot's address(); false at that limit (the slot is unchanged). Once per slot.
  bool count_client(connection_slot& slot, const boost::asio::ip::address& client);
  void release(const connection_slot& slot);  // by ~connection_slot

  // What max_connections_per_ip counts under: the IPv4 address, or the IPv6 address's /64.
  static boost::asio::ip::address limited_as(const boost::asio::ip::address& address);

 private:
  // Counts one more connection of `address`'s per-IP group, unless it is full. mutex_ held.
  bool take_address_place(const boost::asio::ip::address& address);
  // Whether a new connection from `address` (from a trusted proxy: `proxied`) gets a monitoring
  // place rather than a full one; nullopt when it gets neither. mutex_ held.
  std::optional<bool> place_in_total(const boost::asio::ip::address& address, bool proxied) const;
  // Takes the place place_in_total() found. mutex_ held.
  void take_place_in_total(bool monitoring_only, const boost::asio::ip::address& address, bool proxied);

  std::mutex mutex_;
  std::uint32_t max_connections_;
  std::uint32_t max_connections_per_ip_;
  std::uint32_t monitoring_connections_;
  std::uint64_t open_connections_ = 0;
  boost::unordered_flat_map<boost::asio::ip::address, std::uint32_t, std::hash<boost::asio::ip::address>> per_address_;
  // The addresses (limited_as) holding a monitoring place, one each, and the places trusted
  // proxies' connections hold: together, the places taken.
  boost::unordered_flat_set<boost::asio::ip::address, std::hash<boost::asio::ip::address>> monitoring_holders_;
  std::uint32_t proxied_monitoring_places_ = 0;
};

}  // namespace riptide::ws
