#pragma once
// WebSocket framing (RFC 6455, section 5), without I/O. frame_reader takes the bytes a connection
// reads and yields whole text messages and control frames; write_frame_header() makes the header
// of an unmasked server frame, append_client_frame() a whole masked client frame (load_test).
// Extensions (permessage-deflate) are never negotiated, so every RSV bit must be 0.
//
// A frame:
//   byte 0      FIN (0x80), RSV1-3 (0x70, must be 0), opcode (0x0f)
//   byte 1      MASK (0x80: 1 from a client, 0 from a server), payload length 0..125, or 126 / 127
//   +2 or +8    the length, big-endian, when byte 1 said 126 (16 bits) or 127 (64 bits, top bit 0)
//   +4          from a client only: the masking key; payload byte i is XORed with key[i % 4]
//   payload
// Control frames (close 8, ping 9, pong 10) are never fragmented and carry at most 125 bytes; they
// may come between the fragments of a message (text 1, then continuation 0 until FIN).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace riptide::proto::websocket {

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close status codes (RFC 6455, section 7.4.1) the tracker sends or must recognise.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;  // a binary message: the protocol is JSON text
inline constexpr std::uint16_t no_status = 1005;         // a close frame without a code (never sent)
inline constexpr std::uint16_t invalid_payload = 1007;   // text that is not UTF-8
inline constexpr std::uint16_t message_too_big = 1009;
}  // namespace close_code

// What the next frames amount to.
struct frame_event {
  enum class kind : std::uint8_t {
    need_more,  // read more bytes first
    text,       // a whole text message (all its fragments, unmasked; UTF-8 unless text_check::caller)
    ping,       // answer with a pong carrying `payload`
    pong,
    close,      // the client closes: `code` (no_status when it gave none), `payload` its reason
    fail,       // a protocol violation: close with `code`; the reader yields nothing more
  };
  kind what = kind::need_more;
  std::string_view payload;  // into the reader's buffer, valid until the next prepare() or next()
  std::uint16_t code = 0;
};

// Who wrote the frames a reader takes: a client masks every frame, a server none (RFC 6455, 5.1).
enum class frame_sender : std::uint8_t { client, server };
// Who checks that a text message is UTF-8: the reader (fail with invalid_payload), or its caller,
// whose decoder checks it anyway (tracker_ws: see decode_client_message).
enum class text_check : std::uint8_t { reader, caller };

inline constexpr std::size_t max_client_header_bytes = 14;  // 2 + 8 (length) + 4 (mask)
inline constexpr std::size_t max_server_header_bytes = 10;  // 2 + 8 (length), no mask
inline constexpr std::size_t max_control_payload_bytes = 125;

// One connection's inbound bytes. Usage: read into prepare(), commit() what was read, then call
// next() until it says need_more. A message is assembled in place: its fragments are unmasked
// and moved together, never copied elsewhere. The buffer holds at most one message (of at most
// `max_message_bytes`) plus one frame header and one control frame: a client cannot make it grow
// further, and it is given back once it has grown past a few KiB and is empty again.
//
// A reader may also borrow its caller's buffer, one that many readers share (a server's read
// buffer): prepare(borrowed) offers it while the reader keeps no bytes, and next() moves what it
// must keep (a frame not whole yet, the fragments of a message) into a buffer of its own, sized
// for it, before it says need_more. A reader that keeps nothing then holds no memory at all, and
// the bytes of most messages are never copied. Payloads returned from a borrowed buffer are valid
// until that buffer is written again; before then, keep() moves the bytes not parsed yet (when
// the caller stops calling next() before need_more).
class frame_reader {
 public:
  explicit frame_reader(std::size_t max_message_bytes, frame_sender sender = frame_sender::client,
                        text_check check = text_check::reader);

  // Free space to read into; not empty after next() said need_more. Moves what is kept (the
  // message being assembled, the unread bytes) to the front first, which ends the validity of
  // any payload returned before.
  std::span<char> prepare();
  // `borrowed` itself when the reader keeps no bytes (and `borrowed` has room for a useful read),
  // else prepare().
  std::span<char> prepare(std::span<char> borrowed);
  void commit(std::size_t bytes);
  // prepare(), copy and commit() for bytes read before the reader took over (those behind the
  // handshake): takes the front of `bytes` that fits, returns the rest.
  std::string_view feed(std::string_view bytes);
  frame_event next();
  // Moves what the reader holds in a borrowed buffer into its own; nothing when it holds none.
  void keep();

  // Of the reader's own buffer (a borrowed one is not counted).
  std::size_t capacity() const { return capacity_; }
  std::size_t max_capacity() const { return max_capacity_; }

 private:
  frame_event fail(std::uint16_t code);
  // keep(), then a need_more event; `frame_length_known`: needed_ ends the frame under way.
  frame_event need_more(bool frame_length_known);
  void compact();
  void reserve(std::size_t bytes);
  bool holds_bytes() const { return in_message_ || end_ != begin_; }

  std::size_t max_message_bytes_;
  std::size_t max_capacity_;
  std::unique_ptr<char[]> data_;   // the reader's own buffer
  std::size_t capacity_ = 0;
  char* bytes_ = nullptr;          // where the bytes are: data_, or a borrowed buffer
  std::size_t bytes_capacity_ = 0;
  bool borrowing_ = false;
  std::size_t begin_ = 0;          // the first byte not parsed yet
  std::size_t end_ = 0;            // one past the last byte read
  std::size_t message_start_ = 0;  // the message being assembled: [message_start_, + message_bytes_)
  std::size_t message_bytes_ = 0;
  std::size_t needed_ = 0;         // need_more: bytes from begin_ that the current frame needs
  bool masked_;                    // frames from a client: each must be masked; from a server: none
  bool check_text_;                // text_check::reader
  bool in_message_ = false;        // a text frame without FIN came; continuations follow
  bool frame_length_known_ = false;  // need_more with the header read: needed_ is the whole frame
  std::uint16_t failed_ = 0;       // the close code of a violation; 0 while all is well
};

// Writes the header of an unmasked, final server frame of `payload_bytes` into `out`; returns its
// length (2, 4 or 10).
std::size_t write_frame_header(opcode op, std::size_t payload_bytes,
                               std::span<std::uint8_t, max_server_header_bytes> out);

// Appends one final client frame to `out`: header, `key`, and `payload` masked with it.
void append_client_frame(std::string& out, opcode op, std::string_view payload, std::array<std::uint8_t, 4> key);

// XORs `bytes` with the 4-byte masking key, starting at key byte 0.
void unmask(std::span<char> bytes, std::array<std::uint8_t, 4> key);

}  // namespace riptide::proto::websocket
