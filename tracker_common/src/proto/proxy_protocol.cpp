#include "tracker/proto/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace riptide::proto {

namespace {

using outcome = proxy_parse_result::outcome;

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t v2_fixed_bytes = 16;  // signature, version and command, family, length

proxy_parse_result invalid() { return {outcome::invalid, {}}; }
proxy_parse_result need_more() { return {outcome::need_more, {}}; }

// Whether `bytes` so far agree with `expected` (a prefix of it, or starting with it).
bool agrees_with(std::string_view bytes, std::string_view expected) {
  const std::size_t n = std::min(bytes.size(), expected.size());
  return bytes.substr(0, n) == expected.substr(0, n);
}

// Splits off the text up to the next single space; nullopt when there is none.
std::optional<std::string_view> next_field(std::string_view& rest) {
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return field;
}

// "TCP4 <source> <destination> <source port> <destination port>" (or TCP6), or "UNKNOWN...":
// the line after "PROXY ", without its "\r\n".
proxy_parse_result parse_v1_line(std::string_view line, std::size_t length) {
  proxy_parse_result result{outcome::complete, {}};
  result.header.length = length;
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return result;  // the rest is ignored
  std::string_view rest = line;
  const auto protocol = next_field(rest);
  if (!protocol || (*protocol != "TCP4" && *protocol != "TCP6")) return invalid();
  const bool ipv6_text = *protocol == "TCP6";
  const auto source_text = next_field(rest);
  const auto destination_text = next_field(rest);
  const auto source_port_text = next_field(rest);
  if (!source_text || !destination_text || !source_port_text) return invalid();
  const std::string_view destination_port_text = rest;
  for (const std::string_view text : {*source_text, *destination_text}) {
    if ((text.find(':') != std::string_view::npos) != ipv6_text || !parse_ip_address(text)) return invalid();
  }
  const auto source_port = parse_port(*source_port_text);
  if (!source_port || !parse_port(destination_port_text)) return invalid();
  result.header.source = parse_ip_address(*source_text);
  result.header.source_port = *source_port;
  return result;
}

proxy_parse_result parse_v1(std::string_view bytes) {
  if (!agrees_with(bytes, v1_prefix)) return invalid();
  const std::string_view window = bytes.substr(0, proxy_v1_max_bytes);
  const auto line_end = window.find_first_of("\r\n");
  if (line_end == std::string_view::npos) {
    return window.size() < proxy_v1_max_bytes ? need_more() : invalid();
  }
  // A line feed alone, or a carriage return followed by anything else, ends no header.
  if (window[line_end] != '\r') return invalid();
  if (line_end + 1 == window.size()) {
    return window.size() < proxy_v1_max_bytes ? need_more() : invalid();
  }
  if (window[line_end + 1] != '\n') return invalid();
  return parse_v1_line(window.substr(v1_prefix.size(), line_end - v1_prefix.size()), line_end + 2);
}

std::uint16_t read_u16(const char* data) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(data[0]) << 8) | static_cast<std::uint8_t>(data[1]));
}

proxy_parse_result parse_v2(std::string_view bytes) {
  if (!agrees_with(bytes, v2_signature)) return invalid();
  if (bytes.size() <= v2_signature.size()) return need_more();
  const auto version_command = static_cast<std::uint8_t>(bytes[12]);
  const unsigned command = version_command & 0x0f;
  if ((version_command >> 4) != 2 || command > 1) return invalid();  // version 2; LOCAL or PROXY
  if (bytes.size() < v2_fixed_bytes) return need_more();
  const auto family_transport = static_cast<std::uint8_t>(bytes[13]);
  const unsigned family = family_transport >> 4;  // 0 unspecified, 1 IPv4, 2 IPv6, 3 unix
  const unsigned transport = family_transport & 0x0f;  // 0 unspecified, 1 stream, 2 datagram
  // The defined values only: both unspecified, or a known family over a stream or datagrams.
  const bool defined = family_transport == 0x00 || (family >= 1 && family <= 3 && (transport == 1 || transport == 2));
  if (!defined) return invalid();
  // A datagram client cannot be the client of a TCP connection.
  if (command == 1 && transport == 2) return invalid();
  const std::size_t length = v2_fixed_bytes + read_u16(bytes.data() + 14);
  if (length > proxy_v2_max_bytes) return invalid();
  // What the family's addresses take; the rest of the length is TLVs.
  constexpr std::array<std::size_t, 4> address_bytes = {0, 12, 36, 216};
  if (command == 1 && length - v2_fixed_bytes < address_bytes[family]) return invalid();
  if (bytes.size() < length) return need_more();

  proxy_parse_result result{outcome::complete, {}};
  result.header.length = length;
  // LOCAL: the balancer speaks for itself, whatever the address block says.
  if (command == 0 || (family != 1 && family != 2)) return result;
  const char* addresses = bytes.data() + v2_fixed_bytes;
  ip_address source;
  if (family == 1) {
    source.family = address_family::ipv4;
    std::memcpy(source.bytes.data(), addresses, 4);
    result.header.source_port = read_u16(addresses + 8);
  } else {
    source.family = address_family::ipv6;
    std::memcpy(source.bytes.data(), addresses, 16);
    result.header.source_port = read_u16(addresses + 32);
  }
  result.header.source = unmapped(source);
  return result;
}

}  // namespace

proxy_parse_result parse_proxy_header(std::string_view bytes) {
  if (bytes.empty()) return need_more();
  if (bytes[0] == v1_prefix[0]) return parse_v1(bytes);
  if (bytes[0] == v2_signature[0]) return parse_v2(bytes);
  return invalid();
}

}  // namespace riptide::proto
