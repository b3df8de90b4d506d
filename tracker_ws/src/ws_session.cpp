#include "ws_session.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/container/static_vector.hpp>
#include <span>
#include <type_traits>

#include "ws_session_fail.hpp"
#include "ws_socket_worker.hpp"

namespace riptide::ws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = proto::websocket;
using frame_kind = websocket::frame_event::kind;

template <typename Stream>
ws_session<Stream>::ws_session(Stream stream, connection_slot slot, ws_socket_worker& worker,
                               std::shared_ptr<asio::ssl::context> tls)
    : tls_(std::move(tls)),
      stream_(std::move(stream)),
      reader_(worker.session_limits().max_message_bytes, websocket::frame_sender::client, websocket::text_check::caller),
      slot_(std::move(slot)),
      worker_(worker) {
  family_ = slot_.address().is_v6() ? proto::address_family::ipv6 : proto::address_family::ipv4;
}

template <typename Stream>
ws_session<Stream>::~ws_session() { detach(); }

template <typename Stream>
void ws_session<Stream>::run(std::string_view already_read) {
  connection_id_ = worker_.attach(*this);
  // Frames a client sent right behind its request (it should have waited for the 101).
  unfed_.assign(already_read);
  continue_reading();
}

template <typename Stream>
void ws_session<Stream>::continue_reading() {
  for (;;) {
    switch (handle_frames()) {
      case frames_outcome::stopped:
        reader_.keep();  // nothing of this connection may stay in the worker's buffer
        return;
      case frames_outcome::paused:
        reader_.keep();
        reading_paused_ = true;
        if (!held_while_waiting_) {
          held_while_waiting_ = true;
          worker_.hold_while_waiting(this->shared_from_this());
        }
        return;
      case frames_outcome::need_input:
        break;
    }
    if (unfed_.empty()) return do_read();
    const std::string_view rest = reader_.feed(unfed_);
    unfed_.erase(0, unfed_.size() - rest.size());
  }
}

template <typename Stream>
void ws_session<Stream>::do_read() { wait_for(io_step::wait::readable); }

template <typename Stream>
void ws_session<Stream>::wait_for(io_step::wait wait) {
  async_wait_for(stream_, wait, beast::bind_front_handler(&ws_session::on_ready, this->shared_from_this()));
}

template <typename Stream>
void ws_session<Stream>::on_ready(const boost::system::error_code& error) {
  if (socket_closed_ || reading_ended_) return;
  io_step step{io_step::wait::none, error, 0};
  if (!step.error) {
    // Into the worker's buffer, unless the reader keeps part of a message: then into its own.
    // A connection whose queue is half full takes little at a time: what it reads but cannot
    // handle before the queue fills is kept in a buffer of its own until the client reads, and
    // the rest is better left in the kernel, where TCP holds the client back.
    std::span<char> into = worker_.read_buffer();
    if (queue_half_full()) into = into.first(std::min(into.size(), read_bytes_near_bounds));
    step = read_available(stream_, reader_.prepare(into));
    if (step.waits_for != io_step::wait::none) return wait_for(step.waits_for);
  }
  if (step.error) {
    // Closed without a close frame, reset, or TLS failed: the peers of this connection leave.
    fail(step.error, "websocket read");
    close_now();
    return;
  }
  reader_.commit(step.bytes);
  continue_reading();
}

