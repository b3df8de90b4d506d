#pragma once
// One admitted TCP connection, counted against limits.max_connections and
// limits.max_connections_per_ip (by connection_limiter) from accept until the last object holding
// it (the HTTP session, then the WebSocket session) is gone, and in the open_connections gauge of
// the socket worker that accepted it. Move-only; that worker's thread only.

#include <boost/asio/ip/address.hpp>
#include <utility>

#include "ws_counters.hpp"

namespace riptide::ws {

class connection_limiter;

class connection_slot {
 public:
  connection_slot(connection_limiter& limiter, ws_counters& owner, boost::asio::ip::address address);
  connection_slot(connection_slot&& other) noexcept
      : limiter_(std::exchange(other.limiter_, nullptr)), owner_(other.owner_), address_(other.address_) {}
  connection_slot& operator=(connection_slot&&) = delete;
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot();

  const boost::asio::ip::address& address() const { return address_; }

 private:
  connection_limiter* limiter_;
  ws_counters* owner_;
  boost::asio::ip::address address_;
};

}  // namespace riptide::ws
