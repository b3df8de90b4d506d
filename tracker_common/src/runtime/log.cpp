#include "tracker/runtime/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

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

}  // namespace

void append_escaped_controls(std::string& out, std::string_view text) {
  constexpr char hex_digits[] = "0123456789abcdef";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\\') {
      out += "\\\\";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += hex_digits[byte >> 4];
      out += hex_digits[byte & 0xf];
    } else {
      out += c;
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
  line.append(stamp, stamp_length);
  line += '.';
  line += static_cast<char>('0' + millis / 100);
  line += static_cast<char>('0' + millis / 10 % 10);
  line += static_cast<char>('0' + millis % 10);
  line += "Z ";
  line += level_name(level);
  line += ' ';
  append_escaped_controls(line, message);
  line += '\n';
  // One write per line: POSIX keeps writes to a pipe of up to PIPE_BUF bytes whole.
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (written <= 0) return;  // nowhere to log to; never block or throw over it
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace riptide::runtime
