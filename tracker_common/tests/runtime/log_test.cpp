// The logger: a message with control characters in it (from a file's line, a path, a peer's
// bytes) stays on its one line and cannot drive the terminal; a reader of stderr that stalls
// cannot stop the logging thread.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tracker/runtime/log.hpp"

namespace riptide::runtime {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  append_escaped_controls(out, text);
  return out;
}

// A pipe, both ends closed with the object.
struct pipe_ends {
  std::array<int, 2> fds{-1, -1};
  pipe_ends() { REQUIRE(::pipe(fds.data()) == 0); }
  ~pipe_ends() {
    for (const int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  pipe_ends(const pipe_ends&) = delete;
  pipe_ends& operator=(const pipe_ends&) = delete;
  int read_end() const { return fds[0]; }
  int write_end() const { return fds[1]; }
  void close_write_end() {
    ::close(fds[1]);
    fds[1] = -1;
  }
  // Everything until end of file (the write end closed).
  std::string read_all() const {
    std::string text;
    std::array<char, 4096> buffer{};
    for (ssize_t got; (got = ::read(read_end(), buffer.data(), buffer.size())) > 0;) {
      text.append(buffer.data(), static_cast<std::size_t>(got));
    }
    return text;
  }
};

// stderr pointed at `descriptor` for the object's life, then put back, whatever a test does.
class stderr_redirect {
 public:
  explicit stderr_redirect(int descriptor) : saved_(::dup(STDERR_FILENO)) {
    REQUIRE(saved_ >= 0);
    if (::dup2(descriptor, STDERR_FILENO) != STDERR_FILENO) {
      ::close(saved_);
      FAIL("dup2 onto stderr");
    }
  }
  ~stderr_redirect() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  stderr_redirect(const stderr_redirect&) = delete;
  stderr_redirect& operator=(const stderr_redirect&) = delete;

 private:
  int saved_;
};

// What write_log_line writes to stderr, read back through a pipe put in its place.
std::string logged_line(std::string_view message) {
  pipe_ends pipe;
  {
    const stderr_redirect redirect(pipe.write_end());
    write_log_line(config::log_level::error, message);
  }
  pipe.close_write_end();
  return pipe.read_all();
}

// A pipe nobody reads, full (blocking, as a shell's pipe is).
void fill(const pipe_ends& pipe) {
  ::fcntl(pipe.write_end(), F_SETPIPE_SZ, 4096);
  REQUIRE(::fcntl(pipe.write_end(), F_SETFL, O_NONBLOCK) == 0);
  const std::string filler(512, 'x');
  while (::write(pipe.write_end(), filler.data(), filler.size()) > 0) {
  }
  REQUIRE(errno == EAGAIN);
  REQUIRE(::fcntl(pipe.write_end(), F_SETFL, 0) == 0);
}

void drain(const pipe_ends& pipe) {
  REQUIRE(::fcntl(pipe.read_end(), F_SETFL, O_NONBLOCK) == 0);
  std::array<char, 4096> buffer{};
  while (::read(pipe.read_end(), buffer.data(), buffer.size()) > 0) {
  }
}

TEST_CASE("control characters and backslashes are written as escapes, the rest as it is", "[log]") {
  CHECK(escaped("plain text: 0123 [] {}") == "plain text: 0123 [] {}");
  CHECK(escaped("a\nb") == "a\\x0ab");
  CHECK(escaped("\x1b[2J") == "\\x1b[2J");
  CHECK(escaped(std::string_view("nul\0end", 7)) == "nul\\x00end");
  CHECK(escaped("tab\there\r") == "tab\\x09here\\x0d");
  CHECK(escaped("del\x7f") == "del\\x7f");
  CHECK(escaped("C:\\path") == "C:\\\\path");
}

TEST_CASE("UTF-8 passes as it is and the C1 controls and ill-formed bytes are escaped", "[log]") {
  CHECK(escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(escaped("\xc2\xa0") == "\xc2\xa0");                  // U+00A0, past the C1 controls
  CHECK(escaped("\xc2\x9b" "2J") == "\\xc2\\x9b2J");         // U+009B, CSI
  CHECK(escaped("\x9b" "2J") == "\\x9b2J");                 // CSI as one byte, not UTF-8
  CHECK(escaped("\xff\xfe") == "\\xff\\xfe");
  CHECK(escaped("\xc3") == "\\xc3");                        // cut short
  CHECK(escaped("\xc0\xaf") == "\\xc0\\xaf");               // overlong '/'
  CHECK(escaped("\xed\xa0\x80") == "\\xed\\xa0\\x80");      // a surrogate
  CHECK(escaped("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
}

TEST_CASE("a line stderr does not take in time is dropped and owned up to by the next one", "[log]") {
  pipe_ends pipe;
  fill(pipe);
  std::chrono::steady_clock::duration waited{};
  {
    const stderr_redirect redirect(pipe.write_end());
    const auto started = std::chrono::steady_clock::now();
    write_log_line(config::log_level::error, "nobody reads this");
    waited = std::chrono::steady_clock::now() - started;
    // The reader catches up: what the pipe held is read, then the next line goes through.
    drain(pipe);
    write_log_line(config::log_level::error, "read again");
  }
  pipe.close_write_end();
  const std::string text = pipe.read_all();
  CHECK(waited < std::chrono::seconds(5));  // a hang would never get here; 100 ms is the design
  INFO(text);
  CHECK(text.find("WARN 1 log line(s) dropped: stderr took none for 100 ms\n") != std::string::npos);
  CHECK(text.find("ERROR read again\n") != std::string::npos);
  CHECK(text.find("nobody reads this") == std::string::npos);
}

TEST_CASE("a logged message with a newline in it stays one line", "[log]") {
  const std::string line = logged_line("access list line 3: \"ab\ncd\x1b[31m\"");
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line.find("ERROR access list line 3: \"ab\\x0acd\\x1b[31m\"") != std::string::npos);
}

TEST_CASE("a line waiting for its turn behind a stuck one gives up in time too", "[log]") {
  pipe_ends pipe;
  fill(pipe);
  std::chrono::steady_clock::duration waited{};
  {
    const stderr_redirect redirect(pipe.write_end());
    const auto started = std::chrono::steady_clock::now();
    // Whichever line takes the turn first is stuck on the full pipe; the other waits for the turn.
    std::thread stuck([] { write_log_line(config::log_level::error, "stuck on the full pipe"); });
    write_log_line(config::log_level::error, "behind it");
    stuck.join();
    waited = std::chrono::steady_clock::now() - started;
    drain(pipe);
    write_log_line(config::log_level::error, "read again");
  }
  pipe.close_write_end();
  const std::string text = pipe.read_all();
  CHECK(waited < std::chrono::seconds(5));  // about 200 ms by design; a hang never gets here
  INFO(text);
  CHECK(text.find("WARN 2 log line(s) dropped: stderr took none for 100 ms\n") != std::string::npos);
  CHECK(text.find("ERROR read again\n") != std::string::npos);
}

TEST_CASE("lines logged by many threads at once come out whole, one after the other", "[log]") {
  constexpr int threads = 4;
  constexpr int lines_each = 300;
  pipe_ends pipe;
  std::string text;
  std::thread reader([&] { text = pipe.read_all(); });
  {
    const stderr_redirect redirect(pipe.write_end());
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t) {
      writers.emplace_back([t] {
        for (int i = 0; i < lines_each; ++i) {
          write_log_line(config::log_level::info, "thread " + std::to_string(t) + " line " + std::to_string(i) +
                                                      " " + std::string(100, static_cast<char>('a' + t)));
        }
      });
    }
    for (auto& writer : writers) writer.join();
  }
  pipe.close_write_end();
  reader.join();
  std::array<int, threads> next{};
  int whole = 0;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = text.find('\n', start);
    REQUIRE(end != std::string::npos);
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const auto at = line.find(" INFO thread ");
    REQUIRE(at != std::string::npos);
    int t = -1;
    int i = -1;
    REQUIRE(std::sscanf(line.c_str() + at, " INFO thread %d line %d", &t, &i) == 2);
    REQUIRE((t >= 0 && t < threads));
    CHECK(i == next[static_cast<std::size_t>(t)]++);  // each thread's lines in order, none lost
    CHECK(line.ends_with(" " + std::string(100, static_cast<char>('a' + t))));
    ++whole;
  }
  CHECK(whole == threads * lines_each);
}

}  // namespace
}  // namespace riptide::runtime
