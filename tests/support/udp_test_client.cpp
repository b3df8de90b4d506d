#include "udp_test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>
#include <type_traits>
#include <variant>

namespace riptide::test {
namespace {

namespace udp = proto::udp;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

[[noreturn]] void fail_errno(const std::string& what) { fail(what + ": " + std::strerror(errno)); }

// Fills `storage` with address:port; returns the length, or 0 if `address` is not numeric.
socklen_t make_socket_address(const std::string& address, std::uint16_t port, sockaddr_storage& storage,
                              proto::address_family& family) {
  storage = sockaddr_storage{};
  if (sockaddr_in v4{}; ::inet_pton(AF_INET, address.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&storage, &v4, sizeof v4);
    family = proto::address_family::ipv4;
    return sizeof v4;
  }
  if (sockaddr_in6 v6{}; ::inet_pton(AF_INET6, address.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&storage, &v6, sizeof v6);
    family = proto::address_family::ipv6;
    return sizeof v6;
  }
  return 0;
}

std::string format_address(std::span<const std::uint8_t> bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

const char* action_name(const udp::any_response& response) {
  if (std::holds_alternative<udp::connect_response>(response)) return "connect";
  if (std::holds_alternative<udp::announce_response>(response)) return "announce";
  if (std::holds_alternative<udp::scrape_response>(response)) return "scrape";
  return "error";
}

proto::transaction_id transaction_of(const udp::any_response& response) {
  return std::visit(
      [](const auto& reply) {
        if constexpr (std::is_same_v<std::decay_t<decltype(reply)>, udp::announce_response>) {
          return reply.header.transaction;
        } else {
          return reply.transaction;
        }
      },
      response);
}

}  // namespace

udp_test_client::udp_test_client(const std::string& local_address, std::uint16_t tracker_port,
                                 std::chrono::milliseconds receive_timeout)
    : family_(proto::address_family::ipv4) {
  // Start transaction ids at a random point, so that two clients never share them by accident.
  std::random_device random;
  transaction_counter_ = std::uniform_int_distribution<std::uint32_t>(1, 1U << 30)(random);

  sockaddr_storage local{};
  const socklen_t local_length = make_socket_address(local_address, 0, local, family_);
  if (local_length == 0) fail("udp_test_client: not a numeric address: " + local_address);

  fd_ = ::socket(family_ == proto::address_family::ipv4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail_errno("udp_test_client: socket");
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), local_length) != 0) {
    const std::string message = "udp_test_client: bind " + local_address + ": " + std::strerror(errno);
    ::close(fd_);
    fail(message);
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  if (family_ == proto::address_family::ipv4) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(bound);
    local_port_ = ntohs(v4.sin_port);
    address_bytes_.resize(4);
    std::memcpy(address_bytes_.data(), &v4.sin_addr, 4);
  } else {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(bound);
    local_port_ = ntohs(v6.sin6_port);
    address_bytes_.resize(16);
    std::memcpy(address_bytes_.data(), &v6.sin6_addr, 16);
  }

  timeval timeout{};
  timeout.tv_sec = static_cast<time_t>(receive_timeout.count() / 1000);
  timeout.tv_usec = static_cast<suseconds_t>((receive_timeout.count() % 1000) * 1000);
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
    ::close(fd_);
    fail_errno("udp_test_client: SO_RCVTIMEO");
  }

  // connect(2) fixes the destination, and makes the kernel drop datagrams from anyone else.
  sockaddr_storage tracker{};
  proto::address_family tracker_family{};
  const socklen_t tracker_length = make_socket_address(loopback_address(family_), tracker_port, tracker, tracker_family);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&tracker), tracker_length) != 0) {
    ::close(fd_);
    fail_errno("udp_test_client: connect");
  }
}

udp_test_client::~udp_test_client() {
  if (fd_ >= 0) ::close(fd_);
}

void udp_test_client::send_raw(std::span<const std::uint8_t> datagram) {
  const ssize_t sent = ::send(fd_, datagram.data(), datagram.size(), 0);
  if (sent < 0 || static_cast<std::size_t>(sent) != datagram.size()) fail_errno("udp_test_client: send");
}

std::vector<std::uint8_t> udp_test_client::receive() {
  std::vector<std::uint8_t> buffer(65536);
  for (;;) {
    const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (got >= 0) {
      buffer.resize(static_cast<std::size_t>(got));
      return buffer;
    }
    if (errno == EINTR) continue;
    // EAGAIN: the timeout. ECONNREFUSED: an ICMP port unreachable, i.e. no tracker there.
    return {};
  }
}

