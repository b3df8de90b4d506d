#pragma once
// A UDP socket worker: one thread with its own io_context, owning one SO_REUSEPORT socket per
// address family. It receives datagrams in batches (recvmmsg), decodes them with the pure BEP 15
// codec, answers connects itself, checks connection ids and the access list, and hands announces
// and scrapes in batches to the request workers that own their info hashes. Responses come back
// through its response channel, are encoded here and sent in batches (sendmmsg).
//
// With workers.request_workers = 0 the (only) socket worker owns the whole torrent map itself
// (`local_shard`): requests are applied as they are decoded, with no channel and no other thread.
//
// Silence is part of the protocol: a packet that is not a connect with the protocol id, or that
// carries a connection id this tracker did not issue to that address recently, gets no reply.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "datagram_batch.hpp"
#include "tracker/core/connection_id_validator.hpp"
#include "tracker/core/shard_router.hpp"
#include "tracker/proto/udp_codec.hpp"
#include "tracker/runtime/access_list_holder.hpp"
#include "tracker/runtime/channels.hpp"
#include "tracker/runtime/shard_service.hpp"
#include "tracker/runtime/pending_scrapes.hpp"
#include "tracker/runtime/tracker_clock.hpp"
#include "tracker/runtime/worker_counters.hpp"

namespace riptide::udp {

using pending_scrapes =
    runtime::pending_scrapes<runtime::reply_route, proto::udp::scrape_entry, proto::udp::max_scrape_hashes>;

struct udp_socket_worker_settings {
  std::uint32_t announce_interval_seconds = 1800;
  std::uint32_t max_scrape_hashes = proto::udp::max_scrape_hashes;
  std::uint32_t batch_size = 64;
  std::uint32_t max_pending_scrapes = 4096;
};

// Shared, read-only (or internally synchronised) services a socket worker uses.
struct udp_socket_worker_services {
  const core::connection_id_validator& connection_ids;
  const core::shard_router& router;
  const runtime::access_list_holder& access_list;
  const runtime::tracker_clock& clock;
};

class udp_socket_worker {
 public:
  // `ipv4_fd` / `ipv6_fd` are bound sockets (or -1 for none); the worker takes ownership.
  // Either `request_inboxes[i]` belongs to request worker i and `responses` is this worker's own
  // inbox, or there are no request workers: no channels, and `local_shard` holds every torrent.
  udp_socket_worker(std::uint16_t id, udp_socket_worker_settings settings, udp_socket_worker_services services,
                    int ipv4_fd, int ipv6_fd, const std::vector<runtime::request_inbox*>& request_inboxes,
                    runtime::response_inbox* responses, std::unique_ptr<runtime::shard_service> local_shard,
                    runtime::worker_counters& counters);

  void run();   // on the worker's own thread; returns after stop()
  void stop();  // from any thread

 private:
  static constexpr std::uint8_t ipv4_socket = 0;
  static constexpr std::uint8_t ipv6_socket = 1;

  struct socket_state {
    std::unique_ptr<boost::asio::ip::udp::socket> socket;
    send_batch outbox;
    std::uint32_t kernel_drops_seen = 0;  // the socket's own count (SO_MEMINFO) when last read
  };

  void wait_readable(std::uint8_t which);
  void receive_some(std::uint8_t which);
  void handle_datagram(std::uint8_t which, std::span<const std::uint8_t> packet, const sockaddr_storage& source,
                       std::uint32_t now);
  void wait_for_responses();
  void drain_responses();
  void handle_response(runtime::shard_response& response);
  void schedule_housekeeping();
  void count_kernel_drops();

  void route_requests();
  void flush_outboxes();
  std::vector<std::uint8_t>& reply_buffer(const runtime::reply_route& route);
  void send_error(const runtime::reply_route& route, std::string_view message);
  void answer_scrape(const pending_scrapes::entry& entry);
  template <typename Endpoint>
  void answer_announce(const runtime::reply_route& route, const core::announce_outcome& counts,
                       std::span<const Endpoint> peers);

  std::uint16_t id_;
  udp_socket_worker_settings settings_;
  udp_socket_worker_services services_;
  boost::asio::io_context io_;
  socket_state sockets_[2];
  receive_batch inbox_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> response_wake_;  // null with a local shard
  boost::asio::steady_timer housekeeping_timer_;

  std::vector<runtime::request_inbox*> request_inboxes_;
  std::vector<std::vector<runtime::shard_request>> routed_;  // per request worker, this batch
  runtime::response_inbox* responses_;  // null with a local shard
  std::unique_ptr<runtime::shard_service> local_shard_;
  std::vector<runtime::shard_response> response_batch_;
  runtime::access_list_view access_list_;
  pending_scrapes pending_scrapes_;
  runtime::worker_counters& counters_;
};

}  // namespace riptide::udp
