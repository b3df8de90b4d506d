#include "tracker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace riptide::test {
namespace {

using clock = std::chrono::steady_clock;

void split_lines(std::string& buffer, std::vector<std::string>& lines) {
  std::size_t newline;
  while ((newline = buffer.find('\n')) != std::string::npos) {
    lines.push_back(buffer.substr(0, newline));
    buffer.erase(0, newline + 1);
  }
}

// Reads whatever is available on `fd` into `buffer`; false at end of file.
bool read_into(int fd, std::string& buffer) {
  char chunk[4096];
  const ssize_t got = ::read(fd, chunk, sizeof chunk);
  if (got > 0) {
    buffer.append(chunk, static_cast<std::size_t>(got));
    return true;
  }
  return got < 0 && (errno == EAGAIN || errno == EINTR);
}

pid_t spawn(const std::string& executable, const std::vector<std::string>& arguments, int& out_fd, int& err_fd) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(executable.c_str()));
  for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  // In a ThreadSanitizer build the first report ends the tracker (exit 66), so that the test sees
  // it fail instead of a warning on a stderr nobody reads; the caller's TSAN_OPTIONS win.
  static const std::string halt_on_race = "TSAN_OPTIONS=halt_on_error=1";
  std::vector<char*> envp;
  for (char** variable = environ; *variable != nullptr; ++variable) envp.push_back(*variable);
  if (::getenv("TSAN_OPTIONS") == nullptr) envp.push_back(const_cast<char*>(halt_on_race.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::execve(executable.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd = out_pipe[0];
  err_fd = err_pipe[0];
  ::fcntl(out_fd, F_SETFL, O_NONBLOCK);
  ::fcntl(err_fd, F_SETFL, O_NONBLOCK);
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

std::string make_temporary_directory() {
  std::string pattern = "/tmp/riptide-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace

temporary_file::temporary_file(const std::string& contents)
    : directory_(make_temporary_directory()), path_(directory_ + "/file") {
  write(contents);
}

temporary_file::~temporary_file() {
  ::unlink(path_.c_str());
  ::rmdir(directory_.c_str());
}

void temporary_file::write(const std::string& contents) const {
  // Write a new file and rename it over the old one, so a reader never sees half a file.
  const std::string staging = path_ + ".new";
  {
    std::ofstream out(staging, std::ios::binary | std::ios::trunc);
    out << contents;
  }
  ::rename(staging.c_str(), path_.c_str());
}

tracker_process::tracker_process(const std::string& executable, const std::string& config_text,
                                 std::chrono::milliseconds startup_timeout) {
  std::string directory = make_temporary_directory();
  config_path_ = directory + "/tracker.toml";
  {
    std::ofstream out(config_path_);
    out << config_text;
  }
  pid_ = spawn(executable, {"-c", config_path_}, stdout_fd_, stderr_fd_);

  const auto deadline = clock::now() + startup_timeout;
  for (;;) {
    for (const std::string& line : stdout_lines_) {
      if (line == "ready") return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    int status = 0;
    if (left.count() <= 0 || ::waitpid(pid_, &status, WNOHANG) == pid_) {
      if (left.count() > 0) pid_ = -1;  // it exited
      read_available(std::chrono::milliseconds(0));
      std::string printed;
      for (const std::string& line : stdout_lines_) printed += line + "\n";
      for (const std::string& line : log_lines_) printed += line + "\n";
      printed += stderr_buffer_;
      // The destructor does not run for a constructor that throws: kill and reap the child (if it
      // is still running) and release what it holds here.
      release();
      throw std::runtime_error("tracker did not become ready; it printed:\n" + printed);
    }
    read_available(std::min(left, std::chrono::milliseconds(100)));
    for (const std::string& line : stdout_lines_) {
      const auto colon = line.rfind(':');
      for (const char* name : {"listening udp4 ", "listening ws4 ", "listening wss4 "}) {
        if (line.rfind(name, 0) == 0) has_ipv4_ = true;
      }
      for (const char* name : {"listening udp6 ", "listening ws6 ", "listening wss6 "}) {
        if (line.rfind(name, 0) == 0) has_ipv6_ = true;
      }
      if (line.rfind("listening ", 0) == 0 && colon != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
      }
    }
  }
}

tracker_process::~tracker_process() { release(); }

void tracker_process::release() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
  stdout_fd_ = -1;
  stderr_fd_ = -1;
  if (!config_path_.empty()) {
    ::unlink(config_path_.c_str());
    ::rmdir(config_path_.substr(0, config_path_.rfind('/')).c_str());
    config_path_.clear();
  }
}

void tracker_process::read_available(std::chrono::milliseconds timeout) {
  // A pipe at end of file is closed and left out (poll ignores -1), so that waiting on a tracker
  // that has exited sleeps until the deadline instead of spinning on POLLHUP.
  pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
  if (stdout_fd_ < 0 && stderr_fd_ < 0) {
    if (timeout.count() > 0) ::poll(nullptr, 0, static_cast<int>(timeout.count()));
    return;
  }
  if (::poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return;
  const auto drain = [](int& fd, short revents, std::string& buffer) {
    if (fd < 0 || (revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
    if (!read_into(fd, buffer)) {
      ::close(fd);
      fd = -1;
    }
  };
  drain(stdout_fd_, fds[0].revents, stdout_buffer_);
  drain(stderr_fd_, fds[1].revents, stderr_buffer_);
  split_lines(stdout_buffer_, stdout_lines_);
  split_lines(stderr_buffer_, log_lines_);
}

void tracker_process::send_signal(int signal_number) const {
  if (pid_ > 0) ::kill(pid_, signal_number);
}

std::optional<std::string> tracker_process::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  for (;;) {
    while (log_lines_consumed_ < log_lines_.size()) {
      const std::string& line = log_lines_[log_lines_consumed_++];
      if (line.find(text) != std::string::npos) return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return std::nullopt;
    read_available(std::min(left, std::chrono::milliseconds(100)));
  }
}

int tracker_process::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      // Everything it wrote before it went, to the end of both pipes (bounded: nobody else holds them).
      const auto drained_by = clock::now() + std::chrono::seconds(2);
      while ((stdout_fd_ >= 0 || stderr_fd_ >= 0) && clock::now() < drained_by) {
        read_available(std::chrono::milliseconds(100));
      }
      return decode_status(status);
    }
    if (clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return -SIGKILL;
    }
    read_available(std::chrono::milliseconds(20));
  }
}

command_result run_command(const std::string& executable, const std::vector<std::string>& arguments,
                           std::chrono::milliseconds timeout) {
  int out_fd = -1;
  int err_fd = -1;
  const pid_t pid = spawn(executable, arguments, out_fd, err_fd);
  command_result result;
  const auto deadline = clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out_fd : -1, POLLIN, 0}, {err_open ? err_fd : -1, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP)) != 0) out_open = read_into(out_fd, result.standard_output);
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP)) != 0) err_open = read_into(err_fd, result.standard_error);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out_fd);
  ::close(err_fd);
  result.exit_status = decode_status(status);
  return result;
}

}  // namespace riptide::test
