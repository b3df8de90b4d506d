#pragma once
// For the tests that look at a tracker process from outside (privilege drop, SIGSTOP): its
// /proc/PID/status fields, and an environment variable set for the processes a test starts.
// Header-only.

#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace riptide::test {

// The value of a "Name:\t..." line of /proc/PID/status (the first field), or "" if absent.
inline std::string status_field(pid_t pid, const std::string& name) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(name + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(name.size() + 1));
    std::string first;
    fields >> first;
    return first;
  }
  return {};
}

// Whether every thread of `pid` is stopped (SIGSTOP takes effect some time after kill() returns,
// thread by thread).
inline bool all_threads_stopped(pid_t pid) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line) && line.rfind("State:", 0) != 0) {
    }
    const auto letter = line.find_first_not_of(" \t", 6);  // "State:\tT (stopped)"
    if (letter == std::string::npos || line[letter] != 'T') return false;
    any = true;
  }
  return any && !error;
}

// Sets an environment variable for the processes started while it lives, and restores it.
class scoped_environment {
 public:
  scoped_environment(const char* name, const std::string& value) : name_(name) {
    if (const char* previous = std::getenv(name)) previous_ = previous;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_environment() {
    if (previous_) {
      ::setenv(name_, previous_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  scoped_environment(const scoped_environment&) = delete;
  scoped_environment& operator=(const scoped_environment&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

// Under AddressSanitizer the leak check at exit reads /proc, which an empty chroot does not have:
// it would turn a clean stop into exit status 1. A tracker started while this lives runs without it.
inline scoped_environment without_leak_check() {
  const char* asan = std::getenv("ASAN_OPTIONS");
  return scoped_environment("ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":detect_leaks=0");
}

// An empty directory under /tmp for a tracker to chroot into; removed at the end.
class temporary_chroot {
 public:
  temporary_chroot() {
    char directory_template[] = "/tmp/riptide-chroot-XXXXXX";
    REQUIRE(::mkdtemp(directory_template) != nullptr);
    path_ = directory_template;
  }
  ~temporary_chroot() { ::rmdir(path_.c_str()); }
  temporary_chroot(const temporary_chroot&) = delete;
  temporary_chroot& operator=(const temporary_chroot&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The process runs as nobody (uid and gid 65534), chrooted into `root`.
inline void check_dropped_to_nobody(pid_t pid, const std::string& root) {
  const std::string nobody = std::to_string(65534);
  CHECK(status_field(pid, "Uid") == nobody);
  CHECK(status_field(pid, "Gid") == nobody);
  CHECK(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/root") == root);
}

}  // namespace riptide::test
