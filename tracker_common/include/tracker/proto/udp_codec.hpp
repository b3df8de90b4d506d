#pragma once
// BEP 15 (UDP tracker protocol) and BEP 41 (UDP tracker extensions): pure codecs.
// Bytes in, values out, and back. No sockets, no clock. All integers are big-endian.
//
// Requests (client -> tracker)                  Responses (tracker -> client)
//   connect   16 B: 0:8 protocol id 0x41727101980  connect  16 B: 0:4 action 0; 4:4 transaction id;
//                   8:4 action 0; 12:4 transaction id          8:8 connection id
//   announce  98 B: 0:8 connection id; 8:4 action 1  announce 20 B + peers: 0:4 action 1; 4:4 tid;
//                   12:4 tid; 16:20 info hash;               8:4 interval; 12:4 leechers; 16:4 seeders;
//                   36:20 peer id; 56:8 downloaded;          then 6 B (IPv4+port) or 18 B (IPv6+port)
//                   64:8 left; 72:8 uploaded; 80:4 event;    per peer, one family per reply
//                   84:4 IPv4; 88:4 key; 92:4 num_want;
//                   96:2 port; BEP 41 options may follow
//   scrape    16 B + 20 B per info hash              scrape 8 B + 12 B per hash: 0:4 action 2;
//                   0:8 connection id; 8:4 action 2;         4:4 tid; then seeders, completed,
//                   12:4 tid; then the hashes                leechers per hash, in request order
//                                                    error 8 B + message: 0:4 action 3; 4:4 tid

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/container/static_vector.hpp>

#include "tracker/proto/types.hpp"

namespace riptide::proto::udp {

inline constexpr std::uint64_t protocol_id = 0x41727101980ULL;

inline constexpr std::size_t connect_request_size = 16;
inline constexpr std::size_t connect_response_size = 16;
inline constexpr std::size_t announce_request_size = 98;
inline constexpr std::size_t announce_response_header_size = 20;
inline constexpr std::size_t scrape_request_header_size = 16;
inline constexpr std::size_t scrape_response_header_size = 8;
inline constexpr std::size_t scrape_response_entry_size = 12;
inline constexpr std::size_t error_response_header_size = 8;
inline constexpr std::size_t ipv4_peer_size = 6;
inline constexpr std::size_t ipv6_peer_size = 18;

// The most hashes a scrape request can carry and still be decoded. BEP 15 says "up to about 74";
// the tracker may answer fewer (config), never more.
inline constexpr std::size_t max_scrape_hashes = 74;

enum class action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

// 4 (paused) is libtorrent's BEP 21 extension; every other value past 3 is refused.
enum class announce_event : std::uint32_t { none = 0, completed = 1, started = 2, stopped = 3, paused = 4 };

struct connect_request {
  transaction_id transaction;
};

struct announce_request {
  connection_id connection;
  transaction_id transaction;
  info_hash hash;
  peer_id peer;
  std::int64_t downloaded = 0;
  std::int64_t left = 0;
  std::int64_t uploaded = 0;
  announce_event event = announce_event::none;
  std::uint32_t ipv4_address = 0;  // the client's claim; the tracker ignores it (see protocols.md)
  std::uint32_t key = 0;
  std::int32_t num_want = -1;  // negative: the tracker's default
  std::uint16_t port = 0;
};

using scrape_hashes = boost::container::static_vector<info_hash, max_scrape_hashes>;

struct scrape_request {
  connection_id connection;
  transaction_id transaction;
  scrape_hashes hashes;  // 1..max_scrape_hashes, in request order
};

using any_request = std::variant<connect_request, announce_request, scrape_request>;

// Why a request could not be decoded. What the tracker may do about it depends on whether the
// header (connection id, action, transaction id) was readable and the connection id is valid:
// see decode_failure::header_readable.
enum class request_error : std::uint8_t {
  too_short,          // shorter than the fixed layout of its action (or than 16 bytes)
  bad_protocol_id,    // a connect without the magic protocol id: always dropped silently
  unknown_action,     // an action that is not connect, announce or scrape
  bad_event,          // announce event > 4
  no_info_hashes,     // a scrape with no hash
  too_many_info_hashes,
  trailing_bytes,     // a scrape whose length is not 16 + 20n
};

std::string_view to_string(request_error error);

struct decode_failure {
  request_error error;
  // True when bytes 0..16 were present and not a connect: connection id, action and transaction id
  // below are the client's, and an error reply may be sent if the connection id is valid.
  bool header_readable = false;
  connection_id connection;
  transaction_id transaction;
};

using decode_result = std::variant<any_request, decode_failure>;

// Total: any byte sequence gives a request or a failure, never undefined behaviour.
decode_result decode_request(std::span<const std::uint8_t> packet);

// --- Responses (tracker side: encode; load tester and tests: decode) ---

struct connect_response {
  transaction_id transaction;
  connection_id connection;
};

struct announce_response_header {
  transaction_id transaction;
  std::uint32_t interval = 0;
  std::uint32_t leechers = 0;
  std::uint32_t seeders = 0;
};

struct scrape_entry {
  std::uint32_t seeders = 0;
  std::uint32_t completed = 0;
  std::uint32_t leechers = 0;
};

struct error_response {
  transaction_id transaction;
  std::string message;
};

// Encoders append to `out` and return the number of bytes written.
std::size_t encode_connect_response(const connect_response& response, std::vector<std::uint8_t>& out);
std::size_t encode_announce_response(const announce_response_header& header,
                                     std::span<const ipv4_endpoint> peers, std::vector<std::uint8_t>& out);
std::size_t encode_announce_response(const announce_response_header& header,
                                     std::span<const ipv6_endpoint> peers, std::vector<std::uint8_t>& out);
std::size_t encode_scrape_response(transaction_id transaction, std::span<const scrape_entry> entries,
                                   std::vector<std::uint8_t>& out);
std::size_t encode_error_response(transaction_id transaction, std::string_view message,
                                  std::vector<std::uint8_t>& out);

// A decoded response. The peer list of an announce is kept as raw entries of one family, the
// family being the one of the socket the reply came in on (the reply itself does not say).
struct announce_response {
  announce_response_header header;
  std::vector<ipv4_endpoint> ipv4_peers;
  std::vector<ipv6_endpoint> ipv6_peers;
};

struct scrape_response {
  transaction_id transaction;
  std::vector<scrape_entry> entries;
};

using any_response = std::variant<connect_response, announce_response, scrape_response, error_response>;

enum class response_error : std::uint8_t { too_short, unknown_action, bad_peer_area_length, bad_scrape_length };
std::string_view to_string(response_error error);

using response_decode_result = std::variant<any_response, response_error>;

// Decodes a tracker reply received over `family` (which fixes the peer entry size). Total.
response_decode_result decode_response(std::span<const std::uint8_t> packet, address_family family);

// --- Requests (load tester and tests: encode) ---

// BEP 41 options appended after the 98-byte announce; `url_data` empty means none.
struct announce_options {
  std::string_view url_data;
};

std::size_t encode_connect_request(transaction_id transaction, std::vector<std::uint8_t>& out);
std::size_t encode_announce_request(const announce_request& request, std::vector<std::uint8_t>& out,
                                    const announce_options& options = {});
std::size_t encode_scrape_request(connection_id connection, transaction_id transaction,
                                  std::span<const info_hash> hashes, std::vector<std::uint8_t>& out);

}  // namespace riptide::proto::udp
