// The PROXY protocol header, versions 1 and 2: the forms balancers write, where the header ends,
// every prefix of one asking for more, and what is refused.

#include "tracker/proto/proxy_protocol.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace riptide::proto {
namespace {

using outcome = proxy_parse_result::outcome;

const std::string v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};

// A version 2 header: signature, `version_command`, `family_transport`, then `body` (addresses and
// TLVs) with its length.
std::string v2(std::uint8_t version_command, std::uint8_t family_transport, const std::vector<std::uint8_t>& body) {
  std::string out = v2_signature;
  out.push_back(static_cast<char>(version_command));
  out.push_back(static_cast<char>(family_transport));
  out.push_back(static_cast<char>(body.size() >> 8));
  out.push_back(static_cast<char>(body.size() & 0xff));
  out.append(body.begin(), body.end());
  return out;
}

const std::vector<std::uint8_t> v4_addresses = {198, 51, 100, 7, 127, 0, 0, 1, 0x15, 0xb3, 0x1f, 0x90};  // :5555, :8080

std::vector<std::uint8_t> v6_addresses(std::vector<std::uint8_t> source) {
  source.resize(16);
  std::vector<std::uint8_t> out = source;
  for (int i = 0; i < 15; ++i) out.push_back(0);
  out.push_back(1);             // destination ::1
  out.push_back(0x04);          // source port 1234
  out.push_back(0xd2);
  out.push_back(0x1f);          // destination port 8080
  out.push_back(0x90);
  return out;
}

proxy_header complete(std::string_view bytes) {
  const auto result = parse_proxy_header(bytes);
  REQUIRE(result.what == outcome::complete);
  return result.header;
}

outcome what(std::string_view bytes) { return parse_proxy_header(bytes).what; }

// Every proper prefix of `header` asks for more (the reader may consume it), and the whole of it,
// with or without the client's bytes behind, is complete with the header's length.
void check_prefixes(const std::string& header) {
  for (std::size_t n = 0; n < header.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK(what(std::string_view(header).substr(0, n)) == outcome::need_more);
  }
  CHECK(complete(header).length == header.size());
  CHECK(complete(header + "GET / HTTP/1.1\r\n").length == header.size());
  CHECK(complete(header + std::string("\x16\x03\x01", 3)).length == header.size());
}

TEST_CASE("proxy v1: TCP4 and TCP6 name the client; the client's bytes follow the line") {
  const std::string tcp4 = "PROXY TCP4 198.51.100.7 127.0.0.1 5555 8080\r\n";
  const auto header = complete(tcp4 + "GET /announce HTTP/1.1\r\n");
  CHECK(header.length == tcp4.size());
  REQUIRE(header.source);
  CHECK(header.source->family == address_family::ipv4);
  CHECK(header.source->to_string() == "198.51.100.7");
  CHECK(header.source_port == 5555);
  check_prefixes(tcp4);

  const std::string tcp6 = "PROXY TCP6 2001:db8::7 ::1 65535 443\r\n";
  const auto six = complete(tcp6);
  REQUIRE(six.source);
  CHECK(six.source->family == address_family::ipv6);
  CHECK(six.source->to_string() == "2001:db8::7");
  CHECK(six.source_port == 65535);
  check_prefixes(tcp6);

  // An IPv4-mapped source is the IPv4 client, as on a dual-stack socket.
  const auto mapped = complete("PROXY TCP6 ::ffff:192.0.2.1 ::ffff:127.0.0.1 0 443\r\n");
  REQUIRE(mapped.source);
  CHECK(mapped.source->family == address_family::ipv4);
  CHECK(mapped.source->to_string() == "192.0.2.1");
  CHECK(mapped.source_port == 0);
}

TEST_CASE("proxy v1: UNKNOWN keeps the connection's own address, whatever follows it") {
  for (const std::string line : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n",
                                 "PROXY UNKNOWN anything at all\r\n"}) {
    INFO(line);
    const auto header = complete(line);
    CHECK_FALSE(header.source);
    CHECK(header.length == line.size());
    check_prefixes(line);
  }
}

