#pragma once
// Who a request came from when it came through a reverse proxy (TLS terminated by nginx, Caddy or
// a load balancer): the X-Forwarded-For header, read so that a client cannot choose its address.
// Each proxy appends the address it got the request from, so the list reads "client, proxy 1,
// proxy 2" and only entries appended by proxies we trust can be believed: the client is the
// right-most entry that is not a trusted proxy. What stands left of it is whatever the client
// wrote. (The reference WebTorrent server takes the left-most entry, which any client can set.)
// Pure: no I/O; the transport converts addresses from and to its own.
//
// An entry is an IPv4 address, optionally with ":port", or an IPv6 address, bare or in brackets
// and then optionally with ":port"; an IPv4-mapped IPv6 address is read as the IPv4 address.
// Spaces around entries and empty entries are ignored, as in any HTTP list (RFC 9110, 5.6.1).
//
// RFC 7239's Forwarded header says the same in its own syntax, read the same way from the right:
// `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"`. A proxy appends one element
// (pairs separated by ';') per hop, and the element's `for` names the address the request came
// from. A proxy may hide it (`for=unknown`, or an obfuscated `for=_hidden`); the client is then
// not known. Which header the proxies maintain is the operator's to say: a proxy passes the other
// one on as the client wrote it.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/proto/types.hpp"

namespace riptide::proto {

struct ip_address {
  address_family family = address_family::ipv4;
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in the first 4, the rest zero
  friend bool operator==(const ip_address&, const ip_address&) = default;
  std::string to_string() const;
};

// Text to address, strictly: dotted-quad IPv4 or IPv6 (no scope id, no host name). An
// IPv4-mapped IPv6 address gives the IPv4 address, as a connection over IPv4 has it.
std::optional<ip_address> parse_ip_address(std::string_view text);
// An IPv4-mapped IPv6 address as the IPv4 address; any other address as it is.
ip_address unmapped(const ip_address& address);
// A TCP or UDP port in decimal: 1 to 5 digits, at most 65535; nullopt for anything else.
std::optional<std::uint16_t> parse_port(std::string_view text);

// An address, or a network of them: "192.0.2.7", "10.0.0.0/8", "2001:db8::/32", "::1". Bits past
// the prefix length are ignored ("192.168.1.1/24" is 192.168.1.0/24). An IPv6 prefix holds IPv6
// addresses only ("::/0" is every IPv6 address, no IPv4 one); an IPv4-mapped one is the IPv4
// prefix ("::ffff:10.0.0.0/104" is 10.0.0.0/8) and is refused shorter than /96.
class address_prefix {
 public:
  static std::optional<address_prefix> parse(std::string_view text);
  bool contains(const ip_address& address) const;
  std::string to_string() const;  // "10.0.0.0/8"
  address_family family() const { return network_.family; }
  unsigned length() const { return length_; }

 private:
  address_prefix(ip_address network, unsigned length) : network_(network), length_(length) {}
  ip_address network_;  // IPv4 for IPv4 and IPv4-mapped prefixes; bits past length_ zero
  unsigned length_;
};

// Whether any of `prefixes` contains `address`.
bool any_contains(std::span<const address_prefix> prefixes, const ip_address& address);

// A configuration value: prefixes separated by commas (spaces allowed), "" for none.
struct prefix_list_result {
  std::vector<address_prefix> prefixes;
  std::string bad_entry;  // the first entry that is not a prefix; empty when every one is
};
prefix_list_result parse_prefix_list(std::string_view text);

// One entry of X-Forwarded-For, as described above; nullopt if it is none of those.
std::optional<ip_address> parse_forwarded_address(std::string_view entry);

struct forwarded_client {
  enum class outcome : std::uint8_t {
    absent,       // no entry at all: the proxy said nothing
    found,        // `address` is the client
    malformed,    // an entry that had to be read is not an address ("unknown", a name, garbage)
    undisclosed,  // Forwarded: the proxy hid the client (for=unknown, an obfuscated name, no for)
  };
  outcome what = outcome::absent;
  ip_address address;
};

// `header_lines`: the values of every X-Forwarded-For line of the request, in order (one list may
// be split over several lines). Read from the right: trusted proxies are passed over, and the
// first other entry is the client; when every entry is a trusted proxy, the left-most one is.
forwarded_client find_forwarded_client(std::span<const std::string_view> header_lines,
                                       std::span<const address_prefix> trusted);

// The same for the values of every Forwarded line (RFC 7239), read from the right element by
// element. malformed: an element that is not `[ pair ] *( ";" [ pair ] )` with pair = token "="
// ( token / quoted-string ), a `for` twice in one element, or a `for` that is neither an address
// (IPv4, or IPv6 in brackets) nor a hidden one (`unknown`, `_name`), each with an optional port
// (decimal or `_name`).
forwarded_client find_rfc7239_client(std::span<const std::string_view> header_lines,
                                     std::span<const address_prefix> trusted);

}  // namespace riptide::proto
