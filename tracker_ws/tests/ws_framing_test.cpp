// WebSocket framing over a real socket, with frames made by hand (a library client cannot send
// the broken ones): fragments and pings, every violation and the close code it earns, the close
// handshake, and handshakes the tracker must refuse.

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>

#include "ws_integration_support.hpp"

namespace riptide::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct server_frame {
  std::uint8_t byte0 = 0;  // FIN, RSV, opcode
  std::string payload;
  std::uint8_t opcode() const { return byte0 & 0x0f; }
  std::uint16_t close_code() const {
    REQUIRE(payload.size() >= 2);
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]));
  }
};

// A client frame: FIN unless `more`, masked unless told otherwise, with the shortest length.
std::string frame(std::uint8_t op, const std::string& payload, bool more = false, bool masked = true) {
  std::string out;
  out += static_cast<char>((more ? 0 : 0x80) | op);
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(mask_bit | payload.size());
  } else {
    REQUIRE(payload.size() <= 0xffff);
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xff);
  }
  if (!masked) return out + payload;
  const std::uint8_t key[4] = {0x11, 0x9e, 0x5a, 0xc3};
  for (const std::uint8_t k : key) out += static_cast<char>(k);
  for (std::size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ key[i % 4]);
  return out;
}

// One TCP connection to the tracker that does the WebSocket handshake itself, then sends bytes
// and reads frames as they are. Reads give up after 5 s (SO_RCVTIMEO): a test waits, never hangs.
class raw_websocket {
 public:
  // `receive_buffer` > 0: SO_RCVBUF, set before connecting (a client slow to read).
  explicit raw_websocket(std::uint16_t port, const std::string& version = "13", int receive_buffer = 0)
      : socket_(io_) {
    socket_.open(tcp::v4());
    if (receive_buffer > 0) socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval timeout{5, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    send("GET /announce HTTP/1.1\r\nHost: tracker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " + version + "\r\n"
         "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
    asio::read_until(socket_, buffer_, "\r\n\r\n");
    std::istream head(&buffer_);
    std::string line;
    while (std::getline(head, line) && line != "\r") response_head_ += line + "\n";
  }

  const std::string& response_head() const { return response_head_; }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  bool try_send(const std::string& bytes) {
    boost::system::error_code error;
    asio::write(socket_, asio::buffer(bytes), error);
    return !error;
  }
  // The same with plain system calls, for another thread to write while this one reads.
  bool send_from_another_thread(const std::string& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
      const ssize_t wrote = ::send(socket_.native_handle(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (wrote <= 0) return false;
      sent += static_cast<std::size_t>(wrote);
    }
    return true;
  }
  void shut_down() { ::shutdown(socket_.native_handle(), SHUT_RDWR); }

  server_frame read_frame() {
    server_frame result;
    const std::string header = read_exactly(2);
    result.byte0 = static_cast<std::uint8_t>(header[0]);
    REQUIRE((static_cast<std::uint8_t>(header[1]) & 0x80) == 0);  // a server never masks
    std::size_t length = static_cast<std::uint8_t>(header[1]) & 0x7f;
    if (length >= 126) {
      const std::string extended = read_exactly(length == 126 ? 2 : 8);
      length = 0;
      for (const char c : extended) length = (length << 8) | static_cast<std::uint8_t>(c);
    }
    result.payload = read_exactly(length);
    return result;
  }

  // How the next read ends when the tracker sends nothing more: eof (an orderly close),
  // connection_reset, or a timeout if it keeps the connection open.
  boost::system::error_code read_end() {
    char byte = 0;
    boost::system::error_code error;
    asio::read(socket_, asio::buffer(&byte, 1), error);
    return error;
  }
  bool closed_by_tracker() {
    const auto error = read_end();
    return error == asio::error::eof || error == asio::error::connection_reset;
  }

 private:
  std::string read_exactly(std::size_t bytes) {
    std::string out(bytes, '\0');
    std::size_t have = std::min(bytes, buffer_.size());
    buffer_.sgetn(out.data(), static_cast<std::streamsize>(have));
    if (have < bytes) asio::read(socket_, asio::buffer(out.data() + have, bytes - have));
    return out;
  }

  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf buffer_;
  std::string response_head_;
};

constexpr std::uint8_t text_op = 1, binary_op = 2, close_op = 8, ping_op = 9, pong_op = 10, continuation_op = 0;

TEST_CASE("the handshake is answered with the accept key and no extension", "[framing]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  raw_websocket client(tracker.port());
  CHECK(client.response_head().rfind("HTTP/1.1 101", 0) == 0);
  CHECK(client.response_head().find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);
  CHECK(client.response_head().find("permessage-deflate") == std::string::npos);
  // A version other than 13 gets 426, which names 13.
  raw_websocket old(tracker.port(), "8");
  CHECK(old.response_head().rfind("HTTP/1.1 426", 0) == 0);
  CHECK(old.response_head().find("Sec-WebSocket-Version: 13") != std::string::npos);
  // The refused upgrade was answered with plain HTTP, and is counted so, as this request is.
  CHECK(http_get("127.0.0.1", tracker.port(), "/stats").body.find(R"("http_requests":2)") != std::string::npos);
}

TEST_CASE("a fragmented announce with a ping between its fragments: pong first, then the reply", "[framing]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  raw_websocket client(tracker.port());
  const std::string message = announce(make_id<proto::info_hash>(3), make_id<proto::peer_id>(4), 0);
  const std::size_t half = message.size() / 2;
  client.send(frame(text_op, message.substr(0, half), true) + frame(ping_op, "still here") +
              frame(continuation_op, message.substr(half, 5), true) + frame(continuation_op, message.substr(half + 5)));
  const auto pong = client.read_frame();
  CHECK(pong.byte0 == (0x80 | pong_op));
  CHECK(pong.payload == "still here");
  const auto reply = client.read_frame();
  CHECK(reply.byte0 == (0x80 | text_op));
  CHECK(expect_message<wt::announce_response>(reply.payload).complete == 1);
}

TEST_CASE("protocol violations close the connection with their code", "[framing]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_message_bytes = 16384\nmax_sdp_bytes = 8192\n"));
  struct violation {
    const char* what;
    std::string bytes;
    std::uint16_t code;
  };
  const std::string valid_json = R"({"action":"scrape"})";
  const violation violations[] = {
      {"an unmasked frame", frame(text_op, valid_json, false, false), 1002},
      {"a binary message", frame(binary_op, valid_json), 1003},
      {"text that is not UTF-8", frame(text_op, "{\"action\":\"scrape\",\"x\":\"\xc3\x28\"}"), 1007},
      {"a reserved opcode", frame(3, valid_json), 1002},
      {"a continuation with no message", frame(continuation_op, valid_json), 1002},
      // Inside a message, another one is a protocol error first, a binary one too.
      {"a binary frame inside a fragmented message", frame(text_op, "{", true) + frame(binary_op, valid_json), 1002},
      {"a fragmented ping", frame(ping_op, "p", true), 1002},
      // Only the header of a 64 KiB frame: refused before any of its payload is sent.
      {"a frame over max_message_bytes", std::string("\x81\xfe\xff\xff\x01\x02\x03\x04", 8), 1009},
      // The same with most of its payload behind it, which the tracker never reads.
      {"a frame over max_message_bytes, payload following",
       std::string("\x81\xfe\xff\xff\x01\x02\x03\x04", 8) + std::string(60000, 'x'), 1009},
  };
  for (const auto& [what, bytes, code] : violations) {
    INFO(what);
    raw_websocket client(tracker.port());
    client.send(bytes);
    const auto close = client.read_frame();
    CHECK(close.opcode() == close_op);
    CHECK(close.close_code() == code);
    // An orderly close (FIN), even with bytes the tracker never read.
    CHECK(client.read_end() == asio::error::eof);
  }
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("oversized_messages":2)"));
}

TEST_CASE("a client that pings without reading the pongs is dropped as a slow reader", "[framing]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_outbound_messages = 4\nwrite_timeout_seconds = 1\n"));
  raw_websocket client(tracker.port(), "13", 4096);
  std::string pings;
  for (int i = 0; i < 500; ++i) pings += frame(ping_op, std::string(125, 'p'));
  // Once the kernel buffers hold all the pongs they can, they queue in the tracker, which at 4
  // stops reading the pings; its write stays stuck, and after write_timeout_seconds the
  // connection goes and the client's writes fail. (Bounded: at most 2,000 x 65 KB.)
  bool open = true;
  for (int i = 0; i < 2000 && open; ++i) open = client.try_send(pings);
  CHECK_FALSE(open);
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("slow_readers":1)"));
}

