#pragma once
// Accepts TCP connections on one acceptor and hands each to an HTTP session, after the worker
// admits it against the connection limits. Worker thread only.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "ws_streams.hpp"

namespace riptide::ws {

class ws_socket_worker;

class ws_listener {
 public:
  ws_listener(boost::asio::io_context& io, ws_socket_worker& worker);

  // Opens, binds (SO_REUSEPORT, IPv6 V6ONLY) and listens; the bound port or one line of error.
  // `first` (the first socket worker's acceptor of this address): a fixed port must be free.
  std::variant<std::uint16_t, std::string> open(const std::string& address, std::uint16_t port, bool first);

  void run() { do_accept(); }
  void close();

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& error, tcp_socket socket);

  tcp_acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // after a failed accept (EMFILE): pause, never spin
  ws_socket_worker& worker_;
  // A failed accept is logged once per accept_warning_interval, with the count since the last line.
  std::optional<std::chrono::steady_clock::time_point> last_accept_warning_;
  std::uint64_t accept_failures_unlogged_ = 0;
};

}  // namespace riptide::ws
