#pragma once
// What the socket worker sees of a WebSocket connection, whatever its transport (ws:// or wss://):
// an id, an address family, and a bounded send. Worker thread only.

#include <cstdint>
#include <string>

#include "tracker/proto/types.hpp"

namespace riptide::ws {

class ws_connection {
 public:
  virtual ~ws_connection() = default;

  // Queues one text message; when the queue is full the connection is dropped instead.
  virtual void send(std::string message) = 0;

  std::uint64_t connection_id() const { return connection_id_; }
  proto::address_family family() const { return family_; }

 protected:
  ws_connection() = default;
  ws_connection(const ws_connection&) = delete;
  ws_connection& operator=(const ws_connection&) = delete;

  std::uint64_t connection_id_ = 0;  // 0 until the handshake succeeds
  proto::address_family family_ = proto::address_family::ipv4;
};

}  // namespace riptide::ws
