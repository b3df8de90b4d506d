#pragma once
// Checks a tracker's reply against the request it answers. Pure: the load generator counts what
// this says, and a test can feed it any bytes.

#include <cstdint>
#include <span>
#include <string>

#include "tracker/proto/udp_codec.hpp"

namespace riptide::load_test {

enum class request_kind : std::uint8_t { connect, announce, scrape };

struct expected_reply {
  request_kind kind = request_kind::connect;
  std::uint32_t transaction = 0;
  std::uint32_t num_want = 0;       // announce: most peers the reply may hold
  std::uint32_t scrape_hashes = 0;  // scrape: exact number of entries
  proto::address_family family = proto::address_family::ipv4;
};

enum class reply_verdict : std::uint8_t { ok, error_reply, malformed };

struct reply_check {
  reply_verdict verdict = reply_verdict::malformed;
  proto::connection_id connection;  // connect: the id to use
  std::uint32_t peers = 0;          // announce: peers in the reply
  std::string problem;              // malformed: what was wrong; error_reply: the tracker's message
};

// The transaction id must already have matched (`expected` was found by it).
reply_check check_reply(std::span<const std::uint8_t> packet, const expected_reply& expected);

// The transaction id of a reply, if it is long enough to carry one.
inline bool read_reply_transaction(std::span<const std::uint8_t> packet, std::uint32_t& transaction) {
  if (packet.size() < 8) return false;
  transaction = (std::uint32_t{packet[4]} << 24) | (std::uint32_t{packet[5]} << 16) | (std::uint32_t{packet[6]} << 8) |
                std::uint32_t{packet[7]};
  return true;
}

}  // namespace riptide::load_test
