#include "udp_load_worker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace riptide::load_test {
namespace {

constexpr std::size_t receive_batch = 64;
// Holds the largest reply a valid request can get: an announce with 200 IPv6 peers is 3,620 bytes.
constexpr std::size_t datagram_capacity = 4096;
constexpr unsigned slot_bits = 10;  // transaction id = sequence << 10 | slot: at most 1024 in flight

std::uint64_t monotonic_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

std::runtime_error socket_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

// sockaddr of a numeric address and port; false if the text is not a numeric IP address.
bool make_address(const std::string& text, std::uint16_t port, sockaddr_storage& out, socklen_t& length) {
  out = sockaddr_storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(out);
  if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    length = sizeof(sockaddr_in);
    return true;
  }
  out = sockaddr_storage{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(out);
  if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

void measured_results::merge(const measured_results& other) {
  for (std::size_t i = 0; i < sent.size(); ++i) {
    sent[i] += other.sent[i];
    replies[i] += other.replies[i];
  }
  error_replies += other.error_replies;
  malformed += other.malformed;
  lost += other.lost;
  late += other.late;
  announce_peers += other.announce_peers;
  latency_us.merge(other.latency_us);
  if (first_error.empty()) first_error = other.first_error;
  if (first_malformed.empty()) first_malformed = other.first_malformed;
}

udp_load_worker::udp_load_worker(const udp_load_config& config, const peer_population& peers,
                                 std::uint32_t first_socket, std::uint32_t thread_index, run_control& control)
    : config_(config),
      peers_(peers),
      control_(control),
      random_(std::uint64_t{config.run.seed} * 1000003ULL + thread_index + 1),
      popularity_(config.torrents),
      timeout_ns_(std::uint64_t{config.run.request_timeout_ms} * 1'000'000ULL),
      reuse_ns_(std::uint64_t{config.requests.connection_id_reuse_seconds} * 1'000'000'000ULL),
      send_buffers_(receive_batch) {
  sockaddr_storage target{};
  socklen_t target_length = 0;
  if (!make_address(config.target.address, config.target.port, target, target_length)) {
    throw std::runtime_error("target.address is not a numeric IP address: " + config.target.address);
  }
  family_ = target.ss_family == AF_INET ? proto::address_family::ipv4 : proto::address_family::ipv6;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw socket_error("epoll_create1");

  sockets_.resize(config.run.sockets_per_thread);
  for (std::uint32_t i = 0; i < sockets_.size(); ++i) {
    load_socket& socket = sockets_[i];
    socket.index = first_socket + i;
    socket.slots.resize(config.run.in_flight_per_socket);
    for (std::size_t slot = socket.slots.size(); slot-- > 0;) socket.free_slots.push_back(static_cast<std::uint16_t>(slot));
    open_socket(socket);
    if (::connect(socket.fd, reinterpret_cast<const sockaddr*>(&target), target_length) != 0) {
      throw socket_error("cannot connect a socket to " + config.target.address);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = i;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket.fd, &event) != 0) throw socket_error("epoll_ctl");
  }
}

udp_load_worker::~udp_load_worker() {
  for (const load_socket& socket : sockets_) {
    if (socket.fd >= 0) ::close(socket.fd);
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void udp_load_worker::open_socket(load_socket& socket) {
  const int domain = family_ == proto::address_family::ipv4 ? AF_INET : AF_INET6;
  socket.fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (socket.fd < 0) throw socket_error("socket");
  const int buffer = 4 * 1024 * 1024;
  ::setsockopt(socket.fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  ::setsockopt(socket.fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);

  // IPv4: each socket its own source address (first_source_address + index), so the tracker's
  // SO_REUSEPORT hash spreads the sockets and every peer is a distinct address and port.
  if (family_ == proto::address_family::ipv4 && !config_.run.first_source_address.empty()) {
    in_addr first{};
    if (::inet_pton(AF_INET, config_.run.first_source_address.c_str(), &first) != 1) {
      throw std::runtime_error("run.first_source_address is not an IPv4 address: " + config_.run.first_source_address);
    }
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl(ntohl(first.s_addr) + socket.index);
    if (::bind(socket.fd, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) {
      char text[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &source.sin_addr, text, sizeof text);
      throw socket_error(std::string("cannot bind a socket to ") + text);
    }
  }
}

std::size_t udp_load_worker::in_flight() const {
  std::size_t count = 0;
  for (const load_socket& socket : sockets_) count += socket.slots.size() - socket.free_slots.size();
  return count;
}

bool udp_load_worker::warmed_up() const {
  if (!config_.peers.warmup) return true;
  for (const load_socket& socket : sockets_) {
    if (socket.warmup_next < peers_.peers_of_socket(socket.index)) return false;
  }
  return in_flight() == 0;
}

void udp_load_worker::run() {
  std::vector<epoll_event> events(sockets_.size());
  std::uint64_t next_expiry_scan = 0;
  for (;;) {
    const load_phase phase = control_.phase.load(std::memory_order_acquire);
    if (phase == load_phase::done) break;
    const std::uint64_t now = monotonic_ns();

    if (phase == load_phase::warmup && !reported_warm_ && warmed_up()) {
      reported_warm_ = true;
      control_.threads_warmed_up.fetch_add(1, std::memory_order_acq_rel);
    }
    if (phase == load_phase::drain && in_flight() == 0) break;

    bool more_to_send = false;
    if (phase == load_phase::warmup || phase == load_phase::measure) {
      for (load_socket& socket : sockets_) more_to_send = fill_window(socket, phase, now) || more_to_send;
    }

    // Block briefly only when there is nothing more to send right now (every window full, or
    // waiting for connect replies or for the warm-up to end): not a spin on a silent tracker.
    const int ready = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), more_to_send ? 0 : 1);
    const std::uint64_t received_at = monotonic_ns();
    for (int i = 0; i < ready; ++i) receive(sockets_[events[static_cast<std::size_t>(i)].data.u32], received_at);

    if (received_at >= next_expiry_scan) {
      for (load_socket& socket : sockets_) expire(socket, received_at);
      next_expiry_scan = received_at + 10'000'000;  // every 10 ms
    }
  }
}

bool udp_load_worker::fill_window(load_socket& socket, load_phase phase, std::uint64_t now_ns) {
  auto& packets = send_buffers_;
  std::array<std::uint16_t, receive_batch> packet_slots{};
  std::size_t count = 0;
  bool nothing_due = false;
  while (!socket.free_slots.empty() && count < receive_batch) {
    const std::uint16_t slot = socket.free_slots.back();
    packets[count].clear();
    if (!build_request(socket, phase, now_ns, slot, packets[count])) {
      nothing_due = true;
      break;
    }
    socket.free_slots.pop_back();
    packet_slots[count] = slot;
    ++count;
  }
  if (count == 0) return false;

  std::array<iovec, receive_batch> vectors{};
  std::array<mmsghdr, receive_batch> headers{};
  for (std::size_t i = 0; i < count; ++i) {
    vectors[i] = {packets[i].data(), packets[i].size()};
    headers[i].msg_hdr.msg_iov = &vectors[i];
    headers[i].msg_hdr.msg_iovlen = 1;
  }
  int sent = ::sendmmsg(socket.fd, headers.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
  if (sent < 0) sent = 0;
  // What the kernel did not take was never sent: give the slots back.
  for (std::size_t i = static_cast<std::size_t>(sent); i < count; ++i) {
    pending_request& request = socket.slots[packet_slots[i]];
    if (request.expected.kind == request_kind::connect) socket.connecting = false;
    if (request.measured) --results_.sent[static_cast<std::size_t>(request.expected.kind)];
    if (request.warmup_announce) --socket.warmup_next;  // the last ones handed out: that peer goes again
    request.used = false;
    socket.free_slots.push_back(packet_slots[i]);
  }
  live_counters::bump(live_.sent, static_cast<std::uint64_t>(sent));
  return !nothing_due && !socket.free_slots.empty();
}

bool udp_load_worker::build_request(load_socket& socket, load_phase phase, std::uint64_t now_ns, std::uint16_t slot,
                                    std::vector<std::uint8_t>& packet) {
  const bool id_fresh = socket.connected && now_ns - socket.connected_at_ns < reuse_ns_;
  request_kind kind;
  if (!id_fresh) {
    if (socket.connecting) return false;  // wait for the connect reply
    kind = request_kind::connect;
  } else if (phase == load_phase::warmup) {
    if (socket.warmup_next >= peers_.peers_of_socket(socket.index)) return false;
    kind = request_kind::announce;
  } else {
    const std::uint32_t total =
        config_.requests.connect_weight + config_.requests.announce_weight + config_.requests.scrape_weight;
    const auto pick = std::uniform_int_distribution<std::uint32_t>(0, total - 1)(random_);
    kind = pick < config_.requests.connect_weight                                      ? request_kind::connect
           : pick < config_.requests.connect_weight + config_.requests.announce_weight ? request_kind::announce
                                                                                       : request_kind::scrape;
    if (kind == request_kind::connect && socket.connecting) kind = request_kind::announce;
  }

  std::uint32_t transaction = (socket.sequence++ << slot_bits) | slot;
  if (transaction == 0) transaction = (socket.sequence++ << slot_bits) | slot;  // libtorrent never uses 0
  pending_request& request = socket.slots[slot];
  request = pending_request{};
  request.used = true;
  request.sent_ns = now_ns;
  request.measured = phase == load_phase::measure;
  request.expected.kind = kind;
  request.expected.transaction = transaction;
  request.expected.family = family_;

  switch (kind) {
    case request_kind::connect:
      socket.connecting = true;
      proto::udp::encode_connect_request(proto::transaction_id{transaction}, packet);
      break;
    case request_kind::announce: {
      const std::uint32_t count = peers_.peers_of_socket(socket.index);
      if (count == 0) {
        request.used = false;
        return false;
      }
      const bool warming = phase == load_phase::warmup;
      const std::uint32_t nth = warming ? socket.warmup_next++ : std::uniform_int_distribution<std::uint32_t>(0, count - 1)(random_);
      request.warmup_announce = warming;
      const std::uint32_t peer = peers_.peer_of_socket(socket.index, nth);
      proto::udp::announce_request announce;
      announce.connection = socket.connection;
      announce.transaction = proto::transaction_id{transaction};
      announce.hash = torrent_info_hash(config_.run.seed, peers_.torrent_of(peer));
      announce.peer = peers_.peer_id_of(peer);
      announce.left = peers_.is_seeder(peer) ? 0 : 1'000'000;
      announce.event = warming ? proto::udp::announce_event::started : proto::udp::announce_event::none;
      announce.key = peer;
      announce.num_want = static_cast<std::int32_t>(config_.requests.num_want);
      announce.port = peers_.port_of(peer);
      request.expected.num_want = config_.requests.num_want;
      proto::udp::encode_announce_request(announce, packet);
      break;
    }
    case request_kind::scrape: {
      const auto count = std::uniform_int_distribution<std::uint32_t>(1, config_.requests.max_scrape_hashes)(random_);
      std::array<proto::info_hash, proto::udp::max_scrape_hashes> hashes;
      for (std::uint32_t i = 0; i < count; ++i) hashes[i] = torrent_info_hash(config_.run.seed, popularity_.sample(random_));
      request.expected.scrape_hashes = count;
      proto::udp::encode_scrape_request(socket.connection, proto::transaction_id{transaction},
                                        std::span<const proto::info_hash>(hashes.data(), count), packet);
      break;
    }
  }
  if (request.measured) ++results_.sent[static_cast<std::size_t>(kind)];
  return true;
}

void udp_load_worker::receive(load_socket& socket, std::uint64_t now_ns) {
  std::array<std::array<std::uint8_t, datagram_capacity>, receive_batch> buffers;
  std::array<iovec, receive_batch> vectors{};
  std::array<mmsghdr, receive_batch> headers{};
  for (std::size_t i = 0; i < receive_batch; ++i) {
    vectors[i] = {buffers[i].data(), buffers[i].size()};
    headers[i].msg_hdr.msg_iov = &vectors[i];
    headers[i].msg_hdr.msg_iovlen = 1;
  }
  const int received = ::recvmmsg(socket.fd, headers.data(), receive_batch, MSG_DONTWAIT, nullptr);
  for (int i = 0; i < received; ++i) {
    const auto index = static_cast<std::size_t>(i);
    handle_reply(socket, std::span<const std::uint8_t>(buffers[index].data(), headers[index].msg_len), now_ns);
  }
}

void udp_load_worker::handle_reply(load_socket& socket, std::span<const std::uint8_t> packet, std::uint64_t now_ns) {
  std::uint32_t transaction = 0;
  const bool has_transaction = read_reply_transaction(packet, transaction);
  const std::size_t slot = transaction & ((1U << slot_bits) - 1);
  if (!has_transaction || slot >= socket.slots.size() || !socket.slots[slot].used ||
      socket.slots[slot].expected.transaction != transaction) {
    // Not a request in flight: a reply to one of the last counted lost (once), or else garbage, a
    // duplicate or a reply to a request never sent.
    const auto lost = std::find(socket.lost_transactions.begin(), socket.lost_transactions.end(), transaction);
    if (has_transaction && transaction != 0 && lost != socket.lost_transactions.end()) {
      ++results_.late;
      *lost = 0;
    } else {
      ++results_.malformed;
      live_counters::bump(live_.malformed);
    }
    return;
  }
  pending_request& request = socket.slots[slot];
  const reply_check check = check_reply(packet, request.expected);
  const auto kind = static_cast<std::size_t>(request.expected.kind);

  if (request.expected.kind == request_kind::connect) {
    socket.connecting = false;
    if (check.verdict == reply_verdict::ok) {
      socket.connected = true;
      socket.connection = check.connection;
      socket.connected_at_ns = now_ns;
    }
  }
  switch (check.verdict) {
    case reply_verdict::ok: live_counters::bump(live_.replies[kind]); break;
    case reply_verdict::error_reply: live_counters::bump(live_.error_replies); break;
    case reply_verdict::malformed: live_counters::bump(live_.malformed); break;
  }
  if (request.measured) {
    switch (check.verdict) {
      case reply_verdict::ok:
        ++results_.replies[kind];
        if (request.expected.kind == request_kind::announce) results_.announce_peers += check.peers;
        // Only answers are timed: a quick refusal or a broken reply is no fast answer.
        results_.latency_us.record((now_ns - request.sent_ns) / 1000);
        break;
      case reply_verdict::error_reply:
        ++results_.error_replies;
        if (results_.first_error.empty()) results_.first_error = check.problem;
        break;
      case reply_verdict::malformed:
        ++results_.malformed;
        if (results_.first_malformed.empty()) results_.first_malformed = check.problem;
        break;
    }
  }
  request.used = false;
  socket.free_slots.push_back(static_cast<std::uint16_t>(slot));
}

void udp_load_worker::expire(load_socket& socket, std::uint64_t now_ns) {
  for (std::size_t slot = 0; slot < socket.slots.size(); ++slot) {
    pending_request& request = socket.slots[slot];
    if (!request.used || now_ns - request.sent_ns < timeout_ns_) continue;
    if (request.expected.kind == request_kind::connect) socket.connecting = false;
    live_counters::bump(live_.lost);
    if (request.measured) ++results_.lost;
    socket.lost_transactions[socket.next_lost] = request.expected.transaction;
    socket.next_lost = (socket.next_lost + 1) % socket.lost_transactions.size();
    request.used = false;
    socket.free_slots.push_back(static_cast<std::uint16_t>(slot));
  }
}

}  // namespace riptide::load_test
