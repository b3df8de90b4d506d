#include "tracker/runtime/log.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <mutex>
#include <ctime>
#include <string>
#include <thread>

#include "tracker/proto/utf8.hpp"

namespace riptide::runtime {
namespace {

std::atomic<config::log_level> current_level{config::log_level::info};

std::string_view level_name(config::log_level level) {
  switch (level) {
    case config::log_level::debug: return "DEBUG";
    case config::log_level::info: return "INFO";
    case config::log_level::warning: return "WARN";
    case config::log_level::error: return "ERROR";
  }
  return "?";
}

// A reader of stderr that stalls (a paused pager, a stuck log shipper) must not stop the tracker,
// nor its graceful stop. Where stderr is a pipe or a socket, a line waits at most log_patience for
// its turn and for room, then is dropped and counted. Lines go out one at a time, and each write
// is of at most PIPE_BUF bytes once poll() has seen room: a pipe then has a free page and takes it
// whole without blocking, on any kernel; a socket is written with MSG_DONTWAIT. A terminal or a
// file is written as it comes: neither waits on a reader.
constexpr std::chrono::milliseconds log_patience{100};
// Taken with try_lock, retried every 200 µs until the line's deadline: a timed mutex waits on the
// steady clock through pthread_mutex_clocklock, which ThreadSanitizer (GCC 12) does not see, so it
// took every unlock for an error. Lines seldom meet, so the retries cost nothing in practice.
constexpr std::chrono::microseconds turn_retry{200};
std::mutex stderr_turn;
std::atomic<std::uint64_t> dropped_lines{0};
bool line_cut = false;  // under stderr_turn: the last line stopped part-way; the next starts a new one

enum class stderr_kind { other, pipe, socket };

stderr_kind kind_of_stderr() {
  struct stat status {};
  if (::fstat(STDERR_FILENO, &status) != 0) return stderr_kind::other;
  if (S_ISFIFO(status.st_mode)) return stderr_kind::pipe;
  if (S_ISSOCK(status.st_mode)) return stderr_kind::socket;
  return stderr_kind::other;
}

// As much of `text` as stderr takes by `deadline`; what is left of it.
std::string_view write_by(std::string_view text, stderr_kind kind, std::chrono::steady_clock::time_point deadline) {
  while (!text.empty()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd room{STDERR_FILENO, POLLOUT, 0};
    const int ready = ::poll(&room, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || (room.revents & (POLLERR | POLLNVAL)) != 0) break;
    const std::string_view piece = text.substr(0, PIPE_BUF);
    const ssize_t written = kind == stderr_kind::socket
                                ? ::send(STDERR_FILENO, piece.data(), piece.size(), MSG_DONTWAIT | MSG_NOSIGNAL)
                                : ::write(STDERR_FILENO, piece.data(), piece.size());
    if (written < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (written <= 0) break;  // nowhere to log to; never block or throw over it
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return text;
}

bool take_turn(std::unique_lock<std::mutex>& turn, std::chrono::steady_clock::time_point deadline) {
  while (!turn.try_lock()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(turn_retry);
  }
  return true;
}

// The whole line, or false: dropped (or cut short) for want of room or of a turn in time.
bool write_with_patience(std::string_view line) {
  const auto deadline = std::chrono::steady_clock::now() + log_patience;
  std::unique_lock turn(stderr_turn, std::defer_lock);
  if (!take_turn(turn, deadline)) return false;
  const stderr_kind kind = kind_of_stderr();
  if (kind == stderr_kind::other) {
    for (std::string_view rest = line; !rest.empty();) {
      const ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return false;
      rest.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
  }
  if (line_cut) {
    if (!write_by("\n", kind, deadline).empty()) return false;
    line_cut = false;
  }
  const std::string_view rest = write_by(line, kind, deadline);
  const std::size_t sent = line.size() - rest.size();
  line_cut = !rest.empty() && sent != 0 && line[sent - 1] != '\n';
  return rest.empty();
}

}  // namespace

void append_escaped_controls(std::string& out, std::string_view text, backslashes backslash) {
  constexpr char hex_digits[] = "0123456789abcdef";
  const auto escape = [&](unsigned char byte) {
    out += "\\x";
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 0xf];
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte == '\\') {
        out += backslash == backslashes::doubled ? "\\\\" : "\\";
      } else if (byte < 0x20 || byte == 0x7f) {
        escape(byte);
      } else {
        out += text[i];
      }
      ++i;
      continue;
    }
    // U+0080..U+009F are the C1 controls (0xc2 0x80..0x9f), CSI among them.
    const std::size_t length = proto::utf8_sequence_length(text.substr(i));
    const bool c1_control = length == 2 && byte == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if (length == 0 || c1_control) {
      for (std::size_t k = 0; k < std::max<std::size_t>(length, 1); ++k) escape(static_cast<unsigned char>(text[i + k]));
      i += std::max<std::size_t>(length, 1);
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
}

void set_log_level(config::log_level level) { current_level.store(level, std::memory_order_relaxed); }

bool log_enabled(config::log_level level) { return level >= current_level.load(std::memory_order_relaxed); }

void write_log_line(config::log_level level, std::string_view message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char stamp[40];
  const auto stamp_length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);

  std::string line;
  line.reserve(64 + message.size());
  const auto start_line = [&](config::log_level line_level) {
    line.append(stamp, stamp_length);
    line += '.';
    line += static_cast<char>('0' + millis / 100);
    line += static_cast<char>('0' + millis / 10 % 10);
    line += static_cast<char>('0' + millis % 10);
    line += "Z ";
    line += level_name(line_level);
    line += ' ';
  };
  // Lines dropped before this one are owned up to first, in the same write.
  const std::uint64_t dropped = dropped_lines.exchange(0, std::memory_order_relaxed);
  if (dropped != 0) {
    start_line(config::log_level::warning);
    line += std::to_string(dropped) + " log line(s) dropped: stderr took none for " +
            std::to_string(log_patience.count()) + " ms\n";
  }
  start_line(level);
  append_escaped_controls(line, message);
  line += '\n';
  // Whole, after the lines of other threads, or dropped and counted.
  if (!write_with_patience(line)) dropped_lines.fetch_add(dropped + 1, std::memory_order_relaxed);
}

void write_error_line(std::string_view program, std::string_view message) {
  std::string line(program);
  line += ": ";
  append_escaped_controls(line, message);
  line += '\n';
  write_with_patience(line);
}

}  // namespace riptide::runtime
