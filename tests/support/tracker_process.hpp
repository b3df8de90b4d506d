#pragma once
// Starts a tracker executable as a child process with a config written to a temporary file, waits
// for its "ready" line (never a sleep), and reads what it prints. Used by the integration tests.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace riptide::test {

class tracker_process {
 public:
  // Starts `executable -c <file with config_text>`; throws std::runtime_error if it does not print
  // "ready" within `startup_timeout` (the message includes what it printed).
  tracker_process(const std::string& executable, const std::string& config_text,
                  std::chrono::milliseconds startup_timeout = std::chrono::seconds(10));
  ~tracker_process();
  tracker_process(const tracker_process&) = delete;
  tracker_process& operator=(const tracker_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool has_ipv4() const { return has_ipv4_; }
  bool has_ipv6() const { return has_ipv6_; }

  void send_signal(int signal_number) const;

  // Waits until a stderr line containing `text` appears (lines seen before count too, once each:
  // a consumed line is not matched again). Returns the line, or nullopt at the deadline.
  std::optional<std::string> wait_for_log(const std::string& text, std::chrono::milliseconds timeout);

  // SIGTERM, then waits for the exit; returns the exit status (or -signal if killed by one).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  const std::vector<std::string>& log_lines() const { return log_lines_; }

 private:
  void read_available(std::chrono::milliseconds timeout);
  void release();  // kills and reaps the child if it still runs, closes the pipes, removes the config

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string config_path_;
  std::string stdout_buffer_;
  std::string stderr_buffer_;
  std::vector<std::string> stdout_lines_;
  std::vector<std::string> log_lines_;
  std::size_t log_lines_consumed_ = 0;
  std::uint16_t port_ = 0;
  bool has_ipv4_ = false;
  bool has_ipv6_ = false;
};

// Runs `executable args...` to completion, returning exit status and captured output.
struct command_result {
  int exit_status = -1;
  std::string standard_output;
  std::string standard_error;
};
command_result run_command(const std::string& executable, const std::vector<std::string>& arguments,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A file in a fresh temporary directory, removed with the object.
class temporary_file {
 public:
  explicit temporary_file(const std::string& contents);
  ~temporary_file();
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;
  const std::string& path() const { return path_; }
  void write(const std::string& contents) const;

 private:
  std::string directory_;
  std::string path_;
};

}  // namespace riptide::test
