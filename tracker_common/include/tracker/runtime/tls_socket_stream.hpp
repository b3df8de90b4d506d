#pragma once
// TLS over a connection's own socket, as a server (tracker_ws's wss://) or a client (load_test's):
// OpenSSL reads and writes the non-blocking socket itself (SSL_set_fd), and an operation that
// would block waits for the socket with async_wait, then tries again. Used in place of
// asio::ssl::stream.
//
// Why not asio::ssl::stream: it moves every byte through a BIO pair and two buffers of its own,
// four blocks of about 17 KiB held for the whole life of a connection, idle or not (73.5 KB per
// idle wss:// connection against 46.5 KB for the reference server; docs/benchmarks.md), and
// copies each byte twice more. Here, with SSL_MODE_RELEASE_BUFFERS, OpenSSL holds its record
// buffers only while a record is partly read or written, and an idle connection keeps little
// more than its SSL object.
//
// Semantics, as Asio's streams: async_read_some completes with at least one byte or an error
// (eof when the peer sent close_notify); async_write_some with at least one byte written
// (at most one record, gathered from the buffers); async_shutdown sends close_notify and does
// not wait for the peer's. Handlers never run inside the call that starts the operation.
// At most one read and one write at a time, as with any Asio stream. Worker thread only.
//
// The socket is reached as next_layer() (so beast::get_lowest_layer works as with
// asio::ssl::stream). It may still be closed when the stream is made (a client connects it
// after): OpenSSL takes its descriptor at the handshake. Closing it ends every pending operation
// with operation_aborted, and nothing touches the descriptor after it is closed.

#include <openssl/ssl.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "tracker/runtime/socket_io.hpp"

namespace riptide::runtime {

// Which side of the handshake this end takes.
enum class tls_role { server, client };

class tls_socket_stream {
 public:
  using executor_type = worker_executor;
  using next_layer_type = tcp_socket;
  using lowest_layer_type = tcp_socket;

  // A TLS connection over `socket` as `role`, with the settings of `context` (a server's
  // certificate and key, a client's verification).
  tls_socket_stream(tcp_socket socket, boost::asio::ssl::context& context, tls_role role);
  tls_socket_stream(tls_socket_stream&&) noexcept = default;  // only with no operation pending
  tls_socket_stream& operator=(tls_socket_stream&&) = delete;

  executor_type get_executor() { return next_.get_executor(); }
  tcp_socket& next_layer() { return next_; }
  const tcp_socket& next_layer() const { return next_; }

  // Handler: void(error_code).
  template <typename Token>
  auto async_handshake(Token&& token) {
    return initiate_without_bytes(std::forward<Token>(token), [this] { return handshake_step(); });
  }

  // Handler: void(error_code). Sends close_notify, unless TLS already failed.
  template <typename Token>
  auto async_shutdown(Token&& token) {
    return initiate_without_bytes(std::forward<Token>(token), [this] { return shutdown_step(); });
  }

