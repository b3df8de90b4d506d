#pragma once
// A minimal thread-safe logger: one line per call, written to stderr one line at a time, so lines
// from different threads never interleave. Arguments are streamed one after the other:
//   log_info("bound ", address, ':', port);
// Timestamps are UTC, ISO 8601. Control characters in a message (from a file's line, a path) are
// written as \xNN, so that no message can end its line early or hold a terminal escape sequence:
// ASCII's and the C1 controls, and every byte that is not part of well-formed UTF-8; other UTF-8
// passes as it is. A line stderr does not take within 100 ms (its reader stalled) is dropped, and
// the next line written says how many were.

#include <sstream>
#include <string>
#include <string_view>

#include "tracker/config/common_config.hpp"

namespace riptide::runtime {

void set_log_level(config::log_level level);
// Appends `text` with every byte below 0x20, 0x7F, the C1 controls U+0080..U+009F and the bytes of
// ill-formed UTF-8 written as \xNN, and `\` as \\ (so that no text passes for an escape) unless
// kept `as_is` (text whose backslashes are escapes already, as a configuration error's TOML is).
enum class backslashes { doubled, as_is };
void append_escaped_controls(std::string& out, std::string_view text, backslashes backslash = backslashes::doubled);
bool log_enabled(config::log_level level);
void write_log_line(config::log_level level, std::string_view message);
// For the error that ends a start-up: "program: message" on one line, without a timestamp,
// escaped and written as log lines are.
void write_error_line(std::string_view program, std::string_view message);

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
