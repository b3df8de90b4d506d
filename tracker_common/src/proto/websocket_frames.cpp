#include "tracker/proto/websocket_frames.hpp"

#include <algorithm>
#include <cstring>

#include "tracker/proto/utf8.hpp"

namespace riptide::proto::websocket {

namespace {

// A fresh buffer, and the size below which one is kept when empty: room for an announce without
// offers and a few small messages per read. (Announces with offers grow it to 8 KiB or so.)
constexpr std::size_t initial_capacity = 2048;
constexpr std::size_t kept_capacity = 16 * 1024;
// Less free space than this, and the buffer grows (up to its maximum) before the next read.
constexpr std::size_t min_read_bytes = 512;

std::uint64_t read_big_endian(const char* bytes, std::size_t count) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value = (value << 8) | static_cast<std::uint8_t>(bytes[i]);
  return value;
}

// Codes a client may send (RFC 6455, 7.4; 1012-1014 registered with IANA since), and the range
// for libraries and applications.
bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

bool is_control(std::uint8_t op) { return (op & 0x08) != 0; }

}  // namespace

frame_reader::frame_reader(std::size_t max_message_bytes, frame_sender sender, text_check check)
    : max_message_bytes_(max_message_bytes),
      max_capacity_(max_message_bytes + max_client_header_bytes + max_control_payload_bytes + 128),
      masked_(sender == frame_sender::client),
      check_text_(check == text_check::reader) {}

frame_event frame_reader::fail(std::uint16_t code) {
  if (failed_ == 0) failed_ = code;
  return {frame_event::kind::fail, {}, failed_};
}

frame_event frame_reader::need_more(bool frame_length_known) {
  frame_length_known_ = frame_length_known;
  keep();
  return {};
}

void frame_reader::compact() {
  // Keep the message so far at the front, then the bytes not parsed yet.
  std::size_t keep_at = 0;
  if (in_message_) {
    if (message_start_ != 0 && message_bytes_ != 0) {
      std::memmove(data_.get(), data_.get() + message_start_, message_bytes_);
    }
    message_start_ = 0;
    keep_at = message_bytes_;
  }
  if (begin_ != keep_at) {
    if (end_ != begin_) std::memmove(data_.get() + keep_at, data_.get() + begin_, end_ - begin_);
    end_ = keep_at + (end_ - begin_);
    begin_ = keep_at;
  }
}

void frame_reader::reserve(std::size_t bytes) {
  if (bytes <= capacity_) return;
  auto bigger = std::make_unique_for_overwrite<char[]>(bytes);
  if (end_ != 0) std::memcpy(bigger.get(), data_.get(), end_);
  data_ = std::move(bigger);
  capacity_ = bytes;
}

std::span<char> frame_reader::prepare() {
  keep();
  compact();
  if (end_ == 0 && capacity_ > kept_capacity) {
    data_.reset();  // a large message is over: give its room back
    capacity_ = 0;
  }
  // Room for the whole current frame (never more than max_capacity_: next() refused larger ones);
  // unless its length is known, for a read of a useful size too.
  const std::size_t frame_end = begin_ + needed_;
  std::size_t wanted =
      frame_length_known_ ? frame_end : std::max(frame_end, std::max(end_ + min_read_bytes, initial_capacity));
  if (wanted > capacity_) {
    if (capacity_ != 0) wanted = std::max(wanted, capacity_ * 2);
    reserve(std::min(wanted, max_capacity_));
  }
  bytes_ = data_.get();
  bytes_capacity_ = capacity_;
  return {data_.get() + end_, capacity_ - end_};
}

std::span<char> frame_reader::prepare(std::span<char> borrowed) {
  keep();
  if (holds_bytes() || borrowed.size() < min_read_bytes) return prepare();
  data_.reset();
  capacity_ = 0;
  begin_ = end_ = message_start_ = 0;
  // At most max_capacity_ bytes, so that what keep() moves always fits a buffer of the reader's.
  borrowing_ = true;
  bytes_ = borrowed.data();
  bytes_capacity_ = std::min(borrowed.size(), max_capacity_);
  return {bytes_, bytes_capacity_};
}

