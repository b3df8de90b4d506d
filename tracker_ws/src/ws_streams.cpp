#include "ws_streams.hpp"

#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <cerrno>

namespace riptide::ws {

io_step read_available(plain_stream& socket, std::span<char> into) {
  if (!socket.is_open()) return {io_step::wait::none, boost::asio::error::bad_descriptor, 0};
  for (;;) {
    // MSG_DONTWAIT: never blocks the worker, whatever the descriptor's own mode.
    const ssize_t got = ::recv(socket.native_handle(), into.data(), into.size(), MSG_DONTWAIT);
    if (got > 0) return {io_step::wait::none, {}, static_cast<std::size_t>(got)};
    if (got == 0) {
      if (into.empty()) return {};
      return {io_step::wait::none, boost::asio::error::eof, 0};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {io_step::wait::readable, {}, 0};
    return {io_step::wait::none, boost::system::error_code(errno, boost::system::system_category()), 0};
  }
}

}  // namespace riptide::ws
