#include "udp_socket_worker.hpp"

#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cstring>
#include <optional>

#include "datagram_source.hpp"
#include "tracker/runtime/log.hpp"

namespace riptide::udp {
namespace {

namespace asio = boost::asio;
using runtime::counter;

// How many recvmmsg batches one readiness event may take before other work (the other socket,
// responses) gets its turn. The rest is picked up right after, through a posted continuation.
constexpr int batches_per_turn = 4;

// A split scrape whose parts have not all come back after this long is abandoned: a channel was
// full and a part was dropped. The client retries; the slot is freed.
constexpr std::uint32_t pending_scrape_max_age_seconds = 5;

core::peer_event to_peer_event(proto::udp::announce_event event) {
  switch (event) {
    case proto::udp::announce_event::none: return core::peer_event::none;
    case proto::udp::announce_event::completed: return core::peer_event::completed;
    case proto::udp::announce_event::started: return core::peer_event::started;
    case proto::udp::announce_event::stopped: return core::peer_event::stopped;
    case proto::udp::announce_event::paused: return core::peer_event::paused;
  }
  return core::peer_event::none;
}

template <typename Routed, typename Endpoint>
Routed make_routed_announce(const runtime::reply_route& route, const Endpoint& endpoint,
                            const proto::udp::announce_request& announce) {
  Routed routed{route, {}};
  routed.input.hash = announce.hash;
  routed.input.endpoint = endpoint;
  routed.input.left = announce.left;
  routed.input.event = to_peer_event(announce.event);
  routed.input.num_want = announce.num_want;
  return routed;
}

// The destination of a reply: through the socket it came in on, to the address it came from.
socklen_t destination_of(const runtime::reply_route& route, sockaddr_storage& out) {
  out = sockaddr_storage{};
  if (route.socket == 0) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(out);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(route.port);
    std::memcpy(&v4.sin_addr, route.address.data() + 12, 4);
    return sizeof(sockaddr_in);
  }
  auto& v6 = reinterpret_cast<sockaddr_in6&>(out);
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(route.port);
  v6.sin6_scope_id = route.scope_id;
  std::memcpy(&v6.sin6_addr, route.address.data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace

udp_socket_worker::udp_socket_worker(std::uint16_t id, udp_socket_worker_settings settings,
                                     udp_socket_worker_services services, int ipv4_fd, int ipv6_fd,
                                     const std::vector<runtime::request_inbox*>& request_inboxes,
                                     runtime::response_inbox* responses,
                                     std::unique_ptr<runtime::shard_service> local_shard,
                                     runtime::worker_counters& counters)
    : id_(id),
      settings_(settings),
      services_(services),
      sockets_{{nullptr, send_batch(settings.batch_size)}, {nullptr, send_batch(settings.batch_size)}},
      inbox_(settings.batch_size),

      housekeeping_timer_(io_),
      request_inboxes_(request_inboxes),
      routed_(request_inboxes.size()),
      responses_(responses),
      local_shard_(std::move(local_shard)),
      response_batch_(settings.batch_size * 4),
      access_list_(services.access_list),
      pending_scrapes_(settings.max_pending_scrapes),
      counters_(counters) {
  if (ipv4_fd >= 0) {
    sockets_[ipv4_socket].socket = std::make_unique<asio::ip::udp::socket>(io_, asio::ip::udp::v4(), ipv4_fd);
  }
  if (ipv6_fd >= 0) {
    sockets_[ipv6_socket].socket = std::make_unique<asio::ip::udp::socket>(io_, asio::ip::udp::v6(), ipv6_fd);
  }
  if (responses_ != nullptr) {
    response_wake_ = std::make_unique<asio::posix::stream_descriptor>(io_, ::dup(responses_->wake_fd()));
  }
  if (local_shard_) routed_.resize(1);  // everything goes to the local shard
}

void udp_socket_worker::run() {
  for (std::uint8_t which : {ipv4_socket, ipv6_socket}) {
    if (sockets_[which].socket) wait_readable(which);
  }
  if (response_wake_) wait_for_responses();
  schedule_housekeeping();
  io_.run();
  count_kernel_drops();  // the last second's too, for the statistics line at the stop
}

void udp_socket_worker::stop() { io_.stop(); }

void udp_socket_worker::wait_readable(std::uint8_t which) {
  sockets_[which].socket->async_wait(asio::ip::udp::socket::wait_read, [this, which](const boost::system::error_code& ec) {
    if (ec) return;  // operation_aborted at shutdown
    receive_some(which);
  });
}

void udp_socket_worker::receive_some(std::uint8_t which) {
  const int fd = sockets_[which].socket->native_handle();
  for (int turn = 0; turn < batches_per_turn; ++turn) {
    int error = 0;
    const std::size_t count = inbox_.receive(fd, error);
    if (error != 0) {
      runtime::log_warning("socket worker ", id_, ": recvmmsg: ", std::strerror(error));
    }
    if (count == 0) {
      wait_readable(which);
      return;
    }
    access_list_.refresh();
    const std::uint32_t now = services_.clock.now_seconds();
    for (std::size_t i = 0; i < count; ++i) {
      const auto packet = inbox_.payload(i);
      counters_.add(counter::received_packets);
      counters_.add(counter::received_bytes, inbox_.arrived_bytes(i));
      if (inbox_.truncated(i)) {
        counters_.add(counter::dropped_unanswerable);
        continue;
      }
      handle_datagram(which, packet, inbox_.source(i), now);
    }
    route_requests();
    flush_outboxes();
  }
  // More may be waiting: continue after whatever else is ready, rather than starving it.
  asio::post(io_, [this, which] { receive_some(which); });
}

void udp_socket_worker::handle_datagram(std::uint8_t which, std::span<const std::uint8_t> packet,
                                        const sockaddr_storage& source, std::uint32_t now) {
  const std::optional<datagram_source> sender = answerable_source(source);
  if (!sender) {
    counters_.add(counter::dropped_unanswerable);
    return;
  }
  const datagram_source& client = *sender;

  runtime::reply_route route;
  route.socket_worker = id_;
  route.socket = which;
  route.address = client.address;
  route.port = client.port;
  route.scope_id = client.scope_id;

  const proto::udp::decode_result decoded = proto::udp::decode_request(packet);

  if (const auto* failure = std::get_if<proto::udp::decode_failure>(&decoded)) {
    counters_.add(counter::invalid_requests);
    // An error reply only for a sender that proved its address with a valid connection id.
    if (!failure->header_readable ||
        !services_.connection_ids.is_valid(failure->connection, client.address, now)) {
      counters_.add(failure->header_readable ? counter::dropped_bad_connection_id : counter::dropped_unanswerable);
      return;
    }
    route.transaction = failure->transaction.value;
    send_error(route, proto::udp::to_string(failure->error));
    return;
  }

  const auto& request = std::get<proto::udp::any_request>(decoded);

  if (const auto* connect = std::get_if<proto::udp::connect_request>(&request)) {
    counters_.add(counter::connect_requests);
    route.transaction = connect->transaction.value;
    proto::udp::encode_connect_response({connect->transaction, services_.connection_ids.issue(client.address, now)},
                                        reply_buffer(route));
    counters_.add(counter::connect_responses);
    return;
  }

  if (const auto* announce = std::get_if<proto::udp::announce_request>(&request)) {
    counters_.add(counter::announce_requests);
    if (!services_.connection_ids.is_valid(announce->connection, client.address, now)) {
      counters_.add(counter::dropped_bad_connection_id);
      return;
    }
    route.transaction = announce->transaction.value;
    if (announce->port == 0) {
      send_error(route, "invalid port 0");
      return;
    }
    if (!access_list_.allows(announce->hash)) {
      send_error(route, "info hash not allowed");
      return;
    }
    const std::uint32_t shard = services_.router.shard_of(announce->hash);
    // The IPv4 field of the request is ignored: honouring it would let anyone aim a swarm at a
    // victim. The peer is the source address with the announced port.
    if (client.family == proto::address_family::ipv4) {
      proto::ipv4_endpoint endpoint;
      std::memcpy(endpoint.address.data(), client.address.data() + 12, 4);
      endpoint.port = announce->port;
      routed_[shard].emplace_back(make_routed_announce<runtime::announce_request_ipv4>(route, endpoint, *announce));
    } else {
      const proto::ipv6_endpoint endpoint{client.address, announce->port};
      routed_[shard].emplace_back(make_routed_announce<runtime::announce_request_ipv6>(route, endpoint, *announce));
    }
    return;
  }

  const auto& scrape = std::get<proto::udp::scrape_request>(request);
  counters_.add(counter::scrape_requests);
  if (!services_.connection_ids.is_valid(scrape.connection, client.address, now)) {
    counters_.add(counter::dropped_bad_connection_id);
    return;
  }
  route.transaction = scrape.transaction.value;
  if (scrape.hashes.size() > settings_.max_scrape_hashes) {
    send_error(route, "too many info hashes in scrape");
    return;
  }
  const auto id = pending_scrapes_.open(route, scrape.hashes.size(), now);
  if (!id) {
    counters_.add(counter::dropped_pending_scrapes_full);
    return;
  }
  const pending_scrapes::entry* complete = nullptr;
  for (std::size_t index = 0; index < scrape.hashes.size(); ++index) {
    const proto::info_hash& hash = scrape.hashes[index];
    if (!access_list_.allows(hash)) {  // not served: zeros, without asking a shard
      complete = pending_scrapes_.fill(*id, index, {});
      continue;
    }
    routed_[services_.router.shard_of(hash)].emplace_back(
        runtime::scrape_part_request{id_, *id, static_cast<std::uint8_t>(index), client.family, hash});
  }
  if (complete != nullptr) {
    answer_scrape(*complete);
    pending_scrapes_.close(*id);
  }
}

void udp_socket_worker::route_requests() {
  if (local_shard_) {
    const std::uint32_t now = services_.clock.now_seconds();
    if (routed_[0].empty()) return;
    for (runtime::shard_request& request : routed_[0]) {
      runtime::shard_response response = local_shard_->handle(request, now);
      handle_response(response);
    }
    routed_[0].clear();
    local_shard_->publish_gauges();  // as a request worker does after each batch
    return;
  }
  for (std::size_t shard = 0; shard < routed_.size(); ++shard) {
    auto& batch = routed_[shard];
    if (batch.empty()) continue;
    const std::size_t offered = batch.size();
    const std::size_t sent = request_inboxes_[shard]->from(id_).send(batch);
    counters_.add(counter::dropped_request_queue_full, offered - sent);
    if (sent > 0) request_inboxes_[shard]->notify();  // a wake-up for nothing would only spin the worker
  }
}

std::vector<std::uint8_t>& udp_socket_worker::reply_buffer(const runtime::reply_route& route) {
  socket_state& state = sockets_[route.socket];
  if (state.outbox.full()) {
    const send_batch::result sent = state.outbox.send(state.socket->native_handle());
    counters_.add(counter::sent_packets, sent.sent_packets);
    counters_.add(counter::sent_bytes, sent.sent_bytes);
    counters_.add(counter::send_errors, sent.failed_packets);
  }
  sockaddr_storage destination;
  const socklen_t length = destination_of(route, destination);
  return state.outbox.add(destination, length);
}

void udp_socket_worker::send_error(const runtime::reply_route& route, std::string_view message) {
  proto::udp::encode_error_response(proto::transaction_id{route.transaction}, message, reply_buffer(route));
  counters_.add(counter::error_responses);
}

void udp_socket_worker::answer_scrape(const pending_scrapes::entry& entry) {
  proto::udp::encode_scrape_response(proto::transaction_id{entry.route.transaction}, entry.results,
                                     reply_buffer(entry.route));
  counters_.add(counter::scrape_responses);
}

template <typename Endpoint>
void udp_socket_worker::answer_announce(const runtime::reply_route& route, const core::announce_outcome& counts,
                                        std::span<const Endpoint> peers) {
  switch (counts.refusal) {
    case core::announce_refusal::none: break;
    case core::announce_refusal::tracker_full:
      counters_.add(counter::refused_tracker_full);
      send_error(route, "tracker is full");
      return;
    case core::announce_refusal::source_full:
      counters_.add(counter::refused_source_full);
      send_error(route, "too many peers from this address");
      return;
  }
  const proto::udp::announce_response_header header{proto::transaction_id{route.transaction},
                                                    settings_.announce_interval_seconds, counts.leechers,
                                                    counts.seeders};
  proto::udp::encode_announce_response(header, peers, reply_buffer(route));
  counters_.add(counter::announce_responses);
}

void udp_socket_worker::flush_outboxes() {
  for (socket_state& state : sockets_) {
    if (!state.socket || state.outbox.empty()) continue;
    const send_batch::result sent = state.outbox.send(state.socket->native_handle());
    counters_.add(counter::sent_packets, sent.sent_packets);
    counters_.add(counter::sent_bytes, sent.sent_bytes);
    counters_.add(counter::send_errors, sent.failed_packets);
  }
}

void udp_socket_worker::wait_for_responses() {
  response_wake_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;
    // Clear first, then drain: a notification that arrives during the drain wakes us again.
    responses_->clear_wake();
    drain_responses();
    wait_for_responses();
  });
}

void udp_socket_worker::drain_responses() {
  for (;;) {
    const std::size_t count = responses_->receive(response_batch_.data(), response_batch_.size());
    if (count == 0) break;
    for (std::size_t i = 0; i < count; ++i) {
      handle_response(response_batch_[i]);
      response_batch_[i] = runtime::shard_response{};  // free the peer list now, not when the slot is reused
    }
    flush_outboxes();
  }
}

void udp_socket_worker::handle_response(runtime::shard_response& response) {
  if (auto* announce = std::get_if<runtime::announce_response_ipv4>(&response)) {
    answer_announce(announce->route, announce->counts, std::span<const proto::ipv4_endpoint>(announce->peers));
  } else if (auto* announce6 = std::get_if<runtime::announce_response_ipv6>(&response)) {
    answer_announce(announce6->route, announce6->counts, std::span<const proto::ipv6_endpoint>(announce6->peers));
  } else if (auto* part = std::get_if<runtime::scrape_part_response>(&response)) {
    const proto::udp::scrape_entry result{part->counts.seeders, part->counts.completed, part->counts.leechers};
    if (const pending_scrapes::entry* complete = pending_scrapes_.fill(part->pending_id, part->index, result)) {
      answer_scrape(*complete);
      pending_scrapes_.close(part->pending_id);
    }
  }
}

void udp_socket_worker::schedule_housekeeping() {
  housekeeping_timer_.expires_after(std::chrono::seconds(1));
  housekeeping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const std::uint32_t now = services_.clock.now_seconds();
    const std::size_t expired = pending_scrapes_.expire(now, pending_scrape_max_age_seconds);
    counters_.add(counter::expired_pending_scrapes, expired);
    if (local_shard_) {
      local_shard_->clean_if_due(now);
      local_shard_->publish_gauges();
    }
    count_kernel_drops();
    schedule_housekeeping();
  });
}

// What the kernel dropped for want of room in a socket's receive buffer never reaches the tracker,
// so no other counter sees it; the socket counts it (sk_drops, also /proc/net/udp's `drops`).
void udp_socket_worker::count_kernel_drops() {
  for (socket_state& state : sockets_) {
    if (!state.socket) continue;
    std::array<std::uint32_t, SK_MEMINFO_VARS> memory{};
    socklen_t length = sizeof memory;
    if (::getsockopt(state.socket->native_handle(), SOL_SOCKET, SO_MEMINFO, memory.data(), &length) != 0 ||
        length < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t)) {
      continue;
    }
    const std::uint32_t drops = memory[SK_MEMINFO_DROPS];
    counters_.add(counter::dropped_by_kernel, drops - state.kernel_drops_seen);  // modulo 2^32, as the kernel counts
    state.kernel_drops_seen = drops;
  }
}

}  // namespace riptide::udp
