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

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds only (the tsan preset). moodycamel's queue hands an emptied block back to
// producers through relaxed atomics and std::atomic_thread_fence, and ThreadSanitizer does not
// model fences: it reports a slot's reuse (the consumer destroying a message, then a producer
// constructing the next one in its place) as a race. Reports in which one of the two accesses is
// made within the queue's code are left out; races on a message before it is sent or after it is
// received are still reported.
extern "C" const char* __tsan_default_suppressions() { return "race:moodycamel::ConcurrentQueue\n"; }
#endif
