#pragma once
// The bounded lock-free channels between socket workers and request workers (moodycamel
// ConcurrentQueue). Each producer enqueues through its own ProducerToken, which gives it a
// sub-queue of its own: in effect one queue per producer/consumer pair, as the design asks.
//
// Bounded: the queues are created with their capacity and producers only call try_enqueue_bulk,
// which never allocates; when there is no room the whole batch is refused and the caller drops it
// and counts it. Nothing ever grows without bound under overload.
//
//   request_channel  (one per request worker): many socket workers -> one request worker.
//                    The request worker sleeps on the queue's semaphore between batches.
//   response_channel (one per socket worker): many request workers -> one socket worker.
//                    The socket worker waits in its io_context, so each channel has an eventfd
//                    that producers signal once per batch, never per message.

#include <cstdint>
#include <memory>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <concurrentqueue/concurrentqueue.h>

#include "tracker/runtime/shard_messages.hpp"

namespace riptide::runtime {

class request_channel {
 public:
  request_channel(std::size_t capacity, std::size_t producers) : queue_(capacity, producers, 0) {}

  moodycamel::ProducerToken make_producer_token() { return moodycamel::ProducerToken(queue_); }

  // All or nothing: false means the batch was not enqueued (the channel is full).
  bool try_send_batch(moodycamel::ProducerToken& token, std::vector<shard_request>& batch) {
    if (batch.empty()) return true;
    return queue_.try_enqueue_bulk(token, std::make_move_iterator(batch.begin()), batch.size());
  }

  // Waits up to `timeout_us` for at least one request; returns how many were written to `out`.
  std::size_t receive_batch(moodycamel::ConsumerToken& token, shard_request* out, std::size_t max,
                            std::int64_t timeout_us) {
    return queue_.wait_dequeue_bulk_timed(token, out, max, timeout_us);
  }

  moodycamel::ConsumerToken make_consumer_token() { return moodycamel::ConsumerToken(queue_); }

 private:
  moodycamel::BlockingConcurrentQueue<shard_request> queue_;
};

class response_channel {
 public:
  response_channel(std::size_t capacity, std::size_t producers);
  ~response_channel();
  response_channel(const response_channel&) = delete;
  response_channel& operator=(const response_channel&) = delete;

  moodycamel::ProducerToken make_producer_token() { return moodycamel::ProducerToken(queue_); }

  bool try_send_batch(moodycamel::ProducerToken& token, std::vector<shard_response>& batch) {
    if (batch.empty()) return true;
    return queue_.try_enqueue_bulk(token, std::make_move_iterator(batch.begin()), batch.size());
  }

  // Wakes the consumer. Called by a producer once after each batch it sent.
  void notify();

  // The consumer's side: the file descriptor to wait on, and the call that clears it.
  int wake_fd() const { return event_fd_; }
  void clear_wake();

  std::size_t try_receive(shard_response* out, std::size_t max) { return queue_.try_dequeue_bulk(out, max); }

 private:
  moodycamel::ConcurrentQueue<shard_response> queue_;
  int event_fd_ = -1;
};

}  // namespace riptide::runtime