template <typename Stream>
typename ws_session<Stream>::frames_outcome ws_session<Stream>::handle_frames() {
  for (;;) {
    // Full: the client's next frame (and what it sends) waits until it has read some replies.
    // Once closing, only the client's close frame matters, and nothing more is queued.
    if (!close_queued_ && reading_must_wait()) return frames_outcome::paused;
    const auto event = reader_.next();
    // A whole message or control frame is what counts as hearing from the client: bytes of a
    // frame never finished, or the fragments of a message never finished, keep no connection
    // alive.
    if (event.what != frame_kind::need_more) heard();
    switch (event.what) {
      case frame_kind::need_more:
        return frames_outcome::need_input;
      case frame_kind::text:
        // In place: the payload lives in the reader's buffer or the worker's until the next read.
        if (close_queued_) break;
        if (worker_.handle_message(*this, event.payload) == ws_socket_worker::message_verdict::not_utf8) {
          start_closing(websocket::close_code::invalid_payload);
          return frames_outcome::stopped;
        }
        if (socket_closed_) return frames_outcome::stopped;
        break;
      case frame_kind::ping:
        queue_frame(websocket::opcode::pong, std::string(event.payload));
        break;
      case frame_kind::pong:
        break;
      case frame_kind::close:
        close_received_ = true;
        if (close_queued_) {
          // The answer to ours; if our close frame is still queued or being written,
          // finish_written ends it.
          if (frames_queued() == 0) close_gracefully();
        } else {
          // Echo the client's code (RFC 6455, 5.5.1); a close without one is answered without one.
          start_closing(event.code == websocket::close_code::no_status ? 0 : event.code);
        }
        return frames_outcome::stopped;
      case frame_kind::fail:
        if (event.code == websocket::close_code::message_too_big) worker_.counters().add(ws_counter::oversized_messages);
        start_closing(event.code);
        return frames_outcome::stopped;
    }
  }
}

template <typename Stream>
bool ws_session<Stream>::send(std::string message, message_kind kind) {
  if (detached_ || close_queued_) {
    worker_.counters().add(ws_counter::messages_to_closed);  // closing: as good as gone
    return false;
  }
  if (kind != message_kind::reply) {
    if (queue_at_bounds()) {
      worker_.counters().add(ws_counter::relays_to_full_queues);
      return false;
    }
  } else if (queued_bytes_ >= reply_overshoot * worker_.session_limits().max_outbound_bytes) {
    drop_slow_reader();
    return false;
  }
  queue_frame(websocket::opcode::text, std::move(message));
  return true;
}

template <typename Stream>
bool ws_session<Stream>::queue_half_full() const {
  const ws_session_limits& limits = worker_.session_limits();
  return 2 * frames_queued() >= limits.max_outbound_messages ||
         2 * queued_bytes_ >= limits.max_outbound_bytes;
}

template <typename Stream>
bool ws_session<Stream>::queue_at_bounds() const {
  const ws_session_limits& limits = worker_.session_limits();
  return frames_queued() >= limits.max_outbound_messages ||
         queued_bytes_ >= limits.max_outbound_bytes;
}

template <typename Stream>
bool ws_session<Stream>::reading_must_wait() const {
  return queue_at_bounds() || queued_bytes_ + owed_reply_bytes() >= worker_.session_limits().max_outbound_bytes;
}

template <typename Stream>
void ws_session<Stream>::drop_slow_reader() {
  worker_.counters().add(ws_counter::slow_readers_dropped);
  close_now();
}

template <typename Stream>
void ws_session<Stream>::queue_frame(websocket::opcode op, std::string payload) {
  if (close_queued_ || socket_closed_) return;  // nothing may follow a close frame
  outbound_frame frame{std::move(payload), {}, 0, op == websocket::opcode::close};
  frame.header_bytes = static_cast<std::uint8_t>(websocket::write_frame_header(op, frame.payload.size(), frame.header));
  queued_bytes_ += frame.payload.size() + frame_overhead_bytes;
  outbound_.push_back(std::move(frame));
  if (writing_frames_ == 0 && !flush_due_) {
    // Behind every handler already queued, so behind the rest of the reads this wake-up brought:
    // the answers several peers send one announcer at once leave together, in one write.
    flush_due_ = true;
    worker_.flush_later(this->shared_from_this());
  }
}

template <typename Stream>
void ws_session<Stream>::flush() {
  flush_due_ = false;
  if (socket_closed_ || writing_frames_ != 0) return;
  write_queued();
}

