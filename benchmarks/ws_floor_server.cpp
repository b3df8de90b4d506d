// The least a WebSocket tracker can do per message, to measure what the kernel alone costs:
// one thread, level-triggered epoll (no re-arming), one recv per readable socket, and for each
// text message in it a reply of the size tracker_ws sends (an announce response, or a scrape
// response of one file), every reply of one read in one send. It keeps no swarm, reads no JSON
// (a message is a scrape when its text starts as load_test's scrapes do) and relays nothing, so
// it is a floor for `load_test ws` without offers only. Not a tracker: a benchmark tool.
//   ws_floor_server PORT     listens on 127.0.0.1:PORT, prints `ready`, ends on SIGTERM or SIGINT
//   ws_floor_server PORT HOLD_US   the same, but after each round of work it sleeps HOLD_US
//                            microseconds before it waits again, so that what comes in meanwhile is
//                            taken in one wake-up: what holding replies back would save, and cost
// Run beside tracker_ws and the reference by scripts/ab-ws.sh (`--b floor`); docs/benchmarks.md.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tracker/proto/websocket_frames.hpp"
#include "tracker/proto/websocket_handshake.hpp"
#include "tracker/proto/webtorrent_codec.hpp"

namespace {

using namespace riptide;
namespace websocket = proto::websocket;
namespace wt = proto::webtorrent;

constexpr std::size_t max_request_bytes = 8192;     // a handshake longer than this is dropped
constexpr std::size_t max_pending_bytes = 1 << 20;  // a frame longer than this is dropped
constexpr std::string_view scrape_start = R"({"action":"scrape")";

struct connection {
  bool upgraded = false;
  std::string pending;  // a handshake or a frame not whole yet
};

std::string frame(std::string_view payload) {
  std::array<std::uint8_t, websocket::max_server_header_bytes> header{};
  const std::size_t bytes = websocket::write_frame_header(websocket::opcode::text, payload.size(), header);
  std::string out(reinterpret_cast<const char*>(header.data()), bytes);
  out += payload;
  return out;
}

// Replies of the sizes tracker_ws sends to load_test: an announce response, a scrape of one hash.
std::string announce_reply() {
  proto::info_hash hash{};
  hash.bytes.fill('a');
  return frame(wt::encode_announce_response({hash, 120, 3, 7, {}}));
}

std::string scrape_reply() {
  proto::info_hash hash{};
  hash.bytes.fill('a');
  wt::scrape_response response;
  response.files.push_back({hash, {3, 7, 11}});
  return frame(wt::encode_scrape_response(response));
}

std::string_view header_value(std::string_view request, std::string_view name) {
  for (std::size_t at = request.find("\r\n"); at != std::string_view::npos; at = request.find("\r\n", at + 2)) {
    const std::string_view line = request.substr(at + 2, request.find("\r\n", at + 2) - (at + 2));
    if (line.size() <= name.size() || line[name.size()] != ':') continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = std::tolower(line[i]) == std::tolower(name[i]);
    if (!same) continue;
    std::string_view value = line.substr(name.size() + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return value;
  }
  return {};
}

class floor_server {
 public:
  floor_server(std::uint16_t port, long hold_us)
      : announce_reply_(announce_reply()), scrape_reply_(scrape_reply()), hold_us_(hold_us) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener_, 4096) != 0) {
      std::fprintf(stderr, "ws_floor_server: cannot listen on 127.0.0.1:%u: %s\n", port, std::strerror(errno));
      std::exit(1);
    }
    watch(listener_);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    signals_ = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    watch(signals_);
  }

  void run() {
    std::printf("ready\n");
    std::fflush(stdout);
    std::array<epoll_event, 256> events{};
    for (;;) {
      const int count = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
      if (count < 0 && errno != EINTR) return;
      for (int i = 0; i < count; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == signals_) return;
        if (fd == listener_) {
          accept_all();
        } else {
          on_readable(fd);
        }
      }
      if (hold_us_ > 0 && count > 0) usleep(static_cast<useconds_t>(hold_us_));
    }
  }

 private:
  void watch(int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int on = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      connections_[fd];
      watch(fd);
    }
  }

  void drop(int fd) {
    connections_.erase(fd);
    close(fd);  // also leaves the epoll set
  }

  void on_readable(int fd) {
    const ssize_t got = recv(fd, buffer_.data(), buffer_.size(), 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) return drop(fd);
    connection& peer = connections_[fd];
    std::string_view input(buffer_.data(), static_cast<std::size_t>(got));
    if (!peer.pending.empty()) {
      peer.pending.append(input);
      input = peer.pending;
    }
    replies_.clear();
    std::size_t used = 0;
    const bool keep = peer.upgraded ? take_frames(input, used) : take_handshake(peer, input, used);
    if (!keep) return drop(fd);
    const std::string rest(input.substr(used));
    if (rest.size() > max_pending_bytes) return drop(fd);
    peer.pending = rest;
    if (replies_.empty()) return;
    // It keeps no outbound queue: a client that does not take every reply at once is dropped
    // (it is measured well below capacity, where a socket always has room).
    const ssize_t sent = send(fd, replies_.data(), replies_.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(replies_.size())) drop(fd);
  }

  bool take_handshake(connection& peer, std::string_view input, std::size_t& used) {
    const std::size_t end = input.find("\r\n\r\n");
    if (end == std::string_view::npos) return input.size() <= max_request_bytes;
    const std::string_view key = header_value(input.substr(0, end + 2), "Sec-WebSocket-Key");
    if (key.empty()) return false;
    replies_ += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: ";
    replies_ += websocket::accept_key(key);
    replies_ += "\r\n\r\n";
    peer.upgraded = true;
    used = end + 4;
    std::size_t more = 0;
    const bool keep = take_frames(input.substr(used), more);
    used += more;
    return keep;
  }

  // Whole client frames (masked, RFC 6455 5.2): a reply to each text frame; false on a close.
  bool take_frames(std::string_view input, std::size_t& used) {
    for (;;) {
      const std::string_view frame = input.substr(used);
      if (frame.size() < 6) return true;
      const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(frame[i]); };
      const unsigned opcode = byte(0) & 0x0f;
      std::uint64_t length = byte(1) & 0x7f;
      std::size_t header = 2;
      if (length == 126) {
        length = (std::uint64_t{byte(2)} << 8) | byte(3);
        header = 4;
      } else if (length == 127) {
        if (frame.size() < 10) return true;
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
        header = 10;
      }
      if (length > max_pending_bytes) return false;
      if (frame.size() < header + 4 + length) return true;
      if (opcode == 0x8) return false;
      if (opcode == 0x1) {
        bool scrape = length >= scrape_start.size();
        for (std::size_t i = 0; i < scrape_start.size() && scrape; ++i) {
          scrape = static_cast<char>(byte(header + 4 + i) ^ byte(header + i % 4)) == scrape_start[i];
        }
        replies_ += scrape ? scrape_reply_ : announce_reply_;
      }
      used += header + 4 + length;
    }
  }

  const std::string announce_reply_;
  const std::string scrape_reply_;
  const long hold_us_;
  int epoll_ = -1;
  int listener_ = -1;
  int signals_ = -1;
  std::unordered_map<int, connection> connections_;
  std::array<char, 65536> buffer_{};
  std::string replies_;
};

// A whole decimal number from min to max, or -1.
long whole_number(const char* text, long min, long max) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || value < min || value > max) return -1;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  const long port = argc == 2 || argc == 3 ? whole_number(argv[1], 1, 65535) : -1;
  const long hold_us = argc == 3 ? whole_number(argv[2], 0, 1000000) : 0;
  if (port < 0 || hold_us < 0) {
    std::fprintf(stderr, "usage: ws_floor_server PORT [HOLD_US 0..1000000]\n");
    return 2;
  }
  floor_server(static_cast<std::uint16_t>(port), hold_us).run();
  return 0;
}
