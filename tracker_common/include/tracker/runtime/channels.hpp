#pragma once
// The bounded lock-free channels between socket workers and request workers.
//
// Every (producer thread, consumer thread) pair has a channel of its own: a moodycamel
// ConcurrentQueue with a single producer, bounded exactly by an atomic count of what is in it.
// Sharing one queue between producers would let one of them (through its ProducerToken) keep the
// blocks it took in a burst and starve the others for good; with a queue per pair, a producer can
// only ever fill its own channel.
//
//   basic_request_inbox  (one per request worker): one channel from each socket worker, and a
//                        semaphore the request worker sleeps on between batches.
//   basic_response_inbox (one per socket worker): one channel from each request worker, and an
//                        eventfd the socket worker's event loop waits on.
// Both are templates on what they carry: tracker_udp's shard messages, tracker_ws's own.
// Producers signal once per batch, never per message. A batch that does not fit is cut: what fits
// is sent, the rest is dropped and counted by the caller. Nothing grows without bound.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <concurrentqueue/concurrentqueue.h>
#include <concurrentqueue/lightweightsemaphore.h>

#include "tracker/runtime/shard_messages.hpp"

namespace riptide::runtime {

// One producer thread to one consumer thread; at most `capacity` items in it.
template <typename T>
class pair_channel {
 public:
  explicit pair_channel(std::size_t capacity) : capacity_(capacity), queue_(capacity, 1, 0), token_(queue_) {}

  // Producer thread only. Sends the longest prefix of `batch` that fits and empties `batch`;
  // returns how many were sent.
  std::size_t send(std::vector<T>& batch) {
    const std::size_t count = enqueue_prefix(batch);
    batch.clear();
    return count;
  }

  // Producer thread only. Sends the longest prefix of `batch` that fits and removes it from
  // `batch`, which keeps what did not fit (for messages that must not be lost, sent again later).
  std::size_t send_what_fits(std::vector<T>& batch) {
    const std::size_t count = enqueue_prefix(batch);
    batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(count));
    return count;
  }

  // Consumer thread only.
  std::size_t receive(T* out, std::size_t max) {
    const std::size_t count = queue_.try_dequeue_bulk(out, max);
    if (count > 0) size_.fetch_sub(count, std::memory_order_release);
    return count;
  }

 private:
  // Moves the longest prefix of `batch` that fits into the queue; returns its length.
  std::size_t enqueue_prefix(std::vector<T>& batch) {
    const std::size_t queued = size_.load(std::memory_order_acquire);
    const std::size_t room = queued < capacity_ ? capacity_ - queued : 0;
    const std::size_t count = batch.size() < room ? batch.size() : room;
    // Within the bound, enqueue_bulk may take a fresh block when earlier ones are not yet free:
    // the count above, not moodycamel's block pool, is what bounds the channel.
    if (count == 0 || !queue_.enqueue_bulk(token_, std::make_move_iterator(batch.begin()), count)) return 0;
    size_.fetch_add(count, std::memory_order_release);
    return count;
  }

  std::size_t capacity_;
  moodycamel::ConcurrentQueue<T> queue_;
  moodycamel::ProducerToken token_;
  alignas(64) std::atomic<std::size_t> size_{0};
};

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

template <typename T>
std::vector<std::unique_ptr<pair_channel<T>>> make_channels(std::size_t producers, std::size_t capacity) {
  std::vector<std::unique_ptr<pair_channel<T>>> channels;
  for (std::size_t i = 0; i < producers; ++i) channels.push_back(std::make_unique<pair_channel<T>>(capacity));
  return channels;
}

// An eventfd: producers signal it, an event loop waits for it to become readable.
class wake_event {
 public:
  wake_event();
  ~wake_event();
  wake_event(const wake_event&) = delete;
  wake_event& operator=(const wake_event&) = delete;

  void signal();
  void clear();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

template <typename Request>
class basic_request_inbox {
 public:
  basic_request_inbox(std::size_t producers, std::size_t capacity_per_producer)
      : channels_(make_channels<Request>(producers, capacity_per_producer)) {}

  // The channel of socket worker `producer`: only that thread sends on it.
  pair_channel<Request>& from(std::size_t producer) { return *channels_[producer]; }

  // A producer calls this once after each batch it sent.
  void notify() { wake_.signal(); }

  // Request worker only: takes up to `max` requests, from the channels in turn, waiting up to
  // `timeout_us` when all are empty. Returns how many (0 after a timeout or a stale wake-up).
  std::size_t receive(Request* out, std::size_t max, std::int64_t timeout_us) {
    if (const std::size_t taken = drain_in_turn(channels_, next_, out, max); taken > 0) return taken;
    // Producers enqueue, then signal: a batch sent after the drain above has a signal waiting.
    wake_.wait(timeout_us);
    return drain_in_turn(channels_, next_, out, max);
  }

 private:
  std::vector<std::unique_ptr<pair_channel<Request>>> channels_;
  moodycamel::LightweightSemaphore wake_;
  std::size_t next_ = 0;  // the channel drained first next time, for fairness
};

template <typename Response>
class basic_response_inbox {
 public:
  basic_response_inbox(std::size_t producers, std::size_t capacity_per_producer)
      : channels_(make_channels<Response>(producers, capacity_per_producer)) {}

  // The channel of request worker `producer`: only that thread sends on it.
  pair_channel<Response>& from(std::size_t producer) { return *channels_[producer]; }

  // A producer calls this once after each batch it sent.
  void notify() { wake_.signal(); }

  // The socket worker's side: the file descriptor to wait on, the call that clears it (before
  // draining, so that a notification arriving during the drain wakes it again), and the drain.
  int wake_fd() const { return wake_.fd(); }
  void clear_wake() { wake_.clear(); }
  std::size_t receive(Response* out, std::size_t max) { return drain_in_turn(channels_, next_, out, max); }

 private:
  std::vector<std::unique_ptr<pair_channel<Response>>> channels_;
  wake_event wake_;
  std::size_t next_ = 0;
};

// tracker_udp's (and later HTTP's) channels.
using request_inbox = basic_request_inbox<shard_request>;
using response_inbox = basic_response_inbox<shard_response>;

}  // namespace riptide::runtime