template <typename Stream>
void ws_session<Stream>::write_queued() {
  while (!socket_closed_) {
    if (writing_frames_ == 0) {
      if (frames_queued() == 0) break;
      writing_frames_ = std::min(frames_queued(), max_frames_per_write);
      writing_offset_ = 0;
    }
    const auto writing = std::span(outbound_).subspan(written_frames_, writing_frames_);
    // What of the write's frames the socket has not taken yet, from writing_offset_ on.
    boost::container::static_vector<asio::const_buffer, 2 * max_frames_per_write> buffers;
    std::size_t skip = writing_offset_;
    const auto add = [&](const void* data, std::size_t size) {
      if (skip >= size) {
        skip -= size;
        return;
      }
      buffers.emplace_back(static_cast<const char*>(data) + skip, size - skip);
      skip = 0;
    };
    std::size_t total = 0;  // bytes of the write's frames
    for (const auto& frame : writing) {
      add(frame.header.data(), frame.header_bytes);
      add(frame.payload.data(), frame.payload.size());
      total += frame.header_bytes + frame.payload.size();
    }
    const io_step step = write_available(stream_, buffers);
    if (step.waits_for != io_step::wait::none) {
      // On the socket itself, also over TLS: tls_stream's wait for readable completes at once
      // while OpenSSL holds decrypted bytes, which is for reads; a write that wants to read (never
      // seen with renegotiation off) would spin on it.
      ws::async_wait_for(beast::get_lowest_layer(stream_), step.waits_for,
                         beast::bind_front_handler(&ws_session::on_writable, this->shared_from_this()));
      break;
    }
    if (step.error) {
      fail(step.error, "websocket write");
      close_now();
      return;
    }
    writing_offset_ += step.bytes;
    if (writing_offset_ < total) continue;  // the socket took part: the rest, or a wait for room
    if (!finish_written()) return;
  }
  // Written, or waiting for room: a paused connection reads again once its queue is under the
  // bounds (never paused once closing: start_closing).
  resume_reading_if_room();
}

template <typename Stream>
void ws_session<Stream>::resume_reading_if_room() {
  if (reading_paused_ && !socket_closed_ && !reading_must_wait()) {
    stop_waiting();
    continue_reading();
  }
}

template <typename Stream>
void ws_session<Stream>::stop_waiting() {
  reading_paused_ = false;
  if (held_while_waiting_) {
    held_while_waiting_ = false;
    worker_.release_held(*this);
  }
}

template <typename Stream>
void ws_session<Stream>::replies_settled() {
  if (!reading_paused_ || resume_posted_) return;
  resume_posted_ = true;
  asio::post(beast::get_lowest_layer(stream_).get_executor(), [self = this->shared_from_this()] {
    self->resume_posted_ = false;
    self->resume_reading_if_room();
  });
}

template <typename Stream>
void ws_session<Stream>::on_writable(const boost::system::error_code& error) {
  if (socket_closed_) return;
  if (error) {
    fail(error, "websocket write");
    close_now();
    return;
  }
  write_queued();
}

template <typename Stream>
bool ws_session<Stream>::finish_written() {
  // The write timeout counts whole writes, not bytes: a reader that takes a trickle at a time
  // must still take up to max_frames_per_write frames within limits.write_timeout_seconds.
  wrote();
  // A paused connection's frames wait unread, its pongs too: a client that takes what is written
  // to it is alive.
  if (reading_paused_) heard();
  const auto written = std::span(outbound_).subspan(written_frames_, writing_frames_);
  const bool wrote_close = written.back().closes;
  for (auto& frame : written) {
    queued_bytes_ -= frame.payload.size() + frame_overhead_bytes;
    frame.payload = std::string();  // its memory goes now, not when the queue moves
  }
  written_frames_ += writing_frames_;
  writing_frames_ = 0;
  writing_offset_ = 0;
  if (frames_queued() == 0) {
    if (outbound_.capacity() > idle_queue_capacity) {
      outbound_ = {};
    } else {
      outbound_.clear();
    }
    written_frames_ = 0;
  } else if (written_frames_ >= written_frames_kept && 2 * written_frames_ >= outbound_.size()) {
    outbound_.erase(outbound_.begin(), outbound_.begin() + static_cast<std::ptrdiff_t>(written_frames_));
    written_frames_ = 0;
  }
  if (!wrote_close) return true;
  // Our close answered theirs, or ended a violation: the server closes TCP first (RFC 6455,
  // 7.1.1). After a goodbye, the client's echo (or the close timer) ends the connection.
  if (close_received_) {
    close_gracefully();
  } else if (detached_) {
    end_after_violation();
  }
  return false;
}

