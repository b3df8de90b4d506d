#pragma once
// One WebSocket connection over `Stream` (plain_stream or tls_stream), after the handshake:
// run -> do_read -> on_ready -> (the worker's flush_later) flush -> write_queued [-> on_writable].
// The framing is proto::websocket's. A read
// waits until the socket has bytes, then takes them into the worker's read buffer, which the
// connection's frame_reader borrows: each message in it is handed to the worker in place, and
// only a message not whole yet is moved to a buffer of the connection's own. So a connection
// between messages holds no read buffer (an announce with offers would otherwise leave 8 KiB
// behind in every connection). What the worker sends waits in a queue and leaves in gathered
// writes (up to max_frames_per_write frames per system call). The first frame queued while no
// write is under way defers the write instead of starting it (the worker's flush_later, one
// posted handler for all the connections that ask in the meantime), so it runs once the handlers
// already queued (the other reads this wake-up brought) are done: what they queue for the same
// connection goes in the same write, one TCP segment instead of several.
//
// The queue is bounded by limits.max_outbound_messages and limits.max_outbound_bytes. At either
// bound, relays to the connection are dropped (counted), and its own frames are not handled (nor
// more bytes read) until the queue is under both again: a client that pipelines requests without
// reading the replies is slowed down, and its replies still come. What was read from it but not
// handled waits in a buffer of the connection's own: at most one read, 64 KiB, and at most
// read_bytes_near_bounds once the queue is half full (besides the rest of a frame begun, which
// is read into its own buffer whatever the queue), so a slow reader keeps little. With request
// workers the replies come back later, from other threads: the client's messages also wait while
// the replies its routed requests still owe (ws_connection::owe_reply) and the queue together
// reach max_outbound_bytes. A reply is queued past the bounds, up to reply_overshoot times
// max_outbound_bytes; beyond that the connection is dropped. A waiting connection is held by the
// worker (hold_while_waiting), since nothing of its own may be in flight. Each frame counts
// frame_overhead_bytes on top of its payload, so the byte bound also bounds the number of frames. A connection that stops
// reading is dropped by limits.write_timeout_seconds (ws_connection::write_stalled). Pings are
// answered here; idle connections are pinged and closed by the worker's once-a-second check
// (ws_connection::check_idle), so a connection needs no timer of its own.
//
// Closing: a client's close frame is echoed, and the TCP connection closed once the echo is
// written; a violation of the protocol gets a close frame with its code, then a half-close, and
// what the client still sends is read and dropped until it closes too (closing with unread bytes
// would reset the connection and could lose the frame). Over wss:// both send TLS close_notify
// after the close frame, then half-close and drop what comes until the client closes. Either way close_timeout ends a client that does not cooperate. say_goodbye() sends "going away" and waits for the
// client's echo. The connection leaves its swarms (detach) as soon as either side starts closing.
//
// Worker thread only; the worker's connection table holds a plain pointer from attach() until
// detach(), which happens before the object is gone.

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connection_slot.hpp"
#include "tracker/proto/websocket_frames.hpp"
#include "ws_connection.hpp"
#include "ws_streams.hpp"

namespace riptide::ws {

class ws_socket_worker;

template <typename Stream>
class ws_session final : public ws_connection, public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  // `tls` keeps the TLS context of a wss:// connection alive (null for ws://): a reload replaces
  // the worker's context for new connections only.
  ws_session(Stream stream, connection_slot slot, ws_socket_worker& worker,
             std::shared_ptr<boost::asio::ssl::context> tls);
  ~ws_session() override;

  // The 101 response is written; `already_read` is what the client sent after its request.
  void run(std::string_view already_read);
  bool send(std::string message, message_kind kind) override;
  void flush() override;  // starts a write unless one is under way or nothing is queued
  void say_goodbye() override;
  void ping() override;
  void close_idle() override;
  void drop() override;
  bool write_in_flight() const override { return writing_frames_ != 0; }

 private:
  struct outbound_frame {
    std::string payload;
    std::array<std::uint8_t, proto::websocket::max_server_header_bytes> header;
    std::uint8_t header_bytes;
    bool closes;  // a close frame: nothing follows it
  };

  // Frames gathered into one write; a frame is a header and a payload buffer.
  static constexpr std::size_t max_frames_per_write = 16;
  // Written frames stay at the front of the queue until they are half of it (then they go in one
  // move), so taking frames from the front costs no shift of what follows.
  static constexpr std::size_t written_frames_kept = 64;
  // A queue that held more frames than this gives its array back once it is empty.
  static constexpr std::size_t idle_queue_capacity = 64;
  // The most a read takes while the queue is half full (see on_ready).
  static constexpr std::size_t read_bytes_near_bounds = 4096;
  // How far past max_outbound_bytes replies are still queued (see above).
  static constexpr std::size_t reply_overshoot = 4;
  // What a queued frame costs besides its payload (its outbound_frame, the string's heap block).
  static constexpr std::size_t frame_overhead_bytes = 64;
  // How long a close frame may take to be written and answered before the TCP connection goes.
  static constexpr auto close_timeout = std::chrono::seconds(2);

