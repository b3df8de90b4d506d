// open_missing_standard_streams: a closed stdin, stdout or stderr is put back on /dev/null, so the
// next socket cannot take its number. Runs in a child process, which may close its own streams.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracker/runtime/standard_streams.hpp"

namespace riptide::runtime {
namespace {

bool is_dev_null(int descriptor) {
  struct stat opened {};
  struct stat null_device {};
  return ::fstat(descriptor, &opened) == 0 && ::stat("/dev/null", &null_device) == 0 &&
         S_ISCHR(opened.st_mode) && opened.st_rdev == null_device.st_rdev;
}

// Exit status of a child that closes `closed`, calls the function, then checks what it got:
// 0 when every closed one is /dev/null and a new socket takes a number above 2.
int child_status_after_closing(std::initializer_list<int> closed) {
  const pid_t child = ::fork();
  if (child == 0) {
    for (const int descriptor : closed) ::close(descriptor);
    if (!open_missing_standard_streams()) ::_exit(10);
    for (const int descriptor : closed) {
      if (!is_dev_null(descriptor)) ::_exit(20 + descriptor);
    }
    const int socket = ::socket(AF_INET, SOCK_DGRAM, 0);
    ::_exit(socket > STDERR_FILENO ? 0 : 30);
  }
  int status = 0;
  REQUIRE(child > 0);
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("closed standard streams are opened on /dev/null before any socket", "[runtime]") {
  CHECK(child_status_after_closing({STDERR_FILENO}) == 0);
  CHECK(child_status_after_closing({STDOUT_FILENO, STDERR_FILENO}) == 0);
  CHECK(child_status_after_closing({STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) == 0);
  CHECK(child_status_after_closing({STDIN_FILENO}) == 0);
}

TEST_CASE("open standard streams are left as they are", "[runtime]") {
  struct stat before {};
  REQUIRE(::fstat(STDERR_FILENO, &before) == 0);
  REQUIRE(open_missing_standard_streams());
  struct stat after {};
  REQUIRE(::fstat(STDERR_FILENO, &after) == 0);
  CHECK(before.st_ino == after.st_ino);
  CHECK(before.st_dev == after.st_dev);
}

}  // namespace
}  // namespace riptide::runtime
