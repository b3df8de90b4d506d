// libFuzzer target: the BEP 15 request decoder is total, and what it decodes re-encodes to the
// bytes it came from (the fixed part of an announce; connect and scrape exactly).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <variant>
#include <vector>

#include "tracker/proto/udp_codec.hpp"

using namespace riptide::proto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> packet(data, size);
  const udp::decode_result result = udp::decode_request(packet);
  const auto* request = std::get_if<udp::any_request>(&result);
  if (request == nullptr) return 0;
  std::vector<std::uint8_t> encoded;
  if (const auto* connect = std::get_if<udp::connect_request>(request)) {
    udp::encode_connect_request(connect->transaction, encoded);
  } else if (const auto* announce = std::get_if<udp::announce_request>(request)) {
    udp::encode_announce_request(*announce, encoded);
  } else {
    const auto& scrape = std::get<udp::scrape_request>(*request);
    udp::encode_scrape_request(scrape.connection, scrape.transaction,
                               std::span<const info_hash>(scrape.hashes.data(), scrape.hashes.size()), encoded);
  }
  if (encoded.size() > size || std::memcmp(encoded.data(), data, encoded.size()) != 0) std::abort();
  return 0;
}
