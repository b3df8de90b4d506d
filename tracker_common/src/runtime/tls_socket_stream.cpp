#include "tracker/runtime/tls_socket_stream.hpp"

#include <openssl/err.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>

namespace riptide::runtime {

namespace asio = boost::asio;

tls_socket_stream::tls_socket_stream(tcp_socket socket, asio::ssl::context& context, tls_role role)
    : next_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  if (!ssl_) return;  // every step fails
  // Record buffers only while a record is partly read or written; writes of at least one record
  // rather than all or nothing; a retried write may come from another address (the gather area).
  SSL_set_mode(ssl_.get(),
               SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_options(ssl_.get(), SSL_OP_NO_RENEGOTIATION);
  // No read-ahead: OpenSSL then never holds bytes the socket no longer announces. Read-ahead saved
  // a system call per record and measured the same (memory in use, msgs/CPU-s; docs/benchmarks.md).
  if (role == tls_role::server) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
}

boost::system::error_code tls_socket_stream::attach_socket() {
  if (attached_ || attach_error_) return attach_error_;
  if (!ssl_) {
    attach_error_ = asio::error::no_memory;
    return attach_error_;
  }
  // OpenSSL reads and writes the descriptor itself: it must never block the worker.
  next_.non_blocking(true, attach_error_);
  if (!attach_error_ && SSL_set_fd(ssl_.get(), next_.native_handle()) != 1) attach_error_ = asio::error::bad_descriptor;
  if (attach_error_) {
    ssl_.reset();
    return attach_error_;
  }
  attached_ = true;
  return {};
}

char* tls_socket_stream::gather_scratch() {
  thread_local std::array<char, max_write_bytes> scratch;
  return scratch.data();
}

io_step tls_socket_stream::handshake_step() {
  if (const auto error = attach_socket()) return {io_step::wait::none, error, 0};
  ERR_clear_error();
  return step_outcome(SSL_do_handshake(ssl_.get()), 0);
}

io_step tls_socket_stream::shutdown_step() {
  if (!ssl_ || !attached_ || failed_) return {};
  ERR_clear_error();
  const int result = SSL_shutdown(ssl_.get());
  // 0: close_notify is sent, the peer's has not come; that is all this waits for.
  return step_outcome(result == 0 ? 1 : result, 0);
}

template <typename Transfer>
io_step tls_socket_stream::transfer_step(std::size_t size, Transfer transfer) {
  if (const auto error = attach_socket()) return {io_step::wait::none, error, 0};
  if (size == 0) return {};
  ERR_clear_error();
  std::size_t bytes = 0;
  const int result = transfer(ssl_.get(), &bytes);
  return step_outcome(result, bytes);
}

io_step tls_socket_stream::read_step(asio::mutable_buffer buffer) {
  return transfer_step(buffer.size(), [&](SSL* ssl, std::size_t* bytes) {
    return SSL_read_ex(ssl, buffer.data(), buffer.size(), bytes);
  });
}

io_step tls_socket_stream::write_step(asio::const_buffer buffer) {
  return transfer_step(buffer.size(), [&](SSL* ssl, std::size_t* bytes) {
    return SSL_write_ex(ssl, buffer.data(), buffer.size(), bytes);
  });
}

io_step tls_socket_stream::step_outcome(int result, std::size_t bytes) {
  if (result > 0) return {io_step::wait::none, {}, bytes};
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_WANT_READ:
      return {io_step::wait::readable, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return {io_step::wait::writable, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {io_step::wait::none, asio::error::eof, 0};
    case SSL_ERROR_SYSCALL: {
      failed_ = true;
      ERR_clear_error();
      // errno 0: the peer closed TCP without close_notify (OpenSSL 1.1 style).
      if (saved_errno == 0) return {io_step::wait::none, asio::ssl::error::stream_truncated, 0};
      return {io_step::wait::none, boost::system::error_code(saved_errno, boost::system::system_category()), 0};
    }
    default: {  // SSL_ERROR_SSL; the callbacks' own (X509 lookup, ClientHello, async) are not used
      failed_ = true;
      const unsigned long code = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {io_step::wait::none, asio::ssl::error::stream_truncated, 0};
      }
      // Never success: an error with nothing in OpenSSL's queue is still an error.
      if (code == 0) return {io_step::wait::none, asio::error::fault, 0};
      return {io_step::wait::none, boost::system::error_code(static_cast<int>(code), asio::error::get_ssl_category()),
              0};
    }
  }
}

}  // namespace riptide::runtime
