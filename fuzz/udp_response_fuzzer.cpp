// libFuzzer target: the BEP 15 response decoder (used by load_test) is total for both families.
#include <cstdint>
#include <span>

#include "tracker/proto/udp_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> packet(data, size);
  (void)riptide::proto::udp::decode_response(packet, riptide::proto::address_family::ipv4);
  (void)riptide::proto::udp::decode_response(packet, riptide::proto::address_family::ipv6);
  return 0;
}
