// libFuzzer target: the PROXY protocol header is read totally. A complete header is no longer
// than the input and than each version's bound, and reads the same with anything behind it; a
// header that needs more promises every byte so far is its own, so a reader that consumed them
// and later got the rest reads the same header; a source is never IPv4-mapped.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tracker/proto/proxy_protocol.hpp"

namespace proto = riptide::proto;
using outcome = proto::proxy_parse_result::outcome;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto result = proto::parse_proxy_header(bytes);
  if (result.what != outcome::complete) {
    if (result.what == outcome::need_more && size >= proto::proxy_v2_max_bytes) std::abort();
    return 0;
  }
  const auto& header = result.header;
  if (header.length == 0 || header.length > size || header.length > proto::proxy_v2_max_bytes) std::abort();
  if (bytes[0] == 'P' && header.length > proto::proxy_v1_max_bytes) std::abort();
  if (header.source && !(proto::unmapped(*header.source) == *header.source)) std::abort();
  // Each proper prefix of the header asks for more.
  for (std::size_t n = 0; n < header.length; ++n) {
    if (proto::parse_proxy_header(bytes.substr(0, n)).what != outcome::need_more) std::abort();
  }
  // The same header with other bytes behind it.
  const std::string followed = std::string(bytes.substr(0, header.length)) + "\x16\x03\x01";
  const auto again = proto::parse_proxy_header(followed);
  if (again.what != outcome::complete || again.header.length != header.length ||
      again.header.source != header.source || again.header.source_port != header.source_port) {
    std::abort();
  }
  return 0;
}