  enum class frames_outcome { need_input, paused, stopped };

  // Handles the frames the reader holds, then the bytes left from the handshake, then reads more;
  // unless the queue is full (paused: write_queued resumes) or the connection stops reading.
  void continue_reading();
  void do_read();
  void wait_for(io_step::wait wait);
  // The stream may have bytes (or room, for TLS): read what it has into the worker's buffer.
  void on_ready(const boost::system::error_code& error);
  frames_outcome handle_frames();
  void queue_frame(proto::websocket::opcode op, std::string payload);
  // Writes queued frames while the socket takes them, up to max_frames_per_write at a time, in
  // the calling handler (no operation object, no completion handler); waits for room when the
  // socket has none. Then resumes a paused connection's reading.
  void write_queued();
  void on_writable(const boost::system::error_code& error);
  // The frames of the write are written: their payloads go; false if the last was our close frame
  // (nothing follows).
  bool finish_written();
  std::size_t frames_queued() const { return outbound_.size() - written_frames_; }
  // Queues a close frame with `code` and stops taking messages; the connection leaves its swarms
  // unless `stay_attached` (the goodbye, which the worker is iterating over).
  void start_closing(std::uint16_t code, bool stay_attached = false);
  // Queued or being written: as many messages or bytes as the limits.
  bool queue_at_bounds() const;
  // Half as many.
  bool queue_half_full() const;
  // The client's next message waits: the queue is at its bounds, or the queue and the replies its
  // routed requests still owe reach max_outbound_bytes (ws_connection::owe_reply).
  bool reading_must_wait() const;
  void replies_settled() override;
  // A connection whose reading waited reads again, unless it must still wait.
  void resume_reading_if_room();
  // Not paused any more: the worker lets go of it (ws_socket_worker::hold_while_waiting).
  void stop_waiting();
  void drop_slow_reader();
  // Half-closes, then reads and drops what the client still sends until it closes.
  void discard_until_eof();
  void discard_more();
  void close_now();  // drops the TCP connection; pending operations end with operation_aborted
  // Once our close frame has answered the client's: plain TCP closes at once; TLS says
  // close_notify first (what a TLS client waits for).
  void close_gracefully();
  // Once the close frame for a violation is written: TLS says close_notify; then the half-close.
  void end_after_violation();
  // close_notify, then discard_until_eof(); once.
  void say_close_notify_then_discard();
  void detach();     // leaves the worker's table and every swarm; once

  std::shared_ptr<boost::asio::ssl::context> tls_;  // before stream_: destroyed after it
  Stream stream_;
  proto::websocket::frame_reader reader_;
  std::string unfed_;                     // bytes behind the handshake the reader had no room for yet
  // The queue: [0, written_frames_) written, then writing_frames_ being written (while the socket
  // has no room, waiting), then the rest.
  std::vector<outbound_frame> outbound_;
  std::size_t written_frames_ = 0;
  std::size_t writing_frames_ = 0;        // 0: no write under way
  std::size_t writing_offset_ = 0;        // bytes of the write's frames (headers and payloads) written
  std::size_t queued_bytes_ = 0;          // of the frames not written yet, overheads included
  std::optional<boost::asio::steady_timer> close_timer_;  // only once closing starts
  connection_slot slot_;
  ws_socket_worker& worker_;
  bool detached_ = false;
  bool close_queued_ = false;    // our close frame is queued or sent: no more messages
  bool close_received_ = false;  // the client's close frame came: the TCP connection ends next
  bool socket_closed_ = false;
  bool held_while_waiting_ = false;  // by the worker, while reading_paused_
  bool resume_posted_ = false;       // replies_settled() posted a resume not run yet
  bool reading_paused_ = false;  // reading_must_wait(): frames wait until the queue drains or replies come
  bool shutting_down_ = false;   // TLS: close_notify under way
  // Closing after our close frame (a violation, an idle close): the discard or TLS shutdown reads
  // the socket now, and the session's own read, if one is still waiting, must not (one reader).
  bool reading_ended_ = false;
  bool flush_due_ = false;       // the worker will call flush() (flush_later)
};

extern template class ws_session<plain_stream>;
extern template class ws_session<tls_stream>;

}  // namespace riptide::ws