void frame_reader::keep() {
  if (!borrowing_) return;
  const char* source = bytes_;
  borrowing_ = false;
  bytes_ = nullptr;
  bytes_capacity_ = 0;
  // The message so far, then the bytes not parsed yet, without the frame headers between them:
  // at most what one read brought, so at most max_capacity_.
  const std::size_t message = in_message_ && failed_ == 0 ? message_bytes_ : 0;
  const std::size_t unparsed = failed_ != 0 ? 0 : end_ - begin_;
  const std::size_t kept = message + unparsed;
  const std::size_t frame_rest = needed_ > unparsed ? needed_ - unparsed : 0;  // of the frame under way
  if (kept != 0) {
    // Room for the rest of the frame under way, or for a read of a useful size.
    const std::size_t size = std::min(kept + std::max(frame_rest, min_read_bytes), max_capacity_);
    data_ = std::make_unique_for_overwrite<char[]>(size);
    capacity_ = size;
    if (message != 0) std::memcpy(data_.get(), source + message_start_, message);
    if (unparsed != 0) std::memcpy(data_.get() + message, source + begin_, unparsed);
    bytes_ = data_.get();
    bytes_capacity_ = capacity_;
  }
  message_start_ = 0;
  begin_ = message;
  end_ = kept;
}

void frame_reader::commit(std::size_t bytes) { end_ += std::min(bytes, bytes_capacity_ - end_); }

std::string_view frame_reader::feed(std::string_view bytes) {
  const auto space = prepare();
  const std::size_t n = std::min(space.size(), bytes.size());
  std::copy_n(bytes.data(), n, space.data());
  commit(n);
  return bytes.substr(n);
}

frame_event frame_reader::next() {
  using kind = frame_event::kind;
  while (failed_ == 0) {
    const std::size_t available = end_ - begin_;
    needed_ = 2;
    if (available < 2) return need_more(false);
    const char* header = bytes_ + begin_;
    const auto byte0 = static_cast<std::uint8_t>(header[0]);
    const auto byte1 = static_cast<std::uint8_t>(header[1]);
    const bool fin = (byte0 & 0x80) != 0;
    const std::uint8_t op = byte0 & 0x0f;
    if ((byte0 & 0x70) != 0) return fail(close_code::protocol_error);  // no extension was agreed
    if (((byte1 & 0x80) != 0) != masked_) return fail(close_code::protocol_error);  // clients mask, servers not
    std::uint64_t length = byte1 & 0x7f;

    switch (static_cast<opcode>(op)) {
      case opcode::continuation:
        if (!in_message_) return fail(close_code::protocol_error);
        break;
      case opcode::text:
        if (in_message_) return fail(close_code::protocol_error);
        break;
      case opcode::binary:
        // A new message inside another is a protocol error first (RFC 6455, 5.4), whatever its kind.
        return fail(in_message_ ? close_code::protocol_error : close_code::unsupported_data);
      case opcode::close:
      case opcode::ping:
      case opcode::pong:
        if (!fin || length > max_control_payload_bytes) return fail(close_code::protocol_error);
        break;
      default:
        return fail(close_code::protocol_error);  // reserved opcodes
    }

    const std::size_t length_bytes = length == 126 ? 2 : length == 127 ? 8 : 0;
    const std::size_t header_bytes = 2 + length_bytes + (masked_ ? 4 : 0);
    needed_ = header_bytes;
    if (available < header_bytes) return need_more(false);
    if (length_bytes != 0) length = read_big_endian(header + 2, length_bytes);
    if (length >> 63 != 0) return fail(close_code::protocol_error);
    // Refused from the header alone: a message over the limit is never buffered.
    if (!is_control(op) && length > max_message_bytes_ - message_bytes_) return fail(close_code::message_too_big);
    needed_ = header_bytes + static_cast<std::size_t>(length);
    if (available < needed_) return need_more(true);

    char* payload = bytes_ + begin_ + header_bytes;
    const auto payload_bytes = static_cast<std::size_t>(length);
    if (masked_) {
      std::array<std::uint8_t, 4> key{};
      std::memcpy(key.data(), header + 2 + length_bytes, key.size());
      unmask({payload, payload_bytes}, key);
    }
    begin_ += needed_;
    needed_ = 0;
    frame_length_known_ = false;
    const std::string_view view(payload, payload_bytes);

    switch (static_cast<opcode>(op)) {
      case opcode::ping: return {kind::ping, view, 0};
      case opcode::pong: return {kind::pong, view, 0};
      case opcode::close: {
        if (payload_bytes == 0) return {kind::close, {}, close_code::no_status};
        if (payload_bytes == 1) return fail(close_code::protocol_error);
        const auto code = static_cast<std::uint16_t>(read_big_endian(payload, 2));
        if (!valid_close_code(code)) return fail(close_code::protocol_error);
        const std::string_view reason = view.substr(2);
        if (!is_valid_utf8(reason)) return fail(close_code::invalid_payload);
        return {kind::close, reason, code};
      }
      default: break;
    }

    // A text frame or a continuation: its payload joins the message (the first one stays put).
    if (!in_message_) {
      in_message_ = true;
      message_start_ = static_cast<std::size_t>(payload - bytes_);
      message_bytes_ = payload_bytes;
    } else {
      std::memmove(bytes_ + message_start_ + message_bytes_, payload, payload_bytes);
      message_bytes_ += payload_bytes;
    }
    if (!fin) continue;
    in_message_ = false;
    const std::string_view message(bytes_ + message_start_, message_bytes_);
    message_bytes_ = 0;
    if (check_text_ && !is_valid_utf8(message)) return fail(close_code::invalid_payload);
    return {kind::text, message, 0};
  }
  return fail(failed_);
}