  // Handler: void(error_code, std::size_t).
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& into) {
          const auto first = first_nonempty(into);
          start([this, first] { return read_step(first); }, std::move(handler));
        },
        token, buffers);
  }

  // Reading into a buffer picked once the bytes are there (socket_io.hpp): one SSL_read, which
  // never blocks.
  io_step read_available(std::span<char> into) {
    if (!socket_open()) return {io_step::wait::none, boost::asio::error::bad_descriptor, 0};
    return read_step(boost::asio::buffer(into.data(), into.size()));
  }

  // Writing without an operation object (socket_io.hpp): one SSL_write of the buffers' first
  // bytes (up to one record), which never blocks. After a wait, the same bytes must come again:
  // OpenSSL requires it of a write it could not finish.
  io_step write_available(std::span<const boost::asio::const_buffer> from) {
    if (!socket_open()) return {io_step::wait::none, boost::asio::error::bad_descriptor, 0};
    return write_step(gather(from));
  }

  // Handler: void(error_code). For readable, completes at once (posted) when OpenSSL holds
  // decrypted bytes already, which the socket no longer announces.
  template <typename Handler>
  void async_wait_for(io_step::wait wait, Handler handler) {
    if (wait == io_step::wait::readable && ssl_ && SSL_pending(ssl_.get()) > 0) {
      boost::asio::post(get_executor(), [handler = std::move(handler)]() mutable {
        std::move(handler)(boost::system::error_code{});
      });
      return;
    }
    runtime::async_wait_for(next_, wait, std::move(handler));
  }

  // Handler: void(error_code, std::size_t).
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& from) {
          // The buffers stay as they are until the operation completes, so a retry gathers the
          // same bytes again (what OpenSSL requires of a write it could not finish).
          start([this, from] { return write_step(gather(from)); }, std::move(handler));
        },
        token, buffers);
  }

 private:
  struct ssl_free {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  // The most bytes one write takes: one TLS record's worth.
  static constexpr std::size_t max_write_bytes = 16 * 1024;

  template <typename MutableBuffers>
  static boost::asio::mutable_buffer first_nonempty(const MutableBuffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      const boost::asio::mutable_buffer buffer(*it);
      if (buffer.size() != 0) return buffer;
    }
    return {};
  }

  // The buffers' first bytes (up to max_write_bytes) in one piece: the first buffer itself when it
  // holds them all, a copy in a scratch area of the thread otherwise.
  template <typename ConstBuffers>
  static boost::asio::const_buffer gather(const ConstBuffers& buffers) {
    const auto begin = boost::asio::buffer_sequence_begin(buffers);
    const auto end = boost::asio::buffer_sequence_end(buffers);
    auto it = begin;
    while (it != end && boost::asio::const_buffer(*it).size() == 0) ++it;
    if (it == end) return {};
    const boost::asio::const_buffer first(*it);
    auto next = it;
    ++next;
    while (next != end && boost::asio::const_buffer(*next).size() == 0) ++next;
    if (next == end || first.size() >= max_write_bytes) {
      return {first.data(), std::min(first.size(), max_write_bytes)};
    }
    char* scratch = gather_scratch();
    std::size_t size = 0;
    for (; it != end && size < max_write_bytes; ++it) {
      const boost::asio::const_buffer buffer(*it);
      const std::size_t taken = std::min(buffer.size(), max_write_bytes - size);
      std::memcpy(scratch + size, buffer.data(), taken);
      size += taken;
    }
    return {scratch, size};
  }
  static char* gather_scratch();  // max_write_bytes, one area per thread

  io_step handshake_step();
  io_step shutdown_step();
  io_step read_step(boost::asio::mutable_buffer buffer);
  io_step write_step(boost::asio::const_buffer buffer);
  // One SSL_read_ex or SSL_write_ex of `size` bytes (nothing for none): transfer(ssl, &bytes).
  template <typename Transfer>
  io_step transfer_step(std::size_t size, Transfer transfer);
  // The outcome of an OpenSSL call that returned `result` (> 0: success, `bytes` done).
  io_step step_outcome(int result, std::size_t bytes);
  bool socket_open() const { return next_.is_open(); }
  // Hands OpenSSL the socket's descriptor (made non-blocking) at the first handshake, read or
  // write step; what went wrong if it cannot be (every step then fails with it).
  boost::system::error_code attach_socket();

  template <typename Token, typename Step>
  auto initiate_without_bytes(Token&& token, Step step) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler, Step first_step) {
          // `this->`: clang 14 takes the capture for unused otherwise (-Wunused-lambda-capture).
          this->start(std::move(first_step), [handler = std::move(handler)](const boost::system::error_code& error,
                                                                      std::size_t) mutable { std::move(handler)(error); });
        },
        token, std::move(step));
  }

  // Starts an operation: its first step runs now, its handler later (posted when the step
  // finishes at once).
  template <typename Step, typename Handler>
  void start(Step step, Handler handler) {
    const io_step outcome = socket_open() ? step() : io_step{io_step::wait::none, boost::asio::error::bad_descriptor, 0};
    if (outcome.waits_for == io_step::wait::none) {
      boost::asio::post(get_executor(), [handler = std::move(handler), outcome]() mutable {
        std::move(handler)(outcome.error, outcome.bytes);
      });
      return;
    }
    wait_then_step(outcome.waits_for, std::move(step), std::move(handler));
  }

  template <typename Step, typename Handler>
  void wait_then_step(io_step::wait waits_for, Step step, Handler handler) {
    runtime::async_wait_for(next_, waits_for, [this, step = std::move(step), handler = std::move(handler)](
                                             const boost::system::error_code& error) mutable {
      if (error) return std::move(handler)(error, std::size_t{0});
      if (!socket_open()) return std::move(handler)(boost::asio::error::operation_aborted, std::size_t{0});
      const io_step outcome = step();
      if (outcome.waits_for == io_step::wait::none) return std::move(handler)(outcome.error, outcome.bytes);
      wait_then_step(outcome.waits_for, std::move(step), std::move(handler));
    });
  }

  tcp_socket next_;
  std::unique_ptr<SSL, ssl_free> ssl_;
  bool attached_ = false;  // OpenSSL has the socket's descriptor
  boost::system::error_code attach_error_;  // why it could not have it
  bool failed_ = false;    // a fatal TLS error: no close_notify may follow (OpenSSL's rule)
};

using tls_stream = tls_socket_stream;

inline io_step read_available(tls_stream& stream, std::span<char> into) { return stream.read_available(into); }

inline io_step write_available(tls_stream& stream, std::span<const boost::asio::const_buffer> from) {
  return stream.write_available(from);
}

template <typename Handler>
void async_wait_for(tls_stream& stream, io_step::wait wait, Handler&& handler) {
  stream.async_wait_for(wait, std::forward<Handler>(handler));
}

}  // namespace riptide::runtime
