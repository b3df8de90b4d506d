#include "tracker/runtime/channels.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace riptide::runtime {
namespace {

// Takes up to `max` items from `channels`, starting at `next` and going round, so that a busy
// producer cannot keep the others waiting.
template <typename T>
std::size_t drain_in_turn(std::vector<std::unique_ptr<pair_channel<T>>>& channels, std::size_t& next, T* out,
                          std::size_t max) {
  std::size_t taken = 0;
  const std::size_t count = channels.size();
  for (std::size_t i = 0; i < count && taken < max; ++i) {
    taken += channels[(next + i) % count]->receive(out + taken, max - taken);
  }
  next = count > 0 ? (next + 1) % count : 0;
  return taken;
}

}  // namespace

request_inbox::request_inbox(std::size_t producers, std::size_t capacity_per_producer) {
  for (std::size_t i = 0; i < producers; ++i) {
    channels_.push_back(std::make_unique<pair_channel<shard_request>>(capacity_per_producer));
  }
}

std::size_t request_inbox::drain(shard_request* out, std::size_t max) { return drain_in_turn(channels_, next_, out, max); }

std::size_t request_inbox::receive(shard_request* out, std::size_t max, std::int64_t timeout_us) {
  if (const std::size_t taken = drain(out, max); taken > 0) return taken;
  // Producers enqueue, then signal: a batch sent after the drain above has a signal waiting.
  wake_.wait(timeout_us);
  return drain(out, max);
}

response_inbox::response_inbox(std::size_t producers, std::size_t capacity_per_producer)
    : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  for (std::size_t i = 0; i < producers; ++i) {
    channels_.push_back(std::make_unique<pair_channel<shard_response>>(capacity_per_producer));
  }
}

response_inbox::~response_inbox() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

void response_inbox::notify() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated, which still wakes the consumer: nothing to do.
  [[maybe_unused]] const ssize_t written = ::write(event_fd_, &one, sizeof one);
}

void response_inbox::clear_wake() {
  std::uint64_t value = 0;
  [[maybe_unused]] const ssize_t got = ::read(event_fd_, &value, sizeof value);
}

std::size_t response_inbox::receive(shard_response* out, std::size_t max) {
  return drain_in_turn(channels_, next_, out, max);
}

}  // namespace riptide::runtime