TEST_CASE("an idle connection gets a ping, then a going-away close frame and an orderly close", "[framing]") {
  // Interval 1 s, idle timeout 2 s: a ping after 1 s of silence, the close after 2.
  tracker_process tracker(tracker_ws_path(),
                          ws_config("idle_timeout_seconds = 2\n",
                                    "[protocol]\nannounce_interval_seconds = 1\npeer_timeout_seconds = 2\n"));
  raw_websocket client(tracker.port());  // sends nothing, and never answers the ping
  const auto start = std::chrono::steady_clock::now();
  const auto ping = client.read_frame();
  CHECK(ping.byte0 == (0x80 | ping_op));
  const auto close = client.read_frame();
  CHECK(close.byte0 == (0x80 | close_op));
  CHECK(close.close_code() == 1001);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(2));
  CHECK(client.read_end() == asio::error::eof);
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("idle_timeouts":1)"));
}

TEST_CASE("bytes of a frame that never ends do not keep a connection alive", "[framing]") {
  // Interval 1 s, idle timeout 2 s: a ping after 1 s of silence, closed after 2.
  tracker_process tracker(tracker_ws_path(),
                          ws_config("idle_timeout_seconds = 2\n",
                                    "[protocol]\nannounce_interval_seconds = 1\npeer_timeout_seconds = 2\n"));
  raw_websocket client(tracker.port());
  // A masked text frame of 100 bytes, sent one byte every 200 ms: never finished within 8 s.
  const std::string trickled = frame(text_op, std::string(100, 'x'));
  bool open = true;
  for (std::size_t i = 0; i < 40 && open; ++i) {
    open = client.try_send(trickled.substr(i, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK_FALSE(open);
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("idle_timeouts":1)"));
}

// Reads `count` frames, each a scrape response.
void read_scrape_replies(raw_websocket& client, int count) {
  for (int i = 0; i < count; ++i) {
    const auto reply = client.read_frame();
    REQUIRE(reply.opcode() == text_op);
    REQUIRE(reply.payload.find(R"("files")") != std::string::npos);
  }
}

TEST_CASE("a client that pipelines requests without reading is slowed down and gets every reply", "[framing]") {
  // A queue of 4 messages, far fewer than the requests: the tracker stops reading the client
  // while the replies wait, instead of dropping it.
  tracker_process tracker(tracker_ws_path(), ws_config("max_outbound_messages = 4\n"));
  raw_websocket client(tracker.port(), "13", 4096);
  constexpr int requests = 1000;
  std::string pipelined;
  for (int i = 0; i < requests; ++i) {
    pipelined += frame(text_op, R"({"action":"scrape","info_hash":"aaaaaaaaaaaaaaaaaaa)" + std::string(1, static_cast<char>('a' + i % 26)) + R"("})");
  }
  client.send(pipelined);  // about 70 KB: the kernel buffers take it whole
  read_scrape_replies(client, requests);
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("slow_readers":0)"));
}

TEST_CASE("a client that pipelines large scrapes while it reads slowly gets every reply", "[framing]") {
  // 400 scrapes of 64 hashes (about 600 KB), written by one thread while another reads the
  // replies (about 1.8 MB, each near 4.6 KB) through a small receive buffer. With request workers
  // the replies come back from other threads: the tracker must stop reading the client by what
  // its requests still owe it, not only by what is queued, or replies past 4 times
  // max_outbound_bytes arrive at once and close it.
  tracker_process tracker(tracker_ws_path(), ws_config("max_outbound_bytes = 65536\n"));
  raw_websocket client(tracker.port(), "13", 4096);
  constexpr int requests = 400;
  std::string pipelined;
  for (int i = 0; i < requests; ++i) {
    std::string hashes;
    for (int h = 0; h < 64; ++h) {
      hashes += (h == 0 ? "\"" : ",\"") + std::string(18, 'a') + static_cast<char>('a' + h % 26) +
                static_cast<char>('a' + h / 26) + "\"";
    }
    pipelined += frame(text_op, R"({"action":"scrape","info_hash":[)" + hashes + "]}");
  }
  bool sent = false;
  {
    std::thread writer([&] { sent = client.send_from_another_thread(pipelined); });
    struct join_at_exit {  // also when a check throws: the writer stops with the socket
      std::thread& writer;
      raw_websocket& client;
      ~join_at_exit() {
        client.shut_down();
        writer.join();
      }
    } joined{writer, client};
    read_scrape_replies(client, requests);
  }
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("slow_readers":0)"));
}

TEST_CASE("a client's close frame is echoed with its code, then the tracker closes TCP", "[framing]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  raw_websocket client(tracker.port());
  client.send(frame(close_op, std::string("\x0f\xa0", 2) + "done"));  // 4000
  const auto echo = client.read_frame();
  CHECK(echo.opcode() == close_op);
  CHECK(echo.close_code() == 4000);
  CHECK(client.closed_by_tracker());

  // A close without a code is answered without one.
  raw_websocket quiet(tracker.port());
  quiet.send(frame(close_op, ""));
  const auto bare = quiet.read_frame();
  CHECK(bare.opcode() == close_op);
  CHECK(bare.payload.empty());
  CHECK(quiet.closed_by_tracker());
}

}  // namespace
}  // namespace riptide::test
