#pragma once
// A minimal thread-safe logger: one line per call, written to stderr with a single write(2), so
// lines from different threads never interleave. Arguments are streamed one after the other:
//   log_info("bound ", address, ':', port);
// Timestamps are UTC, ISO 8601. ASCII control characters in a message (from a file's line, a
// path) are written as \xNN, so that no message can end its line early or hold a terminal escape
// sequence; bytes from 0x80 up pass as they are (UTF-8).

#include <sstream>
#include <string>
#include <string_view>

#include "tracker/config/common_config.hpp"

namespace riptide::runtime {

void set_log_level(config::log_level level);
// Appends `text` with every byte below 0x20, 0x7F and `\` written as \xNN (`\` as \\).
void append_escaped_controls(std::string& out, std::string_view text);
bool log_enabled(config::log_level level);
void write_log_line(config::log_level level, std::string_view message);

template <typename... Args>
void log(config::log_level level, const Args&... args) {
  if (!log_enabled(level)) return;
  std::ostringstream line;
  (line << ... << args);
  write_log_line(level, line.view());
}

template <typename... Args>
void log_debug(const Args&... args) { log(config::log_level::debug, args...); }
template <typename... Args>
void log_info(const Args&... args) { log(config::log_level::info, args...); }
template <typename... Args>
void log_warning(const Args&... args) { log(config::log_level::warning, args...); }
template <typename... Args>
void log_error(const Args&... args) { log(config::log_level::error, args...); }

}  // namespace riptide::runtime