template <typename Stream>
void ws_session<Stream>::say_goodbye() { start_closing(websocket::close_code::going_away, true); }

template <typename Stream>
void ws_session<Stream>::ping() {
  if (!detached_) queue_frame(websocket::opcode::ping, {});
}

template <typename Stream>
void ws_session<Stream>::close_idle() { start_closing(websocket::close_code::going_away); }

template <typename Stream>
void ws_session<Stream>::drop() { close_now(); }

template <typename Stream>
void ws_session<Stream>::start_closing(std::uint16_t code, bool stay_attached) {
  if (close_queued_ || socket_closed_) return;
  if (!stay_attached) detach();
  std::string payload;
  if (code != 0) payload = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  queue_frame(websocket::opcode::close, std::move(payload));
  close_queued_ = true;
  close_timer_.emplace(beast::get_lowest_layer(stream_).get_executor());
  close_timer_->expires_after(close_timeout);
  close_timer_->async_wait([self = this->shared_from_this()](const boost::system::error_code& error) {
    if (!error) self->close_now();
  });
  // The goodbye of a connection whose reading is paused: its echo must be read, whatever the queue.
  if (reading_paused_) {
    stop_waiting();
    continue_reading();
  }
}

template <typename Stream>
void ws_session<Stream>::close_now() {
  detach();
  stop_waiting();
  if (socket_closed_) return;
  socket_closed_ = true;
  boost::system::error_code ignored;
  auto& socket = beast::get_lowest_layer(stream_);
  socket.shutdown(tcp_socket::shutdown_both, ignored);
  socket.close(ignored);
  if (close_timer_) close_timer_->cancel();
}

template <typename Stream>
void ws_session<Stream>::discard_until_eof() {
  // The client may still be sending (the rest of a refused message, its TLS close_notify):
  // closing with unread bytes would reset the connection and could lose what was written last.
  // Half-close, then read and drop until the client closes too, or until the close timer does.
  reading_ended_ = true;
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream_).shutdown(tcp_socket::shutdown_send, ignored);
  discard_more();
}

template <typename Stream>
void ws_session<Stream>::discard_more() {
  thread_local std::array<char, 4096> discarded;  // nobody reads it: every session may share it
  beast::get_lowest_layer(stream_).async_read_some(
      asio::buffer(discarded), [self = this->shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (self->socket_closed_) return;
        if (error) return self->close_now();
        self->discard_more();
      });
}

template <typename Stream>
void ws_session<Stream>::close_gracefully() {
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    say_close_notify_then_discard();
  } else {
    close_now();
  }
}

template <typename Stream>
void ws_session<Stream>::end_after_violation() {
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    say_close_notify_then_discard();
  } else {
    discard_until_eof();
  }
}

template <typename Stream>
void ws_session<Stream>::say_close_notify_then_discard() {
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    if (socket_closed_ || shutting_down_) return;
    // Still attached after a goodbye: the worker's stop waits for this session until it is done.
    shutting_down_ = true;  // the close timer, armed when closing began, bounds all of it
    reading_ended_ = true;
    stream_.async_shutdown([self = this->shared_from_this()](const boost::system::error_code& error) {
      if (self->socket_closed_) return;
      if (error) return self->close_now();
      self->discard_until_eof();
    });
  }
}

template <typename Stream>
void ws_session<Stream>::detach() {
  if (detached_) return;
  detached_ = true;
  if (connection_id_ != 0) worker_.detach(*this);
}

template class ws_session<plain_stream>;
template class ws_session<tls_stream>;

}  // namespace riptide::ws
