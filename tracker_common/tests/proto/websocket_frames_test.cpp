// WebSocket framing: golden frames from RFC 6455, every violation a client can commit and the
// close code it earns, fragments and control frames in between, arbitrary read boundaries, and
// the bound on the buffer.

#include "tracker/proto/websocket_frames.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace riptide::proto::websocket {
namespace {

using kind = frame_event::kind;

struct frame_spec {
  std::uint8_t op = 1;
  std::string payload;
  bool fin = true;
  bool masked = true;
  std::uint8_t rsv = 0;                                // 0..7, into bits 0x70
  std::array<std::uint8_t, 4> key{0x37, 0xfa, 0x21, 0x3d};
  int length_form = 0;                                 // 0: shortest, 16 or 64: that field
};

std::string client_frame(const frame_spec& spec) {
  std::string out;
  out += static_cast<char>((spec.fin ? 0x80 : 0) | (spec.rsv << 4) | spec.op);
  const std::uint64_t n = spec.payload.size();
  const std::uint8_t mask_bit = spec.masked ? 0x80 : 0;
  const int form = spec.length_form != 0 ? spec.length_form : n < 126 ? 7 : n <= 0xffff ? 16 : 64;
  if (form == 7) {
    out += static_cast<char>(mask_bit | n);
  } else {
    out += static_cast<char>(mask_bit | (form == 16 ? 126 : 127));
    for (int i = form / 8 - 1; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  std::string payload = spec.payload;
  if (spec.masked) {
    for (const std::uint8_t k : spec.key) out += static_cast<char>(k);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ spec.key[i % 4]);
  }
  return out + payload;
}

std::string text_frame(std::string payload) { return client_frame({.op = 1, .payload = std::move(payload)}); }

struct event_copy {
  kind what;
  std::string payload;
  std::uint16_t code;
  bool operator==(const event_copy&) const = default;
};

// One read: the next bytes from `at` (at most `chunk`, 0: as many as fit) into `space`.
void read_next(frame_reader& reader, std::span<char> space, std::string_view bytes, std::size_t& at,
               std::size_t chunk) {
  REQUIRE(!space.empty());
  REQUIRE(reader.capacity() <= reader.max_capacity());
  std::size_t n = std::min(space.size(), bytes.size() - at);
  if (chunk != 0) n = std::min(n, chunk);
  std::copy_n(bytes.data() + at, n, space.data());
  reader.commit(n);
  at += n;
}

// Feeds `bytes` in reads of at most `chunk` bytes (0: as much as prepare() offers) and collects
// every event up to the first failure.
std::vector<event_copy> feed(frame_reader& reader, std::string_view bytes, std::size_t chunk = 0) {
  std::vector<event_copy> events;
  std::size_t at = 0;
  for (;;) {
    for (;;) {
      const auto event = reader.next();
      if (event.what == kind::need_more) break;
      events.push_back({event.what, std::string(event.payload), event.code});
      if (event.what == kind::fail) return events;
    }
    if (at == bytes.size()) return events;
    read_next(reader, reader.prepare(), bytes, at, chunk);
  }
}

// As feed(), but reads go into a buffer the reader borrows while it keeps no bytes, as
// tracker_ws's sessions read into their worker's. The buffer is overwritten after each round of
// next() (another connection's read), so anything the reader still pointed into comes out wrong.
// `stop_after` (0: never): a round stops after that many events and calls keep(), as a session
// does when its outbound queue is full, and the next round goes on without reading.
std::vector<event_copy> feed_borrowing(frame_reader& reader, std::string_view bytes, std::size_t chunk,
                                       std::size_t borrowed_size = 65536, std::size_t stop_after = 0) {
  std::vector<char> borrowed(borrowed_size);
  std::vector<event_copy> events;
  std::size_t at = 0;
  for (;;) {
    bool stopped_early = false;
    for (std::size_t round_events = 0;; ++round_events) {
      if (stop_after != 0 && round_events == stop_after) {
        reader.keep();
        stopped_early = true;
        break;
      }
      const auto event = reader.next();
      if (event.what == kind::need_more) break;
      events.push_back({event.what, std::string(event.payload), event.code});
      if (event.what == kind::fail) return events;
    }
    std::fill(borrowed.begin(), borrowed.end(), '\xa5');
    if (stopped_early) continue;
    if (at == bytes.size()) return events;
    read_next(reader, reader.prepare(borrowed), bytes, at, chunk);
  }
}

std::vector<event_copy> feed(std::string_view bytes, std::size_t max_message = 65536) {
  frame_reader reader(max_message);
  return feed(reader, bytes);
}

event_copy failure(std::uint16_t code) { return {kind::fail, "", code}; }

TEST_CASE("websocket: the masked text frame of RFC 6455 5.7 is 'Hello'") {
  const std::string frame = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  CHECK(feed(frame) == std::vector<event_copy>{{kind::text, "Hello", 0}});
  CHECK(text_frame("Hello") == frame);
}

TEST_CASE("websocket: server frame headers use the shortest length form") {
  std::array<std::uint8_t, max_server_header_bytes> header{};
  // 'Hello' in one text frame: FIN + text, length 5.
  REQUIRE(write_frame_header(opcode::text, 5, header) == 2);
  CHECK((header[0] == 0x81 && header[1] == 0x05));
  // 256 bytes: length 126, then 0x0100 big-endian (RFC 6455 5.7).
  REQUIRE(write_frame_header(opcode::binary, 256, header) == 4);
  CHECK((header[0] == 0x82 && header[1] == 126 && header[2] == 0x01 && header[3] == 0x00));
  // 125 is the last one-byte length; 65535 the last 16-bit one.
  CHECK(write_frame_header(opcode::text, 125, header) == 2);
  CHECK(write_frame_header(opcode::text, 65535, header) == 4);
  // 64 KiB: length 127, then a 64-bit big-endian 0x10000.
  REQUIRE(write_frame_header(opcode::text, 65536, header) == 10);
  CHECK((header[1] == 127 && header[7] == 0x01 && header[8] == 0 && header[9] == 0 && header[2] == 0));
  REQUIRE(write_frame_header(opcode::close, 2, header) == 2);
  CHECK(header[0] == 0x88);
  REQUIRE(write_frame_header(opcode::pong, 0, header) == 2);
  CHECK((header[0] == 0x8a && header[1] == 0));
}

TEST_CASE("websocket: 16- and 64-bit lengths, even where a shorter form would do") {
  const std::string medium(300, 'm');
  const std::string large(70000, 'l');
  CHECK(feed(text_frame(medium), 100000) == std::vector<event_copy>{{kind::text, medium, 0}});
  CHECK(feed(text_frame(large), 100000) == std::vector<event_copy>{{kind::text, large, 0}});
  CHECK(feed(client_frame({.payload = "abc", .length_form = 16})) == std::vector<event_copy>{{kind::text, "abc", 0}});
  CHECK(feed(client_frame({.payload = "abc", .length_form = 64})) == std::vector<event_copy>{{kind::text, "abc", 0}});
  CHECK(feed(text_frame("")) == std::vector<event_copy>{{kind::text, "", 0}});
}

TEST_CASE("websocket: fragments join into one message, with control frames in between") {
  const std::string bytes = client_frame({.op = 1, .payload = "{\"action\":", .fin = false}) +
                            client_frame({.op = 9, .payload = "are you there"}) +
                            client_frame({.op = 0, .payload = "\"announce\"", .fin = false, .key = {1, 2, 3, 4}}) +
                            client_frame({.op = 10, .payload = ""}) +
                            client_frame({.op = 0, .payload = "}", .key = {9, 8, 7, 6}}) + text_frame("next");
  const std::vector<event_copy> expected{{kind::ping, "are you there", 0},
                                         {kind::pong, "", 0},
                                         {kind::text, "{\"action\":\"announce\"}", 0},
                                         {kind::text, "next", 0}};
  CHECK(feed(bytes) == expected);
  // The same bytes one at a time, and in reads of 7.
  frame_reader one_by_one(65536);
  CHECK(feed(one_by_one, bytes, 1) == expected);
  frame_reader sevens(65536);
  CHECK(feed(sevens, bytes, 7) == expected);
}

TEST_CASE("websocket: a UTF-8 character split across fragments is valid; broken UTF-8 is 1007") {
  const std::string e_acute = "\xc3\xa9";
  const std::string split = client_frame({.op = 1, .payload = "caf" + e_acute.substr(0, 1), .fin = false}) +
                            client_frame({.op = 0, .payload = e_acute.substr(1)});
  CHECK(feed(split) == std::vector<event_copy>{{kind::text, "caf" + e_acute, 0}});
  CHECK(feed(text_frame("caf\xc3")) == std::vector<event_copy>{failure(close_code::invalid_payload)});
  CHECK(feed(text_frame("\xed\xa0\x80")) == std::vector<event_copy>{failure(close_code::invalid_payload)});  // surrogate
  CHECK(feed(text_frame("\xc0\xaf")) == std::vector<event_copy>{failure(close_code::invalid_payload)});  // overlong
  // Every byte value 0..255 written as JSON \u escapes, or as two-byte UTF-8, is fine.
  std::string latin1;
  for (int b = 0x80; b <= 0xff; ++b) {
    latin1 += static_cast<char>(0xc0 | (b >> 6));
    latin1 += static_cast<char>(0x80 | (b & 0x3f));
  }
  CHECK(feed(text_frame(latin1)) == std::vector<event_copy>{{kind::text, latin1, 0}});
}

TEST_CASE("websocket: with text_check::caller, text is handed over unchecked (close reasons still are)") {
  frame_reader reader(65536, frame_sender::client, text_check::caller);
  CHECK(feed(reader, text_frame("caf\xc3")) == std::vector<event_copy>{{kind::text, "caf\xc3", 0}});
  frame_reader closing(65536, frame_sender::client, text_check::caller);
  CHECK(feed(closing, client_frame({.op = 8, .payload = std::string("\x03\xe8", 2) + "\xff"})) ==
        std::vector{failure(close_code::invalid_payload)});
}

TEST_CASE("websocket: each protocol violation fails with its close code") {
  using spec = frame_spec;
  CHECK(feed(client_frame(spec{.payload = "x", .masked = false})) == std::vector{failure(close_code::protocol_error)});
  for (std::uint8_t rsv = 1; rsv < 8; ++rsv) {
    CHECK(feed(client_frame(spec{.payload = "x", .rsv = rsv})) == std::vector{failure(close_code::protocol_error)});
  }
  CHECK(feed(client_frame(spec{.op = 2, .payload = "x"})) == std::vector{failure(close_code::unsupported_data)});
  for (const int op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    CHECK(feed(client_frame(spec{.op = static_cast<std::uint8_t>(op), .payload = "x"})) == std::vector{failure(close_code::protocol_error)});
  }
  // A continuation with no message started; a new text or binary frame inside a fragmented message
  // (a protocol error before a binary message is an unsupported one).
  CHECK(feed(client_frame(spec{.op = 0, .payload = "x"})) == std::vector{failure(close_code::protocol_error)});
  CHECK(feed(client_frame(spec{.op = 1, .payload = "x", .fin = false}) + text_frame("y")) ==
        std::vector{failure(close_code::protocol_error)});
  CHECK(feed(client_frame(spec{.op = 1, .payload = "x", .fin = false}) + client_frame(spec{.op = 2, .payload = "y"})) ==
        std::vector{failure(close_code::protocol_error)});
  // Control frames: never fragmented, at most 125 bytes.
  CHECK(feed(client_frame(spec{.op = 9, .payload = "x", .fin = false})) == std::vector{failure(close_code::protocol_error)});
  CHECK(feed(client_frame(spec{.op = 9, .payload = std::string(126, 'p')})) ==
        std::vector{failure(close_code::protocol_error)});
  CHECK(feed(client_frame(spec{.op = 9, .payload = std::string(125, 'p')})) ==
        std::vector<event_copy>{{kind::ping, std::string(125, 'p'), 0}});
  // A 64-bit length with its top bit set.
  std::string huge = "\x81\xff\x80";
  huge += std::string(7, '\0') + "abcd";
  CHECK(feed(huge) == std::vector{failure(close_code::protocol_error)});
}

TEST_CASE("websocket: close frames: code, reason, and the malformed ones") {
  const auto close_frame = [](std::string payload) { return client_frame({.op = 8, .payload = std::move(payload)}); };
  CHECK(feed(close_frame("")) == std::vector<event_copy>{{kind::close, "", close_code::no_status}});
  CHECK(feed(close_frame(std::string("\x03\xe8", 2) + "bye")) == std::vector<event_copy>{{kind::close, "bye", 1000}});
  CHECK(feed(close_frame(std::string("\x0f\xa0", 2))) == std::vector<event_copy>{{kind::close, "", 4000}});
  CHECK(feed(close_frame("\x03")) == std::vector{failure(close_code::protocol_error)});
  // 999, 1004, 1005, 1006, 1015, 2999 and 5000 may not be sent by anyone.
  for (const int code : {999, 1004, 1005, 1006, 1015, 2999, 5000}) {
    const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    CHECK(feed(close_frame(payload)) == std::vector{failure(close_code::protocol_error)});
  }
  CHECK(feed(close_frame(std::string("\x03\xe8", 2) + "\xff")) == std::vector{failure(close_code::invalid_payload)});
}

TEST_CASE("websocket: a client reads unmasked server frames and refuses masked ones") {
  std::array<std::uint8_t, max_server_header_bytes> header{};
  const std::string message(300, 'r');
  std::string bytes;
  for (const auto& [op, payload] : {std::pair{opcode::text, message}, std::pair{opcode::ping, std::string("p")},
                                    std::pair{opcode::close, std::string("\x03\xe9", 2)}}) {
    const std::size_t n = write_frame_header(op, payload.size(), header);
    bytes.append(reinterpret_cast<const char*>(header.data()), n);
    bytes += payload;
  }
  frame_reader client(65536, frame_sender::server);
  CHECK(feed(client, bytes, 5) == std::vector<event_copy>{{kind::text, message, 0}, {kind::ping, "p", 0},
                                                          {kind::close, "", close_code::going_away}});
  frame_reader strict(65536, frame_sender::server);
  CHECK(feed(strict, text_frame("masked")) == std::vector{failure(close_code::protocol_error)});
}

TEST_CASE("websocket: append_client_frame makes the frames a server reads back") {
  std::string bytes;
  const std::string large(70000, 'L');
  append_client_frame(bytes, opcode::text, "Hello", {0x37, 0xfa, 0x21, 0x3d});
  CHECK(bytes == "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");  // RFC 6455 5.7
  append_client_frame(bytes, opcode::pong, "", {1, 2, 3, 4});
  append_client_frame(bytes, opcode::text, large, {9, 8, 7, 6});
  CHECK(feed(bytes, 100000) ==
        std::vector<event_copy>{{kind::text, "Hello", 0}, {kind::pong, "", 0}, {kind::text, large, 0}});
}

TEST_CASE("websocket: a message over the limit fails from its header, before its payload is read") {
  frame_reader reader(1000);
  // Only the header of a 1,001-byte frame: nothing else needs to arrive.
  const std::string frame = text_frame(std::string(1001, 'x'));
  CHECK(feed(reader, frame.substr(0, 8)) == std::vector{failure(close_code::message_too_big)});
  CHECK(reader.capacity() <= reader.max_capacity());
  // Once failed, the reader stays failed.
  CHECK(reader.next().what == kind::fail);

  // Exactly the limit is fine; the limit counts every fragment of the message.
  CHECK(feed(text_frame(std::string(1000, 'x')), 1000).front().what == kind::text);
  const std::string fragments = client_frame({.op = 1, .payload = std::string(600, 'a'), .fin = false}) +
                                client_frame({.op = 0, .payload = std::string(401, 'b')});
  CHECK(feed(fragments, 1000) == std::vector{failure(close_code::message_too_big)});
  // A 64 KiB message announced with a 64-bit length to a 16 KiB reader.
  CHECK(feed(client_frame({.payload = std::string(65536, 'z')}), 16384) ==
        std::vector{failure(close_code::message_too_big)});
}

TEST_CASE("websocket: the buffer stays within its bound and is given back after a large message") {
  frame_reader reader(65536);
  const std::string big(60000, 'b');
  std::string bytes;
  for (int i = 0; i < 3; ++i) bytes += text_frame(big) + client_frame({.op = 9, .payload = "p"}) + text_frame("small");
  const auto events = feed(reader, bytes, 4096);
  REQUIRE(events.size() == 9);
  CHECK(events[6] == event_copy{kind::text, big, 0});
  CHECK(reader.capacity() <= reader.max_capacity());
  (void)reader.prepare();  // empty again: the large buffer goes
  CHECK(reader.capacity() <= 16 * 1024);
}

TEST_CASE("websocket: random messages, fragments and read sizes come out whole and in order") {
  std::mt19937_64 random(20261121);
  for (int round = 0; round < 200; ++round) {
    std::string bytes;
    std::vector<event_copy> expected;
    const int messages = 1 + static_cast<int>(random() % 8);
    for (int m = 0; m < messages; ++m) {
      std::string message(random() % 3000, ' ');
      for (auto& c : message) c = static_cast<char>(0x20 + random() % 0x5f);
      std::size_t at = 0;
      bool first = true;
      do {
        const std::size_t piece = std::min<std::size_t>(message.size() - at, random() % 1200);
        const bool fin = at + piece == message.size();
        std::array<std::uint8_t, 4> key{};
        for (auto& k : key) k = static_cast<std::uint8_t>(random());
        bytes += client_frame({.op = static_cast<std::uint8_t>(first ? 1 : 0), .payload = message.substr(at, piece),
                               .fin = fin, .key = key});
        if (!fin && random() % 4 == 0) {
          bytes += client_frame({.op = 9, .payload = "between"});
          expected.push_back({kind::ping, "between", 0});
        }
        at += piece;
        first = false;
      } while (at < message.size());
      expected.push_back({kind::text, message, 0});
    }
    frame_reader reader(4096);
    REQUIRE(feed(reader, bytes, 1 + random() % 5000) == expected);
    frame_reader borrowing(4096);
    const std::size_t borrowed_size = 512 + random() % 9000;
    REQUIRE(feed_borrowing(borrowing, bytes, 1 + random() % 9000, borrowed_size, random() % 4) == expected);
  }
}

TEST_CASE("websocket: random bytes never crash the reader nor grow it past its bound") {
  std::mt19937_64 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(random() % 600, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    if (!bytes.empty() && random() % 2 == 0) bytes[0] = static_cast<char>((bytes[0] & 0x0f) | 0x80);
    if (bytes.size() > 1 && random() % 2 == 0) bytes[1] = static_cast<char>(bytes[1] | 0x80);
    frame_reader reader(256);
    const auto events = feed(reader, bytes, 1 + random() % 64);
    CHECK(reader.capacity() <= reader.max_capacity());
    for (const auto& event : events) CHECK((event.what != kind::text || event.payload.size() <= 256));
    frame_reader borrowing(256);
    CHECK(feed_borrowing(borrowing, bytes, 1 + random() % 700, 4096, random() % 3) == events);
    CHECK(borrowing.capacity() <= borrowing.max_capacity());
  }
}

TEST_CASE("websocket: a reader that borrows holds no buffer between whole messages") {
  frame_reader reader(65536);
  std::vector<char> borrowed(65536);
  const std::string announce(5800, 'a');
  // Three whole messages in one read: all handled from the borrowed buffer, nothing kept.
  const std::string three = text_frame(announce) + text_frame("{}") + client_frame({.op = 9, .payload = "p"});
  auto space = reader.prepare(borrowed);
  REQUIRE(space.data() == borrowed.data());
  std::copy(three.begin(), three.end(), space.begin());
  reader.commit(three.size());
  CHECK(reader.next().payload == announce);
  CHECK(reader.next().payload == "{}");
  CHECK(reader.next().what == kind::ping);
  CHECK(reader.next().what == kind::need_more);
  CHECK(reader.capacity() == 0);

  // Half a message: the reader keeps it in a buffer of its own, just large enough for the frame,
  // and the next read goes there, for the rest of that frame.
  const std::string frame = text_frame(announce);
  space = reader.prepare(borrowed);
  REQUIRE(space.data() == borrowed.data());
  std::copy_n(frame.begin(), 3000, space.begin());
  reader.commit(3000);
  CHECK(reader.next().what == kind::need_more);
  CHECK(reader.capacity() == frame.size());
  std::fill(borrowed.begin(), borrowed.end(), 'x');  // another connection's read
  space = reader.prepare(borrowed);
  REQUIRE(space.data() != borrowed.data());
  REQUIRE(space.size() == frame.size() - 3000);
  std::copy(frame.begin() + 3000, frame.end(), space.begin());
  reader.commit(space.size());
  CHECK(reader.next().payload == announce);
  CHECK(reader.next().what == kind::need_more);
  // Empty again: the next read borrows, and the reader's own buffer is gone.
  CHECK(reader.prepare(borrowed).data() == borrowed.data());
  CHECK(reader.capacity() == 0);
}

}  // namespace
}  // namespace riptide::proto::websocket
