#pragma once
// A BEP 15 client for the integration tests: one blocking UDP socket bound to a chosen local
// address (127.0.0.x or ::1, port 0), aimed at the tracker, with a receive timeout. Requests are
// encoded and replies decoded with the project's pure codecs (tracker/proto/udp_codec.hpp).
//
// Helpers that expect a particular reply throw std::runtime_error with a description of what came
// instead (Catch2 reports the message as the test failure). The timeout only matters when a reply
// is missing: nothing here waits for time to pass.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/proto/types.hpp"
#include "tracker/proto/udp_codec.hpp"

namespace riptide::test {

class udp_test_client {
 public:
  // Binds to `local_address` port 0. The tracker is at the loopback address of the same family
  // (127.0.0.1 or ::1) on `tracker_port`.
  udp_test_client(const std::string& local_address, std::uint16_t tracker_port,
                  std::chrono::milliseconds receive_timeout = std::chrono::seconds(5));
  ~udp_test_client();
  udp_test_client(const udp_test_client&) = delete;
  udp_test_client& operator=(const udp_test_client&) = delete;

  proto::address_family family() const { return family_; }
  // The local address as the tracker sees it: 4 or 16 bytes in network order.
  const std::vector<std::uint8_t>& address_bytes() const { return address_bytes_; }
  std::uint16_t local_port() const { return local_port_; }

  void send_raw(std::span<const std::uint8_t> datagram);
  // The next datagram, or an empty vector if none came within the receive timeout.
  std::vector<std::uint8_t> receive();
  // The next datagram decoded; throws on timeout or if it does not decode.
  proto::udp::any_response receive_response();

  // A fresh transaction id (never 0: libtorrent never uses it, and neither do we).
  proto::transaction_id next_transaction();

  // Sends a connect and returns the connection id of the reply (also kept as the client's current
  // id); throws unless the reply is a 16-byte connect reply with the same transaction id.
  proto::connection_id connect();
  proto::connection_id connection() const { return connection_; }
  void set_connection(proto::connection_id connection) { connection_ = connection; }

  // An announce request with the client's connection id, a fresh transaction id, and the given
  // hash and port; a leecher (left = 1) with event none and num_want -1 unless changed.
  proto::udp::announce_request make_announce(const proto::info_hash& hash, std::uint16_t port);

  // Sends the announce and returns the reply with its transaction id (throws on any other id).
  proto::udp::any_response announce(const proto::udp::announce_request& request,
                                    const proto::udp::announce_options& options = {});
  // As above, but throws unless the reply is an announce reply.
  proto::udp::announce_response announce_ok(const proto::udp::announce_request& request);
  // As above, but throws unless the reply is an error reply.
  proto::udp::error_response announce_error(const proto::udp::announce_request& request);

  // Sends a scrape with the client's connection id and returns the reply with its transaction id.
  proto::udp::any_response scrape(std::span<const proto::info_hash> hashes);
  // As above, but throws unless the reply is a scrape reply with one entry per hash.
  std::vector<proto::udp::scrape_entry> scrape_ok(std::span<const proto::info_hash> hashes);
  proto::udp::scrape_entry scrape_one(const proto::info_hash& hash);

  // Proves that whatever was sent before got no reply, without waiting for a timeout. Sends a
  // connect, then (with the new connection id) a scrape of `probe_hash`, and checks that the first
  // two datagrams received are exactly their replies. This holds because one socket worker handles
  // one client's datagrams in order, answering a connect itself before it reads the next datagram,
  // and because requests for one info hash go through one request worker in order: a reply to an
  // earlier announce or scrape of `probe_hash` would come before the probe's scrape reply. Pass the
  // hash of the request that must stay unanswered.
  // Returns "none" when nothing else came, otherwise a description of the unexpected datagram.
  std::string reply_before_probe(const proto::info_hash& probe_hash);

  // A one-line description of a datagram received by a client of `family`, for failure messages.
  static std::string describe(std::span<const std::uint8_t> datagram, proto::address_family family);

 private:
  template <typename Response>
  Response expect(const proto::udp::any_response& response, proto::transaction_id transaction, const char* what);

  int fd_ = -1;
  proto::address_family family_;
  std::vector<std::uint8_t> address_bytes_;
  std::uint16_t local_port_ = 0;
  proto::connection_id connection_;
  std::uint32_t transaction_counter_ = 1;
};

// A test info hash: 20 bytes derived from `seed` (distinct seeds, distinct hashes; never all zero).
proto::info_hash make_info_hash(std::uint32_t seed);
// The same for peer ids.
proto::peer_id make_peer_id(std::uint32_t seed);

// Address helpers. "127.0.0.1" / "::1": the tracker's loopback address in `family`.
std::string loopback_address(proto::address_family family);
// The i-th client address of a family: 127.0.0.(1 + i) for IPv4; always ::1 for IPv6 (the only
// loopback address there is), so IPv6 clients are told apart by their announced ports.
std::string client_address(proto::address_family family, unsigned index);
std::string to_string(proto::address_family family);

}  // namespace riptide::test