std::size_t write_frame_header(opcode op, std::size_t payload_bytes,
                               std::span<std::uint8_t, max_server_header_bytes> out) {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op));
  if (payload_bytes < 126) {
    out[1] = static_cast<std::uint8_t>(payload_bytes);
    return 2;
  }
  const std::size_t length_bytes = payload_bytes <= 0xffff ? 2 : 8;
  out[1] = length_bytes == 2 ? 126 : 127;
  const auto length = static_cast<std::uint64_t>(payload_bytes);
  for (std::size_t i = 0; i < length_bytes; ++i) {
    out[2 + i] = static_cast<std::uint8_t>(length >> (8 * (length_bytes - 1 - i)));
  }
  return 2 + length_bytes;
}

void append_client_frame(std::string& out, opcode op, std::string_view payload, std::array<std::uint8_t, 4> key) {
  std::array<std::uint8_t, max_server_header_bytes> header{};
  const std::size_t header_bytes = write_frame_header(op, payload.size(), header);
  header[1] |= 0x80;  // MASK
  const std::size_t start = out.size();
  out.resize(start + header_bytes + key.size() + payload.size());
  char* at = out.data() + start;
  std::memcpy(at, header.data(), header_bytes);
  std::memcpy(at + header_bytes, key.data(), key.size());
  char* masked = at + header_bytes + key.size();
  if (!payload.empty()) std::memcpy(masked, payload.data(), payload.size());
  unmask({masked, payload.size()}, key);  // XOR both ways
}

void unmask(std::span<char> bytes, std::array<std::uint8_t, 4> key) {
  std::uint32_t key32 = 0;
  std::memcpy(&key32, key.data(), sizeof key32);
  const std::uint64_t key64 = (std::uint64_t{key32} << 32) | key32;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {  // i stays a multiple of 4: the key lines up
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, sizeof word);
    word ^= key64;
    std::memcpy(bytes.data() + i, &word, sizeof word);
  }
  for (; i < bytes.size(); ++i) bytes[i] = static_cast<char>(bytes[i] ^ static_cast<char>(key[i % 4]));
}

}  // namespace riptide::proto::websocket
