#pragma once
// One load thread: a few UDP sockets, each connect()ed to the tracker from its own source address,
// each with a bounded window of requests in flight. It sends (sendmmsg), receives (recvmmsg),
// checks every reply against the request it answers, and counts.
//
// Phases, set by the run: warm-up (every peer of this thread's sockets announces `started` once),
// measure (the configured mix of requests), drain (nothing new is sent; replies still count),
// done. A request is "measured" if it was sent during the measure phase; its outcome counts in the
// summary whenever it arrives.

#include <array>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "latency_histogram.hpp"
#include "udp_load_config.hpp"
#include "udp_reply_check.hpp"
#include "workload.hpp"

namespace riptide::load_test {

enum class load_phase : int { warmup, measure, drain, done };

// Live counters the progress line reads; written only by the owning thread.
struct live_counters {
  std::array<std::atomic<std::uint64_t>, 3> replies{};  // by request_kind
  std::atomic<std::uint64_t> error_replies{0};
  std::atomic<std::uint64_t> malformed{0};
  std::atomic<std::uint64_t> lost{0};
  std::atomic<std::uint64_t> sent{0};

  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t amount = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
};

// Outcomes of measured requests; read after the thread has finished.
struct measured_results {
  std::array<std::uint64_t, 3> sent{};
  std::array<std::uint64_t, 3> replies{};
  std::uint64_t error_replies = 0;
  std::uint64_t malformed = 0;
  std::uint64_t lost = 0;
  std::uint64_t late = 0;  // a reply whose request had already been counted lost
  std::uint64_t announce_peers = 0;
  latency_histogram latency_us;
  std::string first_error;
  std::string first_malformed;

  void merge(const measured_results& other);
};

struct run_control {
  std::atomic<load_phase> phase{load_phase::warmup};
  std::atomic<std::uint32_t> threads_warmed_up{0};
};

class udp_load_worker {
 public:
  // Sockets `first_socket .. first_socket + sockets_per_thread - 1` of the run. Throws
  // std::runtime_error when a socket cannot be set up.
  udp_load_worker(const udp_load_config& config, const peer_population& peers, std::uint32_t first_socket,
                  std::uint32_t thread_index, run_control& control);
  ~udp_load_worker();
  udp_load_worker(const udp_load_worker&) = delete;
  udp_load_worker& operator=(const udp_load_worker&) = delete;

  void run();

  const live_counters& live() const { return live_; }
  const measured_results& results() const { return results_; }

 private:
  struct pending_request {
    expected_reply expected;
    std::uint64_t sent_ns = 0;
    bool measured = false;
    bool used = false;
    bool warmup_announce = false;  // the announce of load_socket::warmup_next at the time
  };

  struct load_socket {
    int fd = -1;
    std::uint32_t index = 0;  // among all sockets of the run
    std::vector<pending_request> slots;
    std::vector<std::uint16_t> free_slots;
    std::uint32_t sequence = 1;
    bool connected = false;
    bool connecting = false;
    proto::connection_id connection;
    std::uint64_t connected_at_ns = 0;
    std::uint32_t warmup_next = 0;  // the next of this socket's peers to warm up
    // The transaction ids of the requests last counted lost (0: none), to tell a late reply from
    // one that answers no request of ours.
    std::array<std::uint32_t, 64> lost_transactions{};
    std::size_t next_lost = 0;
  };

  void open_socket(load_socket& socket);
  bool warmed_up() const;
  // Sends what the socket's free slots allow; true if it could send more at once (slots free and
  // a request due), false when it must wait for replies, a connect reply or the next phase.
  bool fill_window(load_socket& socket, load_phase phase, std::uint64_t now_ns);
  bool build_request(load_socket& socket, load_phase phase, std::uint64_t now_ns, std::uint16_t slot,
                     std::vector<std::uint8_t>& packet);
  void receive(load_socket& socket, std::uint64_t now_ns);
  void handle_reply(load_socket& socket, std::span<const std::uint8_t> packet, std::uint64_t now_ns);
  void expire(load_socket& socket, std::uint64_t now_ns);
  std::size_t in_flight() const;

  const udp_load_config& config_;
  const peer_population& peers_;
  run_control& control_;
  proto::address_family family_;
  std::mt19937_64 random_;
  popularity_sampler popularity_;
  std::vector<load_socket> sockets_;
  int epoll_fd_ = -1;
  std::uint64_t timeout_ns_;
  std::uint64_t reuse_ns_;
  std::vector<std::vector<std::uint8_t>> send_buffers_;  // one batch, reused
  live_counters live_;
  measured_results results_;
  bool reported_warm_ = false;
};

}  // namespace riptide::load_test
