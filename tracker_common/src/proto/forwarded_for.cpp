#include "tracker/proto/forwarded_for.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

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

// RFC 9110's tchar: what a token (a parameter name, an unquoted value) is made of.
bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// The elements of one Forwarded line: split at the commas outside quoted strings. nullopt when a
// quoted string does not end.
std::optional<std::vector<std::string_view>> forwarded_elements(std::string_view line) {
  std::vector<std::string_view> elements;
  std::size_t begin = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      elements.push_back(line.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  if (quoted) return std::nullopt;
  elements.push_back(line.substr(begin));
  return elements;
}

// What an element's `for` says.
struct forwarded_node {
  enum class kind : std::uint8_t { none, hidden, address } what = kind::none;
  ip_address address;
};

// An obfuscated identifier (RFC 7239, 6.3): "_" and letters, digits, '.', '_' or '-'.
bool is_obfuscated(std::string_view text) {
  return text.size() >= 2 && text.front() == '_' &&
         std::all_of(text.begin() + 1, text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                  c == '_' || c == '-';
         });
}

// A node's port (RFC 7239, 6): decimal, or obfuscated.
bool is_node_port(std::string_view text) { return parse_port(text).has_value() || is_obfuscated(text); }

// A `for` value, unquoted: "unknown" or an obfuscated name, or an address, each with an optional
// port (which may be obfuscated too).
std::optional<forwarded_node> parse_forwarded_node(std::string_view value) {
  if (value.empty() || value.front() != '[') {
    const auto colon = value.find(':');
    const auto name = value.substr(0, colon);
    if (equals_ignoring_case(name, "unknown") || is_obfuscated(name)) {
      if (colon != std::string_view::npos && !is_node_port(value.substr(colon + 1))) return std::nullopt;
      return forwarded_node{forwarded_node::kind::hidden, {}};
    }
  }
  // An obfuscated port is no port to check: drop it.
  const auto port_colon = value.rfind(':');
  const auto bracket = value.rfind(']');
  if (port_colon != std::string_view::npos && (bracket == std::string_view::npos || port_colon > bracket) &&
      is_obfuscated(value.substr(port_colon + 1))) {
    value = value.substr(0, port_colon);
  }
  const auto address = parse_forwarded_address(value);
  if (!address) return std::nullopt;
  return forwarded_node{forwarded_node::kind::address, *address};
}

// One element: `[ pair ] *( OWS ";" OWS [ pair ] )` (pairs may be empty), pair = token "="
// ( token / quoted-string ). nullopt when malformed. Values other than `for`'s are not read, only
// stepped over.
std::optional<forwarded_node> parse_forwarded_element(std::string_view element) {
  forwarded_node node;
  bool seen_for = false;
  std::size_t at = 0;
  const auto skip_spaces = [&] {
    while (at < element.size() && (element[at] == ' ' || element[at] == '\t')) ++at;
  };
  while (true) {
    skip_spaces();
    if (at >= element.size()) return node;
    if (element[at] == ';') {  // an empty pair
      ++at;
      continue;
    }
    const std::size_t name_begin = at;
    while (at < element.size() && is_token_char(element[at])) ++at;
    const std::string_view name = element.substr(name_begin, at - name_begin);
    if (name.empty() || at >= element.size() || element[at] != '=') return std::nullopt;
    ++at;
    std::string value;
    if (at < element.size() && element[at] == '"') {
      for (++at; at < element.size() && element[at] != '"'; ++at) {
        if (element[at] == '\\') ++at;  // forwarded_elements() checked that the string ends
        value += element[at];
      }
      ++at;  // the closing quote
    } else {
      // A token, leniently: some proxies write an address with a port, or an IPv6 address in
      // brackets, without the quotes RFC 7239 asks for.
      const std::size_t value_begin = at;
      while (at < element.size() && element[at] != ';' && element[at] != ' ' && element[at] != '\t' &&
             element[at] != '"') {
        ++at;
      }
      value = element.substr(value_begin, at - value_begin);
      if (value.empty()) return std::nullopt;
    }
    if (equals_ignoring_case(name, "for")) {
      if (seen_for) return std::nullopt;  // a parameter occurs once per element
      seen_for = true;
      const auto parsed = parse_forwarded_node(value);
      if (!parsed) return std::nullopt;
      node = *parsed;
    }
    skip_spaces();
    if (at >= element.size()) return node;
    if (element[at] != ';') return std::nullopt;
    ++at;
  }
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

forwarded_client find_rfc7239_client(std::span<const std::string_view> header_lines,
                                     std::span<const address_prefix> trusted) {
  forwarded_client result;
  for (auto line = header_lines.rbegin(); line != header_lines.rend(); ++line) {
    const auto elements = forwarded_elements(*line);
    if (!elements) return {forwarded_client::outcome::malformed, {}};
    for (auto element = elements->rbegin(); element != elements->rend(); ++element) {
      if (trimmed(*element).empty()) continue;
      const auto node = parse_forwarded_element(*element);
      if (!node) return {forwarded_client::outcome::malformed, {}};
      if (node->what != forwarded_node::kind::address) return {forwarded_client::outcome::undisclosed, {}};
      result = {forwarded_client::outcome::found, node->address};
      if (!any_contains(trusted, node->address)) return result;
    }
  }
  return result;  // absent, or every element a trusted proxy: the left-most one
}

}  // namespace riptide::proto