TEST_CASE("proxy v1: the longest line is 107 bytes") {
  // "PROXY TCP6 " + 39 + " " + 39 + " 65535 65535\r\n" = 104 bytes, the longest real one.
  const std::string longest_address = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe";
  const std::string longest = "PROXY TCP6 " + longest_address + " " + longest_address + " 65535 65535\r\n";
  CHECK(complete(longest).length == longest.size());
  const std::string unknown_107 = "PROXY UNKNOWN " + std::string(107 - 16, 'x') + "\r\n";
  REQUIRE(unknown_107.size() == proxy_v1_max_bytes);
  CHECK(complete(unknown_107).length == 107);
  // One more byte before the line ends, or no line end in 107 bytes: refused, never read on.
  CHECK(what("PROXY UNKNOWN " + std::string(107 - 15, 'x') + "\r\n") == outcome::invalid);
  CHECK(what("PROXY UNKNOWN " + std::string(200, 'x')) == outcome::invalid);
  CHECK(what("PROXY UNKNOWN " + std::string(107 - 15, 'x')) == outcome::need_more);
}

TEST_CASE("proxy v1: malformed lines are refused") {
  for (const std::string line : {
           "PROXY TCP4 198.51.100.7 127.0.0.1 5555 8080\n",         // no carriage return
           "PROXY TCP4 198.51.100.7 127.0.0.1 5555 8080\rX",        // carriage return alone
           "PROXY TCP4 198.51.100.7 127.0.0.1 5555\r\n",            // a field missing
           "PROXY TCP4 198.51.100.7 127.0.0.1 5555 8080 9\r\n",     // one too many
           "PROXY TCP4 198.51.100.7  127.0.0.1 5555 8080\r\n",      // two spaces
           "PROXY TCP4 198.51.100.7 127.0.0.1 5555 8080 \r\n",      // a trailing space
           "PROXY TCP4 2001:db8::7 127.0.0.1 5555 8080\r\n",        // IPv6 under TCP4
           "PROXY TCP6 198.51.100.7 ::1 5555 8080\r\n",             // IPv4 under TCP6
           "PROXY TCP4 198.51.100.7 localhost 5555 8080\r\n",       // a name
           "PROXY TCP4 198.51.100.256 127.0.0.1 5555 8080\r\n",     // not an address
           "PROXY TCP4 198.51.100.7 127.0.0.1 65536 8080\r\n",      // port out of range
           "PROXY TCP4 198.51.100.7 127.0.0.1 -1 8080\r\n",         // negative port
           "PROXY TCP4 198.51.100.7 127.0.0.1 5555 0x50\r\n",       // not decimal
           "PROXY TCP4 198.51.100.7 127.0.0.1 5555 \r\n",           // empty port
           "PROXY UDP4 198.51.100.7 127.0.0.1 5555 8080\r\n",       // not TCP
           "PROXY tcp4 198.51.100.7 127.0.0.1 5555 8080\r\n",       // case matters
           "PROXY UNKNOWNX\r\n",                                    // not UNKNOWN
           "PROXY \r\n",                                            // nothing
           "PROXY\r\n",                                             // no space
           "proxy TCP4 198.51.100.7 127.0.0.1 5555 8080\r\n",       // lower case
           "PROXYTCP4 198.51.100.7 127.0.0.1 5555 8080\r\n",        // no space
       }) {
    INFO(line);
    CHECK(what(line) == outcome::invalid);
  }
  // A request or TLS record where a header should be: refused from the first byte that differs.
  CHECK(what("GET / HTTP/1.1\r\n") == outcome::invalid);
  CHECK(what(std::string("\x16\x03\x01\x02\x00", 5)) == outcome::invalid);
  CHECK(what("PRX") == outcome::invalid);
  CHECK(what("P") == outcome::need_more);
  CHECK(what("") == outcome::need_more);
}

TEST_CASE("proxy v2: PROXY over IPv4 and IPv6 names the client; TLVs are read past") {
  const std::string four = v2(0x21, 0x11, v4_addresses);
  const auto header = complete(four);
  REQUIRE(header.source);
  CHECK(header.source->to_string() == "198.51.100.7");
  CHECK(header.source_port == 5555);
  CHECK(header.length == 28);
  check_prefixes(four);

  const std::string six = v2(0x21, 0x21, v6_addresses({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}));
  const auto six_header = complete(six);
  REQUIRE(six_header.source);
  CHECK(six_header.source->family == address_family::ipv6);
  CHECK(six_header.source->to_string() == "2001:db8::7");
  CHECK(six_header.source_port == 1234);
  check_prefixes(six);

  const std::string mapped = v2(0x21, 0x21, v6_addresses({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}));
  REQUIRE(complete(mapped).source);
  CHECK(complete(mapped).source->family == address_family::ipv4);
  CHECK(complete(mapped).source->to_string() == "192.0.2.1");

  // TLVs (an AWS endpoint id, a unique id) after the addresses belong to the header.
  std::vector<std::uint8_t> with_tlvs = v4_addresses;
  const std::string tlvs("\xea\x00\x05\x01vpce\x05\x00\x02id", 13);
  with_tlvs.insert(with_tlvs.end(), tlvs.begin(), tlvs.end());
  const std::string tlv_header = v2(0x21, 0x11, with_tlvs);
  CHECK(complete(tlv_header).length == tlv_header.size());
  CHECK(complete(tlv_header).source->to_string() == "198.51.100.7");
  check_prefixes(tlv_header);
}

