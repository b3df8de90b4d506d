#pragma once
// One admitted TCP connection, counted against limits.max_connections and
// limits.max_connections_per_ip (by connection_limiter) from accept until the last object holding
// it (the HTTP session, then the WebSocket session) is gone, and in the open_connections gauge of
// the socket worker that accepted it. A connection from a trusted reverse proxy counts per address
// only once its request names the client (connection_limiter::count_client); address() is then the
// client's. One admitted past max_connections holds a monitoring place: plain HTTP only.
// Move-only; that worker's thread only.

#include <boost/asio/ip/address.hpp>
#include <utility>

#include "ws_counters.hpp"

namespace riptide::ws {

class connection_limiter;

class connection_slot {
 public:
  // `counted_per_address`: false for a proxy's connection, until count_client().
  connection_slot(connection_limiter& limiter, ws_counters& owner, boost::asio::ip::address address,
                  bool counted_per_address, bool monitoring_only = false);
  connection_slot(connection_slot&& other) noexcept
      : limiter_(std::exchange(other.limiter_, nullptr)),
        owner_(other.owner_),
        address_(other.address_),
        counted_per_address_(other.counted_per_address_),
        monitoring_only_(other.monitoring_only_) {}
  connection_slot& operator=(connection_slot&&) = delete;
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot();

  // The client's address: the peer's, or for a proxy's connection the one its request named.
  const boost::asio::ip::address& address() const { return address_; }
  // A connection from a trusted proxy whose client is not known yet.
  bool awaits_client() const { return !counted_per_address_; }
  // Admitted past limits.max_connections, on a place kept for monitoring: GET /health, /stats
  // and /metrics are served, a WebSocket upgrade gets 503.
  bool monitoring_only() const { return monitoring_only_; }

 private:
  friend class connection_limiter;

  connection_limiter* limiter_;
  ws_counters* owner_;
  boost::asio::ip::address address_;
  bool counted_per_address_;
  bool monitoring_only_;
};

}  // namespace riptide::ws
