// The logger: a message with control characters in it (from a file's line, a path, a peer's
// bytes) stays on its one line and cannot drive the terminal.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <string>

#include "tracker/runtime/log.hpp"

namespace riptide::runtime {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  append_escaped_controls(out, text);
  return out;
}

// What write_log_line writes to stderr, read back through a pipe put in its place.
std::string logged_line(std::string_view message) {
  std::array<int, 2> pipe_ends{};
  REQUIRE(::pipe(pipe_ends.data()) == 0);
  const int saved_stderr = ::dup(STDERR_FILENO);
  REQUIRE(saved_stderr >= 0);
  REQUIRE(::dup2(pipe_ends[1], STDERR_FILENO) == STDERR_FILENO);
  write_log_line(config::log_level::error, message);
  ::dup2(saved_stderr, STDERR_FILENO);
  ::close(saved_stderr);
  ::close(pipe_ends[1]);
  std::string text;
  std::array<char, 4096> buffer{};
  for (ssize_t got; (got = ::read(pipe_ends[0], buffer.data(), buffer.size())) > 0;) {
    text.append(buffer.data(), static_cast<std::size_t>(got));
  }
  ::close(pipe_ends[0]);
  return text;
}

TEST_CASE("control characters and backslashes are written as escapes, the rest as it is", "[log]") {
  CHECK(escaped("plain text: 0123 [] {}") == "plain text: 0123 [] {}");
  CHECK(escaped("a\nb") == "a\\x0ab");
  CHECK(escaped("\x1b[2J") == "\\x1b[2J");
  CHECK(escaped(std::string_view("nul\0end", 7)) == "nul\\x00end");
  CHECK(escaped("tab\there\r") == "tab\\x09here\\x0d");
  CHECK(escaped("del\x7f") == "del\\x7f");
  CHECK(escaped("C:\\path") == "C:\\\\path");
  CHECK(escaped("caf\xc3\xa9 \xff") == "caf\xc3\xa9 \xff");  // bytes >= 0x80 untouched
}

TEST_CASE("a logged message with a newline in it stays one line", "[log]") {
  const std::string line = logged_line("access list line 3: \"ab\ncd\x1b[31m\"");
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line.find("ERROR access list line 3: \"ab\\x0acd\\x1b[31m\"") != std::string::npos);
}

}  // namespace
}  // namespace riptide::runtime