TEST_CASE("proxy v2: LOCAL, unspecified and unix families keep the connection's own address") {
  const std::string local = v2(0x20, 0x00, {});
  CHECK_FALSE(complete(local).source);
  CHECK(complete(local).length == 16);
  check_prefixes(local);
  // LOCAL ignores an address block, even a short one.
  CHECK_FALSE(complete(v2(0x20, 0x11, v4_addresses)).source);
  CHECK_FALSE(complete(v2(0x20, 0x11, {1, 2, 3})).source);
  CHECK_FALSE(complete(v2(0x21, 0x00, {})).source);
  const std::string unix_header = v2(0x21, 0x31, std::vector<std::uint8_t>(216, 0));
  CHECK_FALSE(complete(unix_header).source);
  CHECK(complete(unix_header).length == 16 + 216);
}

TEST_CASE("proxy v2: malformed or oversized headers are refused") {
  CHECK(what(v2(0x11, 0x11, v4_addresses)) == outcome::invalid);  // version 1 in a v2 header
  CHECK(what(v2(0x31, 0x11, v4_addresses)) == outcome::invalid);  // version 3
  CHECK(what(v2(0x22, 0x11, v4_addresses)) == outcome::invalid);  // command 2
  CHECK(what(v2(0x21, 0x41, v4_addresses)) == outcome::invalid);  // family 4
  CHECK(what(v2(0x21, 0x13, v4_addresses)) == outcome::invalid);  // transport 3
  // Family and transport bytes the specification leaves undefined: refused, LOCAL or not.
  for (const int undefined : {0x01, 0x02, 0x10, 0x20, 0x30}) {
    INFO("family byte " << undefined);
    CHECK(what(v2(0x21, static_cast<std::uint8_t>(undefined), v6_addresses({}))) == outcome::invalid);
    CHECK(what(v2(0x20, static_cast<std::uint8_t>(undefined), {})) == outcome::invalid);
  }
  // A client over datagrams is no client of a TCP connection; a LOCAL header may say anything.
  for (const int datagrams : {0x12, 0x22, 0x32}) {
    INFO("family byte " << datagrams);
    CHECK(what(v2(0x21, static_cast<std::uint8_t>(datagrams), std::vector<std::uint8_t>(216, 0))) == outcome::invalid);
    CHECK(what(v2(0x20, static_cast<std::uint8_t>(datagrams), {})) == outcome::complete);
  }
  // Fewer bytes than the family's addresses.
  CHECK(what(v2(0x21, 0x11, {198, 51, 100, 7, 127, 0, 0, 1, 0x15, 0xb3, 0x1f})) == outcome::invalid);
  CHECK(what(v2(0x21, 0x21, v4_addresses)) == outcome::invalid);
  CHECK(what(v2(0x21, 0x31, std::vector<std::uint8_t>(215, 0))) == outcome::invalid);
  // Refused as soon as the version byte or the length says so, before the rest comes.
  CHECK(what(v2(0x31, 0x11, v4_addresses).substr(0, 13)) == outcome::invalid);
  std::string too_long = v2_signature + std::string("\x21\x11\x10\x00", 4);  // 4,096 bytes to follow
  CHECK(what(too_long) == outcome::invalid);
  const std::string longest = v2(0x21, 0x11, std::vector<std::uint8_t>(proxy_v2_max_bytes - 16, 1));
  CHECK(complete(longest).length == proxy_v2_max_bytes);
  // A signature that differs anywhere.
  std::string wrong = v2(0x21, 0x11, v4_addresses);
  for (std::size_t i = 0; i < 12; ++i) {
    std::string changed = wrong;
    changed[i] = static_cast<char>(changed[i] ^ 0x20);
    INFO("signature byte " << i);
    CHECK(what(changed) == outcome::invalid);
    CHECK(what(std::string_view(changed).substr(0, i + 1)) == outcome::invalid);
  }
}

}  // namespace
}  // namespace riptide::proto
