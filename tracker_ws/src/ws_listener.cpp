#include "ws_listener.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/strand.hpp>

#include "proxy_header_reader.hpp"
#include "tracker/runtime/log.hpp"
#include "ws_http_session.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {
// Accept fails again and again while the descriptor table is full: one line per this, not one per
// retry (ten a second).
constexpr auto accept_warning_interval = std::chrono::seconds(10);
// A connection on a monitoring place (the tracker is full) has this long at most for its TLS
// handshake and request, however long limits.handshake_timeout_seconds is: a probe asks at once,
// and a client that holds the place idle must let it go soon.
constexpr auto monitoring_request_timeout = std::chrono::seconds(2);
}  // namespace

ws_listener::ws_listener(asio::io_context& io, ws_socket_worker& worker)
    : acceptor_(io.get_executor()), retry_timer_(io), worker_(worker) {}

std::variant<std::uint16_t, std::string> ws_listener::open(const std::string& address, std::uint16_t port,
                                                          bool first) {
  boost::system::error_code error;
  const auto ip = asio::ip::make_address(address, error);
  if (error) return "not an IP address: " + address;
  const tcp::endpoint endpoint(ip, port);
  const std::string where = (ip.is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(port);

  // SO_REUSEPORT lets any process of this user share the port; a bind without it first proves
  // that nobody listens there (closed at once), so a second tracker started by mistake fails
  // loudly. The other socket workers then join the first one's port. SO_REUSEADDR on the probe:
  // the connections of a tracker just stopped wait in TIME_WAIT on this port (the server closes
  // first), and they must not stop a restart; a listening socket still refuses the bind.
  if (port != 0 && first) {
    tcp_acceptor probe(acceptor_.get_executor());
    probe.open(endpoint.protocol(), error);
    if (!error) probe.set_option(asio::socket_base::reuse_address(true), error);
    if (!error && ip.is_v6()) probe.set_option(asio::ip::v6_only(true), error);
    if (!error) probe.bind(endpoint, error);
    if (error) {
      const bool in_use = error == asio::error::address_in_use;
      return "cannot bind TCP " + where + ": " + error.message() + (in_use ? " (is another tracker running?)" : "");
    }
  }
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(reuse_port(true), error);
  if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  if (!error && ip.is_v6()) acceptor_.set_option(asio::ip::v6_only(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) return "cannot listen on TCP " + where + ": " + error.message();
  const auto bound = acceptor_.local_endpoint(error);
  if (error) return "cannot read the bound port of " + where + ": " + error.message();
  return bound.port();
}

void ws_listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

void ws_listener::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, tcp_socket socket) {
    on_accept(error, std::move(socket));
  });
}

void ws_listener::on_accept(const boost::system::error_code& error, tcp_socket socket) {
  if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (error) {
    // EMFILE and the like: accepting again at once would spin on the same error. Pause briefly;
    // start-up raised the open-file limit and warned if max_connections does not fit in it.
    ++accept_failures_unlogged_;
    const auto now = std::chrono::steady_clock::now();
    if (!last_accept_warning_ || now - *last_accept_warning_ >= accept_warning_interval) {
      runtime::log_warning("accept failed: ", error.message(), " (", accept_failures_unlogged_,
                           accept_failures_unlogged_ == 1 ? " time" : " times", " since the last such line)");
      accept_failures_unlogged_ = 0;
      last_accept_warning_ = now;
    }
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](const boost::system::error_code& wait_error) {
      if (!wait_error && acceptor_.is_open()) do_accept();
    });
    return;
  }
  boost::system::error_code endpoint_error;
  const auto remote = socket.remote_endpoint(endpoint_error);
  if (!endpoint_error) {
    // Relays are small messages that must not wait for the peer's delayed ACK (Nagle).
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (auto slot = worker_.admit(remote.address())) {
      const auto allowed = slot->monitoring_only()
                               ? std::min<std::chrono::steady_clock::duration>(
                                     worker_.session_limits().handshake_timeout, monitoring_request_timeout)
                               : worker_.session_limits().handshake_timeout;
      const auto deadline = std::chrono::steady_clock::now() + allowed;
      if (worker_.reads_proxy_header(*slot)) {
        read_proxy_header(std::move(socket), std::move(*slot), worker_, deadline);
      } else {
        start_connection(std::move(socket), std::move(*slot), worker_, worker_.tls_context(), deadline);
      }
    }
  }
  do_accept();
}

}  // namespace riptide::ws
