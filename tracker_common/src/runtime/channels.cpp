#include "tracker/runtime/channels.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace riptide::runtime {

response_channel::response_channel(std::size_t capacity, std::size_t producers)
    : queue_(capacity, producers, 0), event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

response_channel::~response_channel() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

void response_channel::notify() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated, which still wakes the consumer: nothing to do.
  [[maybe_unused]] const ssize_t written = ::write(event_fd_, &one, sizeof one);
}

void response_channel::clear_wake() {
  std::uint64_t value = 0;
  [[maybe_unused]] const ssize_t got = ::read(event_fd_, &value, sizeof value);
}

}  // namespace riptide::runtime