udp::any_response udp_test_client::receive_response() {
  const std::vector<std::uint8_t> datagram = receive();
  if (datagram.empty()) fail("no reply from the tracker within the receive timeout");
  auto decoded = udp::decode_response(datagram, family_);
  if (const auto* error = std::get_if<udp::response_error>(&decoded)) {
    fail("undecodable reply (" + std::string(udp::to_string(*error)) + "): " + describe(datagram, family_));
  }
  return std::get<udp::any_response>(std::move(decoded));
}

proto::transaction_id udp_test_client::next_transaction() {
  if (++transaction_counter_ == 0) transaction_counter_ = 1;
  return proto::transaction_id{transaction_counter_};
}

template <typename Response>
Response udp_test_client::expect(const udp::any_response& response, proto::transaction_id transaction,
                                 const char* what) {
  if (transaction_of(response) != transaction) {
    fail(std::string("expected the ") + what + " reply to transaction " + std::to_string(transaction.value) +
         ", got a " + action_name(response) + " reply to transaction " +
         std::to_string(transaction_of(response).value));
  }
  if (const auto* reply = std::get_if<Response>(&response)) return *reply;
  std::string detail;
  if (const auto* error = std::get_if<udp::error_response>(&response)) detail = ": \"" + error->message + "\"";
  fail(std::string("expected a ") + what + " reply, got a " + action_name(response) + " reply" + detail);
}

proto::connection_id udp_test_client::connect() {
  const proto::transaction_id transaction = next_transaction();
  std::vector<std::uint8_t> request;
  udp::encode_connect_request(transaction, request);
  send_raw(request);
  const std::vector<std::uint8_t> datagram = receive();
  if (datagram.empty()) fail("no connect reply within the receive timeout");
  if (datagram.size() != udp::connect_response_size) {
    fail("connect reply of " + std::to_string(datagram.size()) + " bytes: " + describe(datagram, family_));
  }
  auto decoded = udp::decode_response(datagram, family_);
  if (!std::holds_alternative<udp::any_response>(decoded)) fail("undecodable connect reply");
  connection_ = expect<udp::connect_response>(std::get<udp::any_response>(decoded), transaction, "connect").connection;
  return connection_;
}

udp::announce_request udp_test_client::make_announce(const proto::info_hash& hash, std::uint16_t port) {
  udp::announce_request request;
  request.connection = connection_;
  request.transaction = next_transaction();
  request.hash = hash;
  request.peer = make_peer_id(port);
  request.left = 1;
  request.event = udp::announce_event::none;
  request.num_want = -1;
  request.port = port;
  return request;
}

udp::any_response udp_test_client::announce(const udp::announce_request& request,
                                            const udp::announce_options& options) {
  std::vector<std::uint8_t> datagram;
  udp::encode_announce_request(request, datagram, options);
  send_raw(datagram);
  udp::any_response response = receive_response();
  if (transaction_of(response) != request.transaction) {
    fail("expected the reply to announce transaction " + std::to_string(request.transaction.value) + ", got a " +
         action_name(response) + " reply to transaction " + std::to_string(transaction_of(response).value));
  }
  return response;
}

udp::announce_response udp_test_client::announce_ok(const udp::announce_request& request) {
  return expect<udp::announce_response>(announce(request), request.transaction, "announce");
}

udp::error_response udp_test_client::announce_error(const udp::announce_request& request) {
  return expect<udp::error_response>(announce(request), request.transaction, "error");
}

udp::any_response udp_test_client::scrape(std::span<const proto::info_hash> hashes) {
  const proto::transaction_id transaction = next_transaction();
  std::vector<std::uint8_t> datagram;
  udp::encode_scrape_request(connection_, transaction, hashes, datagram);
  send_raw(datagram);
  udp::any_response response = receive_response();
  if (transaction_of(response) != transaction) {
    fail("expected the reply to scrape transaction " + std::to_string(transaction.value) + ", got a " +
         action_name(response) + " reply to transaction " + std::to_string(transaction_of(response).value));
  }
  return response;
}

std::vector<udp::scrape_entry> udp_test_client::scrape_ok(std::span<const proto::info_hash> hashes) {
  const udp::any_response response = scrape(hashes);
  auto reply = expect<udp::scrape_response>(response, transaction_of(response), "scrape");
  if (reply.entries.size() != hashes.size()) {
    fail("scrape of " + std::to_string(hashes.size()) + " hashes answered with " +
         std::to_string(reply.entries.size()) + " entries");
  }
  return reply.entries;
}

