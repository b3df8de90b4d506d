#include "tracker/runtime/channels.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace riptide::runtime {

wake_event::wake_event() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

wake_event::~wake_event() {
  if (fd_ >= 0) ::close(fd_);
}

void wake_event::signal() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated, which still wakes the consumer: nothing to do.
  [[maybe_unused]] const ssize_t written = ::write(fd_, &one, sizeof one);
}

void wake_event::clear() {
  std::uint64_t value = 0;
  [[maybe_unused]] const ssize_t got = ::read(fd_, &value, sizeof value);
}

}  // namespace riptide::runtime
