// libFuzzer target: X-Forwarded-For, RFC 7239 Forwarded and prefix lists are read totally, and the
// X-Forwarded-For client found is never a trusted proxy unless every entry is one. The input is
// split into header lines at '\n'; the same lines are also read as Forwarded, and the same text as
// a list of prefixes.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "tracker/proto/forwarded_for.hpp"

namespace proto = riptide::proto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)proto::parse_prefix_list(text);
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    const auto newline = rest.find('\n');
    lines.push_back(rest.substr(0, newline));
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
  }
  static const auto trusted = proto::parse_prefix_list("127.0.0.0/8, ::1, 10.0.0.0/8, 2001:db8::/32").prefixes;
  const auto client = proto::find_forwarded_client(lines, trusted);
  if (client.what == proto::forwarded_client::outcome::found) {
    // A trusted client: then no entry may be untrusted.
    if (proto::any_contains(trusted, client.address)) {
      for (const auto line : lines) {
        for (std::string_view rest = line; !rest.empty();) {
          const auto comma = rest.find(',');
          const auto entry = proto::parse_forwarded_address(rest.substr(0, comma));
          rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
          if (!entry) continue;  // empty, or left of the client (never read)
          if (!proto::any_contains(trusted, *entry)) std::abort();
        }
      }
    }
    if (!(proto::unmapped(client.address) == client.address)) std::abort();  // always unmapped
  }
  const auto rfc7239 = proto::find_rfc7239_client(lines, trusted);
  if (rfc7239.what == proto::forwarded_client::outcome::found &&
      !(proto::unmapped(rfc7239.address) == rfc7239.address)) {
    std::abort();
  }
  return 0;
}
