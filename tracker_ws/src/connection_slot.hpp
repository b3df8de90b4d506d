#pragma once
// One admitted TCP connection, counted against limits.max_connections and
// limits.max_connections_per_ip from accept until the last object holding it (the HTTP session,
// then the WebSocket session) is gone. Move-only; the worker's thread only.

#include <boost/asio/ip/address.hpp>
#include <utility>

namespace riptide::ws {

class ws_socket_worker;

class connection_slot {
 public:
  connection_slot(ws_socket_worker& worker, boost::asio::ip::address address)
      : worker_(&worker), address_(std::move(address)) {}
  connection_slot(connection_slot&& other) noexcept
      : worker_(std::exchange(other.worker_, nullptr)), address_(other.address_) {}
  connection_slot& operator=(connection_slot&&) = delete;
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot();

  const boost::asio::ip::address& address() const { return address_; }

 private:
  ws_socket_worker* worker_;
  boost::asio::ip::address address_;
};

}  // namespace riptide::ws