udp::scrape_entry udp_test_client::scrape_one(const proto::info_hash& hash) {
  return scrape_ok(std::span<const proto::info_hash>(&hash, 1)).front();
}

std::string udp_test_client::reply_before_probe(const proto::info_hash& probe_hash) {
  const proto::transaction_id connect_transaction = next_transaction();
  std::vector<std::uint8_t> request;
  udp::encode_connect_request(connect_transaction, request);
  send_raw(request);
  std::vector<std::uint8_t> first = receive();
  if (first.empty()) return "nothing at all: not even the probe's connect reply";
  auto decoded = udp::decode_response(first, family_);
  const auto* response = std::get_if<udp::any_response>(&decoded);
  const auto* connect_reply = response != nullptr ? std::get_if<udp::connect_response>(response) : nullptr;
  if (connect_reply == nullptr || connect_reply->transaction != connect_transaction ||
      first.size() != udp::connect_response_size) {
    return describe(first, family_);
  }
  connection_ = connect_reply->connection;

  const proto::transaction_id scrape_transaction = next_transaction();
  request.clear();
  udp::encode_scrape_request(connection_, scrape_transaction, std::span<const proto::info_hash>(&probe_hash, 1),
                             request);
  send_raw(request);
  std::vector<std::uint8_t> second = receive();
  if (second.empty()) return "nothing after the probe's connect reply: not even the probe's scrape reply";
  decoded = udp::decode_response(second, family_);
  response = std::get_if<udp::any_response>(&decoded);
  const auto* scrape_reply = response != nullptr ? std::get_if<udp::scrape_response>(response) : nullptr;
  if (scrape_reply == nullptr || scrape_reply->transaction != scrape_transaction) return describe(second, family_);
  return "none";
}

std::string udp_test_client::describe(std::span<const std::uint8_t> datagram, proto::address_family family) {
  std::string text = std::to_string(datagram.size()) + "-byte datagram";
  auto decoded = udp::decode_response(datagram, family);
  if (const auto* error = std::get_if<udp::response_error>(&decoded)) {
    return text + " (undecodable: " + std::string(udp::to_string(*error)) + ")";
  }
  const auto& response = std::get<udp::any_response>(decoded);
  text += std::string(", ") + action_name(response) + " reply to transaction " +
          std::to_string(transaction_of(response).value);
  if (const auto* error = std::get_if<udp::error_response>(&response)) text += ": \"" + error->message + "\"";
  if (const auto* announce = std::get_if<udp::announce_response>(&response)) {
    text += ": interval " + std::to_string(announce->header.interval) + ", " +
            std::to_string(announce->header.seeders) + " seeders, " + std::to_string(announce->header.leechers) +
            " leechers, peers";
    for (const auto& peer : announce->ipv4_peers) {
      text += " " + format_address(peer.address) + ":" + std::to_string(peer.port);
    }
    for (const auto& peer : announce->ipv6_peers) {
      text += " [" + format_address(peer.address) + "]:" + std::to_string(peer.port);
    }
  }
  return text;
}

proto::info_hash make_info_hash(std::uint32_t seed) {
  // A small xorshift stream seeded by `seed`: distinct seeds give distinct first words.
  proto::info_hash hash;
  std::uint32_t state = seed * 2654435761U + 0x9e3779b9U;
  for (std::size_t i = 0; i < proto::info_hash::size; i += 4) {
    const std::uint32_t word = i == 0 ? seed : state;
    for (std::size_t b = 0; b < 4; ++b) hash.bytes[i + b] = static_cast<std::uint8_t>(word >> (24 - 8 * b));
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
  }
  hash.bytes[19] |= 1;  // never all zero
  return hash;
}

proto::peer_id make_peer_id(std::uint32_t seed) {
  proto::peer_id id;
  const proto::info_hash source = make_info_hash(seed ^ 0x5a5a5a5aU);
  id.bytes = source.bytes;
  id.bytes[0] = '-';
  id.bytes[1] = 'R';
  id.bytes[2] = 'T';
  return id;
}

std::string loopback_address(proto::address_family family) {
  return family == proto::address_family::ipv4 ? "127.0.0.1" : "::1";
}

std::string client_address(proto::address_family family, unsigned index) {
  if (family == proto::address_family::ipv6) return "::1";
  if (index > 253) throw std::invalid_argument("client_address: index beyond 127.0.0.254");
  return "127.0.0." + std::to_string(1 + index);
}

std::string to_string(proto::address_family family) {
  return family == proto::address_family::ipv4 ? "IPv4" : "IPv6";
}

}  // namespace riptide::test
