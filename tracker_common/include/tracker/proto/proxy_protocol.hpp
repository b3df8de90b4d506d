#pragma once
// The PROXY protocol header (HAProxy's specification, versions 1 and 2): what a TCP-mode load
// balancer (HAProxy's send-proxy, nginx's proxy_protocol, AWS NLB, many others) writes at the very
// start of a connection to name the client it carries, before the client's own bytes (a TLS
// ClientHello, an HTTP request). Unlike X-Forwarded-For it works with TLS passed through. Pure: no
// I/O; the transport reads bytes until parse_proxy_header says the header is complete.
//
// Version 1 is one text line of at most 107 bytes: "PROXY TCP4 <source> <destination> <source
// port> <destination port>\r\n" (TCP6 for IPv6), or "PROXY UNKNOWN ...\r\n". Version 2 is binary:
// a 12-byte signature, version and command, family and transport, the length of what follows,
// then the addresses and optional TLVs (read past, not checked). Each is read strictly, as the
// specification asks of a receiver: a connection that should carry a header and does not is
// refused, never guessed at; so is a version 2 family byte the specification does not define,
// and a PROXY over datagrams (a UDP client is no client of a TCP connection).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tracker/proto/forwarded_for.hpp"

namespace riptide::proto {

// Version 1's longest line, "\r\n" included.
constexpr std::size_t proxy_v1_max_bytes = 107;
// The longest version 2 header taken, TLVs included: what balancers add (AWS's endpoint id,
// HAProxy's TLS details, a unique id) fits many times over; the specification allows 65,551.
constexpr std::size_t proxy_v2_max_bytes = 4096;

struct proxy_header {
  // The client, or nullopt when the connection's own endpoints stand: the balancer's own
  // connection (v2 LOCAL, its health checks), v1 UNKNOWN, or a v2 family other than IPv4 and
  // IPv6. An IPv4-mapped IPv6 source is read as the IPv4 address.
  std::optional<ip_address> source;
  std::uint16_t source_port = 0;
  std::size_t length = 0;  // bytes of the header; what follows them is the client's
};

struct proxy_parse_result {
  enum class outcome : std::uint8_t {
    complete,   // `header` is read
    need_more,  // every byte given is part of a header not finished yet
    invalid,    // not a PROXY header (or one longer than taken)
  };
  outcome what = outcome::need_more;
  proxy_header header;
};

// Reads the header at the start of `bytes`. need_more promises that all of `bytes` belong to the
// header, so a reader may consume them before it has the rest.
proxy_parse_result parse_proxy_header(std::string_view bytes);

}  // namespace riptide::proto
