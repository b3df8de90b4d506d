#include "tracker/runtime/socket_io.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/error.hpp>
#include <algorithm>
#include <array>
#include <cerrno>

namespace riptide::runtime {

io_step read_available(tcp_socket& socket, std::span<char> into) {
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

io_step write_available(tcp_socket& socket, std::span<const boost::asio::const_buffer> from) {
  if (!socket.is_open()) return {io_step::wait::none, boost::asio::error::bad_descriptor, 0};
  // A connection writes at most a few dozen buffers at once; more would wait for the next call.
  constexpr std::size_t max_buffers = 64;
  std::array<iovec, max_buffers> vectors;
  std::size_t count = 0;
  for (const boost::asio::const_buffer& buffer : from.first(std::min(from.size(), max_buffers))) {
    if (buffer.size() == 0) continue;
    vectors[count++] = {const_cast<void*>(buffer.data()), buffer.size()};
  }
  if (count == 0) return {};
  msghdr message{};
  message.msg_iov = vectors.data();
  message.msg_iovlen = count;
  for (;;) {
    // MSG_DONTWAIT as for reads; MSG_NOSIGNAL: a client gone is an error here, not SIGPIPE.
    const ssize_t sent = ::sendmsg(socket.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) return {io_step::wait::none, {}, static_cast<std::size_t>(sent)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {io_step::wait::writable, {}, 0};
    return {io_step::wait::none, boost::system::error_code(errno, boost::system::system_category()), 0};
  }
}

}  // namespace riptide::runtime
