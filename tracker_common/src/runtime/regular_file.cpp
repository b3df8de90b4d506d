#include "tracker/runtime/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace riptide::runtime {
namespace {

class file_descriptor {
 public:
  explicit file_descriptor(int fd) : fd_(fd) {}
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

file_read_error failure(const std::string& path, const std::string& reason) {
  return file_read_error{path + ": " + reason};
}

std::string too_large(std::size_t max_bytes) {
  return "larger than " + std::to_string(max_bytes) + " bytes";
}

}  // namespace

std::variant<std::string, file_read_error> read_regular_file(const std::string& path, std::size_t max_bytes) {
  // Checked before opening: opening some devices does something (a tape rewinds, a watchdog arms).
  struct stat named {};
  if (::stat(path.c_str(), &named) != 0) return failure(path, std::strerror(errno));
  if (!S_ISREG(named.st_mode)) return failure(path, "not a regular file");
  // O_NONBLOCK: should the path be replaced by a FIFO meanwhile, opening it must not wait for a
  // writer; what was opened must be the file just checked.
  const file_descriptor file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (file.get() < 0) return failure(path, std::strerror(errno));
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) return failure(path, std::strerror(errno));
  if (!S_ISREG(status.st_mode) || status.st_dev != named.st_dev || status.st_ino != named.st_ino) {
    return failure(path, "replaced while being opened");
  }
  if (status.st_size < 0 || static_cast<std::size_t>(status.st_size) > max_bytes) {
    return failure(path, too_large(max_bytes));
  }
  std::string contents;
  contents.resize(static_cast<std::size_t>(status.st_size) + 1);  // + 1: room to see growth
  std::size_t filled = 0;
  while (true) {
    if (filled == contents.size()) {
      if (filled > max_bytes) return failure(path, too_large(max_bytes));
      contents.resize(std::min(contents.size() * 2, max_bytes + 1));
    }
    const ssize_t got = ::read(file.get(), contents.data() + filled, contents.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return failure(path, std::strerror(errno));
    }
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  // Here filled <= max_bytes: the buffer never holds more than max_bytes + 1, and a full buffer
  // is refused above before the next read.
  contents.resize(filled);
  return contents;
}

}  // namespace riptide::runtime
