#pragma once
// The bounded lock-free channels between socket workers and request workers.
//
// Every (producer thread, consumer thread) pair has a channel of its own: a moodycamel
// ConcurrentQueue with a single producer, bounded exactly by an atomic count of what is in it.
// Sharing one queue between producers would let one of them (through its ProducerToken) keep the
// blocks it took in a burst and starve the others for good; with a queue per pair, a producer can
// only ever fill its own channel.
//
//   request_inbox  (one per request worker): one channel from each socket worker, and a semaphore
//                  the request worker sleeps on between batches.
//   response_inbox (one per socket worker): one channel from each request worker, and an eventfd
//                  the socket worker's io_context waits on.
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
    const std::size_t queued = size_.load(std::memory_order_acquire);
    const std::size_t room = queued < capacity_ ? capacity_ - queued : 0;
    std::size_t count = batch.size() < room ? batch.size() : room;
    // Within the bound, enqueue_bulk may take a fresh block when earlier ones are not yet free:
    // the count above, not moodycamel's block pool, is what bounds the channel.
    if (count > 0 && queue_.enqueue_bulk(token_, std::make_move_iterator(batch.begin()), count)) {
      size_.fetch_add(count, std::memory_order_release);
    } else {
      count = 0;
    }
    batch.clear();
    return count;
  }

  // Consumer thread only.
  std::size_t receive(T* out, std::size_t max) {
    const std::size_t count = queue_.try_dequeue_bulk(out, max);
    if (count > 0) size_.fetch_sub(count, std::memory_order_release);
    return count;
  }

 private:
  std::size_t capacity_;
  moodycamel::ConcurrentQueue<T> queue_;
  moodycamel::ProducerToken token_;
  alignas(64) std::atomic<std::size_t> size_{0};
};

class request_inbox {
 public:
  request_inbox(std::size_t producers, std::size_t capacity_per_producer);

  // The channel of socket worker `producer`: only that thread sends on it.
  pair_channel<shard_request>& from(std::size_t producer) { return *channels_[producer]; }

  // A producer calls this once after each batch it sent.
  void notify() { wake_.signal(); }

  // Request worker only: takes up to `max` requests, from the channels in turn, waiting up to
  // `timeout_us` when all are empty. Returns how many (0 after a timeout or a stale wake-up).
  std::size_t receive(shard_request* out, std::size_t max, std::int64_t timeout_us);

 private:
  std::size_t drain(shard_request* out, std::size_t max);

  std::vector<std::unique_ptr<pair_channel<shard_request>>> channels_;
  moodycamel::LightweightSemaphore wake_;
  std::size_t next_ = 0;  // the channel drained first next time, for fairness
};

class response_inbox {
 public:
  response_inbox(std::size_t producers, std::size_t capacity_per_producer);
  ~response_inbox();
  response_inbox(const response_inbox&) = delete;
  response_inbox& operator=(const response_inbox&) = delete;

  // The channel of request worker `producer`: only that thread sends on it.
  pair_channel<shard_response>& from(std::size_t producer) { return *channels_[producer]; }

  // A producer calls this once after each batch it sent.
  void notify();

  // The socket worker's side: the file descriptor to wait on, the call that clears it (before
  // draining, so that a notification arriving during the drain wakes it again), and the drain.
  int wake_fd() const { return event_fd_; }
  void clear_wake();
  std::size_t receive(shard_response* out, std::size_t max);

 private:
  std::vector<std::unique_ptr<pair_channel<shard_response>>> channels_;
  int event_fd_ = -1;
  std::size_t next_ = 0;
};

}  // namespace riptide::runtime
