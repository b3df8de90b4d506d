#include "tracker/proto/forwarded_for.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace riptide::proto {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// As written, IPv4-mapped or not.
std::optional<ip_address> strict_address(std::string_view text) {
  // Hex digits, colons and dots only (no scope id, no host name); 45: the longest IPv6 text.
  if (text.empty() || text.size() > 45) return std::nullopt;
  if (text.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) return std::nullopt;
  char terminated[46];
  std::memcpy(terminated, text.data(), text.size());
  terminated[text.size()] = '\0';
  ip_address address;
  if (text.find(':') == std::string_view::npos) {
    if (::inet_pton(AF_INET, terminated, address.bytes.data()) != 1) return std::nullopt;
    address.family = address_family::ipv4;
  } else {
    if (::inet_pton(AF_INET6, terminated, address.bytes.data()) != 1) return std::nullopt;
    address.family = address_family::ipv6;
  }
  return address;
}

// The first `length` bits of the address, the rest zero.
ip_address masked(ip_address address, unsigned length) {
  for (std::size_t i = 0; i < address.bytes.size(); ++i) {
    const unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= length) {
      address.bytes[i] = 0;
    } else if (length - bit < 8) {
      address.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - (length - bit)));
    }
  }
  return address;
}

}  // namespace

std::string ip_address::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family == address_family::ipv4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

ip_address unmapped(const ip_address& address) {
  if (address.family != address_family::ipv6 ||
      !std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), address.bytes.begin())) {
    return address;
  }
  ip_address v4;
  std::copy_n(address.bytes.begin() + 12, 4, v4.bytes.begin());
  return v4;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<ip_address> parse_ip_address(std::string_view text) {
  auto address = strict_address(text);
  if (address) *address = unmapped(*address);
  return address;
}

std::optional<address_prefix> address_prefix::parse(std::string_view text) {
  text = trimmed(text);
  const auto slash = text.find('/');
  const auto parsed = strict_address(text.substr(0, slash));
  if (!parsed) return std::nullopt;
  const unsigned full = parsed->family == address_family::ipv4 ? 32 : 128;
  unsigned length = full;
  if (slash != std::string_view::npos) {
    const auto length_text = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (length_text.empty() || length_text.size() > 3 || error != std::errc{} ||
        end != length_text.data() + length_text.size() || length > full) {
      return std::nullopt;
    }
  }
  const ip_address network = unmapped(*parsed);
  if (network.family != parsed->family) {
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8: connections and headers give IPv4 addresses unmapped.
    // Shorter, it would reach past the mapped range into IPv6, which no IPv4 address is.
    if (length < 96) return std::nullopt;
    length -= 96;
  }
  return address_prefix(masked(network, length), length);
}

bool address_prefix::contains(const ip_address& address) const {
  const ip_address candidate = unmapped(address);
  return candidate.family == network_.family && masked(candidate, length_) == network_;
}

bool any_contains(std::span<const address_prefix> prefixes, const ip_address& address) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const address_prefix& p) { return p.contains(address); });
}

std::string address_prefix::to_string() const { return network_.to_string() + "/" + std::to_string(length_); }

prefix_list_result parse_prefix_list(std::string_view text) {
  prefix_list_result result;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto entry = trimmed(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (entry.empty()) continue;
    auto prefix = address_prefix::parse(entry);
    if (!prefix) {
      result.bad_entry = std::string(entry);
      result.prefixes.clear();
      return result;
    }
    result.prefixes.push_back(*prefix);
  }
  return result;
}

std::optional<ip_address> parse_forwarded_address(std::string_view entry) {
  entry = trimmed(entry);
  if (entry.empty()) return std::nullopt;
  if (entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto rest = entry.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1)))) return std::nullopt;
    // Brackets hold an IPv6 address (an IPv4-mapped one is read as IPv4 all the same).
    const auto inside = entry.substr(1, close - 1);
    if (inside.find(':') == std::string_view::npos) return std::nullopt;
    return parse_ip_address(inside);
  }
  const auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    // One colon: IPv4 with a port.
    if (!parse_port(entry.substr(colon + 1))) return std::nullopt;
    auto address = parse_ip_address(entry.substr(0, colon));
    if (!address || address->family != address_family::ipv4) return std::nullopt;
    return address;
  }
  return parse_ip_address(entry);
}

forwarded_client find_forwarded_client(std::span<const std::string_view> header_lines,
                                       std::span<const address_prefix> trusted) {
  forwarded_client result;
  for (auto line = header_lines.rbegin(); line != header_lines.rend(); ++line) {
    std::string_view rest = *line;
    while (!rest.empty()) {
      const auto comma = rest.rfind(',');
      const auto entry = trimmed(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
      if (entry.empty()) continue;
      const auto address = parse_forwarded_address(entry);
      if (!address) return {forwarded_client::outcome::malformed, {}};
      result = {forwarded_client::outcome::found, *address};
      if (!any_contains(trusted, *address)) return result;
    }
  }
  return result;  // absent, or every entry a trusted proxy: the left-most one
}

}  // namespace riptide::proto
