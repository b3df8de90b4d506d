#include "udp_reply_check.hpp"

#include <variant>

namespace riptide::load_test {
namespace {

reply_check malformed(std::string problem) { return {reply_verdict::malformed, {}, 0, std::move(problem)}; }

}  // namespace

reply_check check_reply(std::span<const std::uint8_t> packet, const expected_reply& expected) {
  const auto decoded = proto::udp::decode_response(packet, expected.family);
  if (const auto* error = std::get_if<proto::udp::response_error>(&decoded)) {
    return malformed(std::string(proto::udp::to_string(*error)));
  }
  const auto& response = std::get<proto::udp::any_response>(decoded);

  if (const auto* error = std::get_if<proto::udp::error_response>(&response)) {
    if (error->transaction.value != expected.transaction) return malformed("transaction id mismatch");
    return {reply_verdict::error_reply, {}, 0, error->message};
  }
  switch (expected.kind) {
    case request_kind::connect: {
      const auto* connect = std::get_if<proto::udp::connect_response>(&response);
      if (connect == nullptr) return malformed("expected a connect reply");
      if (connect->transaction.value != expected.transaction) return malformed("transaction id mismatch");
      return {reply_verdict::ok, connect->connection, 0, {}};
    }
    case request_kind::announce: {
      const auto* announce = std::get_if<proto::udp::announce_response>(&response);
      if (announce == nullptr) return malformed("expected an announce reply");
      if (announce->header.transaction.value != expected.transaction) return malformed("transaction id mismatch");
      const std::size_t peers = announce->ipv4_peers.size() + announce->ipv6_peers.size();
      if (peers > expected.num_want) return malformed("more peers than num_want");
      if (announce->header.interval == 0) return malformed("announce interval 0");
      return {reply_verdict::ok, {}, static_cast<std::uint32_t>(peers), {}};
    }
    case request_kind::scrape: {
      const auto* scrape = std::get_if<proto::udp::scrape_response>(&response);
      if (scrape == nullptr) return malformed("expected a scrape reply");
      if (scrape->transaction.value != expected.transaction) return malformed("transaction id mismatch");
      if (scrape->entries.size() != expected.scrape_hashes) return malformed("scrape entry count differs from request");
      return {reply_verdict::ok, {}, 0, {}};
    }
  }
  return malformed("unknown request kind");
}

}  // namespace riptide::load_test
