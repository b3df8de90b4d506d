// X-Forwarded-For and RFC 7239's Forwarded read behind trusted proxies: the right-most entry that
// is not one of them, every entry form proxies write, and what is refused.

#include "tracker/proto/forwarded_for.hpp"

#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <vector>

namespace riptide::proto {
namespace {

ip_address address(std::string_view text) {
  const auto parsed = parse_ip_address(text);
  REQUIRE(parsed);
  return *parsed;
}

std::vector<address_prefix> prefixes(std::string_view text) {
  auto parsed = parse_prefix_list(text);
  REQUIRE(parsed.bad_entry.empty());
  return parsed.prefixes;
}

// One of the two readers, with the trusted proxies of most cases.
struct header_reader {
  forwarded_client (*find)(std::span<const std::string_view>, std::span<const address_prefix>);

  forwarded_client client_of(std::vector<std::string_view> lines, std::string_view trusted = "127.0.0.1, ::1") const {
    const auto trusted_prefixes = prefixes(trusted);
    return find(lines, trusted_prefixes);
  }
  std::string found(std::vector<std::string_view> lines, std::string_view trusted = "127.0.0.1, ::1") const {
    const auto client = client_of(std::move(lines), trusted);
    REQUIRE(client.what == forwarded_client::outcome::found);
    return client.address.to_string();
  }
  forwarded_client::outcome outcome_of(std::string_view line) const { return client_of({line}).what; }
};

const header_reader x_forwarded_for{find_forwarded_client};
const header_reader rfc7239{find_rfc7239_client};

TEST_CASE("ip_address: strict text forms; an IPv4-mapped address is the IPv4 address") {
  CHECK(address("192.0.2.7").family == address_family::ipv4);
  CHECK(address("192.0.2.7").to_string() == "192.0.2.7");
  CHECK(address("2001:DB8::1").family == address_family::ipv6);
  CHECK(address("2001:DB8::1").to_string() == "2001:db8::1");
  CHECK(address("::ffff:198.51.100.4") == address("198.51.100.4"));
  CHECK(address("::1").to_string() == "::1");
  for (const char* bad : {"", " 1.2.3.4", "1.2.3", "1.2.3.256", "1.2.3.4.5", "::1%lo", "example.com", "1:2:3:4:5:6:7:8:9",
                          "0x7f.0.0.1"}) {
    INFO(bad);
    CHECK_FALSE(parse_ip_address(bad));
  }
}

TEST_CASE("address_prefix: addresses and networks of both families") {
  const auto ten = address_prefix::parse("10.0.0.0/8");
  REQUIRE(ten);
  CHECK(ten->contains(address("10.255.0.1")));
  CHECK_FALSE(ten->contains(address("11.0.0.1")));
  CHECK(ten->contains(address("::ffff:10.1.2.3")));  // mapped: the IPv4 address
  CHECK_FALSE(ten->contains(address("2001:db8::1")));
  CHECK(ten->to_string() == "10.0.0.0/8");

  const auto host = address_prefix::parse(" 192.0.2.7 ");
  REQUIRE(host);
  CHECK(host->contains(address("192.0.2.7")));
  CHECK_FALSE(host->contains(address("192.0.2.8")));
  CHECK(host->to_string() == "192.0.2.7/32");

  // Bits past the length are ignored; odd lengths cut inside a byte.
  const auto odd = address_prefix::parse("192.168.1.77/23");
  REQUIRE(odd);
  CHECK(odd->to_string() == "192.168.0.0/23");
  CHECK(odd->contains(address("192.168.1.200")));
  CHECK_FALSE(odd->contains(address("192.168.2.1")));

  const auto v6 = address_prefix::parse("2001:db8::/32");
  REQUIRE(v6);
  CHECK(v6->contains(address("2001:db8:ffff::1")));
  CHECK_FALSE(v6->contains(address("2001:db9::1")));
  CHECK_FALSE(v6->contains(address("10.0.0.1")));

  const auto all4 = address_prefix::parse("0.0.0.0/0");
  REQUIRE(all4);
  CHECK(all4->contains(address("203.0.113.9")));
  CHECK_FALSE(all4->contains(address("::1")));

  const auto mapped = address_prefix::parse("::ffff:10.0.0.0/104");
  REQUIRE(mapped);
  CHECK(mapped->to_string() == "10.0.0.0/8");
  CHECK(mapped->family() == address_family::ipv4);
  CHECK(mapped->length() == 8);
  const auto all_mapped = address_prefix::parse("::ffff:0:0/96");
  REQUIRE(all_mapped);
  CHECK(all_mapped->contains(address("203.0.113.9")));
  // IPv6 prefixes hold IPv6 addresses only, however short.
  const auto all6 = address_prefix::parse("::/0");
  REQUIRE(all6);
  CHECK(all6->contains(address("2001:db8::1")));
  CHECK_FALSE(all6->contains(address("203.0.113.9")));
}

TEST_CASE("address_prefix: what is refused") {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0", "localhost", "fe80::1%eth0", "10.0.0.0 /8", "1.2.3.4/0008", "::1/x",
                          "::ffff:1.2.3.4/80", "::ffff:0:0/95"}) {
    INFO(bad);
    CHECK_FALSE(address_prefix::parse(bad));
  }
}

TEST_CASE("parse_prefix_list: commas, spaces, empty entries; the first bad entry named") {
  auto list = parse_prefix_list(" 127.0.0.1 ,::1,, 10.0.0.0/8 ");
  CHECK(list.bad_entry.empty());
  CHECK(list.prefixes.size() == 3);
  CHECK(parse_prefix_list("").prefixes.empty());
  CHECK(parse_prefix_list("").bad_entry.empty());
  list = parse_prefix_list("127.0.0.1, nginx, 10.0.0.0/8");
  CHECK(list.bad_entry == "nginx");
  CHECK(list.prefixes.empty());
}

TEST_CASE("parse_forwarded_address: the forms proxies write") {
  CHECK(parse_forwarded_address("203.0.113.9")->to_string() == "203.0.113.9");
  CHECK(parse_forwarded_address(" 203.0.113.9:51234 ")->to_string() == "203.0.113.9");
  CHECK(parse_forwarded_address("2001:db8::1")->to_string() == "2001:db8::1");
  CHECK(parse_forwarded_address("[2001:db8::1]")->to_string() == "2001:db8::1");
  CHECK(parse_forwarded_address("[2001:db8::1]:443")->to_string() == "2001:db8::1");
  CHECK(parse_forwarded_address("::ffff:198.51.100.4")->to_string() == "198.51.100.4");
  CHECK(parse_forwarded_address("[::ffff:198.51.100.4]:80")->to_string() == "198.51.100.4");
  for (const char* bad : {"", "unknown", "_hidden", "example.com", "203.0.113.9:", "203.0.113.9:65536",
                          "203.0.113.9:x", "[203.0.113.9]", "[2001:db8::1", "[2001:db8::1]443", "[2001:db8::1]:",
                          "fe80::1%eth0", "2001:db8::1:80:90:1:2:3:4", "1.2.3.4.5", "\"203.0.113.9\""}) {
    INFO(bad);
    CHECK_FALSE(parse_forwarded_address(bad));
  }
}

TEST_CASE("find_forwarded_client: the right-most entry that is not a trusted proxy") {
  // One proxy: it appended the client's address.
  CHECK(x_forwarded_for.found({"203.0.113.9"}) == "203.0.113.9");
  // A client that writes its own header cannot choose: the proxy appends what it saw.
  CHECK(x_forwarded_for.found({"1.1.1.1, 203.0.113.9"}) == "203.0.113.9");
  // A chain of trusted proxies is passed over, across lines too.
  CHECK(x_forwarded_for.found({"198.51.100.4, 10.0.0.5", "127.0.0.1"}, "127.0.0.1, 10.0.0.0/8") == "198.51.100.4");
  CHECK(x_forwarded_for.found({"198.51.100.4", "10.0.0.5, 10.0.0.6"}, "127.0.0.1, 10.0.0.0/8") == "198.51.100.4");
  // IPv6 clients, with brackets and ports.
  CHECK(x_forwarded_for.found({"[2001:db8::7]:5555"}) == "2001:db8::7");
  // Empty entries and spaces do not count.
  CHECK(x_forwarded_for.found({" , 203.0.113.9 ,, "}) == "203.0.113.9");
  // Every entry a trusted proxy: the left-most (the furthest hop known).
  CHECK(x_forwarded_for.found({"10.0.0.9, 127.0.0.1"}, "127.0.0.1, 10.0.0.0/8") == "10.0.0.9");
}

TEST_CASE("find_forwarded_client: absent, and entries that cannot be read") {
  CHECK(x_forwarded_for.client_of({}).what == forwarded_client::outcome::absent);
  CHECK(x_forwarded_for.client_of({"", " , "}).what == forwarded_client::outcome::absent);
  CHECK(x_forwarded_for.client_of({"unknown"}).what == forwarded_client::outcome::malformed);
  // Garbage left of the client is never read: only what the trusted proxies vouch for matters.
  CHECK(x_forwarded_for.found({"garbage, 203.0.113.9"}) == "203.0.113.9");
  // Garbage where the client should be is.
  CHECK(x_forwarded_for.client_of({"203.0.113.9, garbage"}).what == forwarded_client::outcome::malformed);
}

TEST_CASE("find_rfc7239_client: the for of the right-most element that is not a trusted proxy") {
  // RFC 7239's own examples.
  CHECK(rfc7239.found({"for=192.0.2.60;proto=http;by=203.0.113.43"}) == "192.0.2.60");
  CHECK(rfc7239.found({R"(For="[2001:db8:cafe::17]:4711")"}) == "2001:db8:cafe::17");
  CHECK(rfc7239.found({"for=192.0.2.43, for=198.51.100.17"}) == "198.51.100.17");
  // A chain of trusted proxies is passed over, across lines and elements.
  CHECK(rfc7239.found({"for=198.51.100.4;proto=https, for=10.0.0.5", "for=127.0.0.1"}, "127.0.0.1, 10.0.0.0/8") ==
        "198.51.100.4");
  // What a client wrote left of what the proxy appended is not believed.
  CHECK(rfc7239.found({"for=1.1.1.1, for=203.0.113.9"}) == "203.0.113.9");
  // Parameters in any order and case, spaces around ';' and ',', quoted or not, ports of both kinds.
  CHECK(rfc7239.found({R"(proto=https ; FOR="203.0.113.9:8080" ; host="tracker.example, with a comma")"}) ==
        "203.0.113.9");
  CHECK(rfc7239.found({"for=203.0.113.9:_port7"}) == "203.0.113.9");
  CHECK(rfc7239.found({R"(for="[2001:db8::7]:_p")"}) == "2001:db8::7");
  CHECK(rfc7239.found({R"(for="[::ffff:198.51.100.4]")"}) == "198.51.100.4");
  // Without the quotes RFC 7239 asks for, as some proxies write it.
  CHECK(rfc7239.found({"for=[2001:db8::7]:443"}) == "2001:db8::7");
  // Escapes in a quoted string.
  CHECK(rfc7239.found({R"(for="203.0.113.\9")"}) == "203.0.113.9");
  // Empty elements and empty pairs do not count.
  CHECK(rfc7239.found({" , for=203.0.113.9 ,, "}) == "203.0.113.9");
  for (const std::string_view line : {"for=203.0.113.9;", "for=203.0.113.9;;proto=http", ";for=203.0.113.9",
                                      " ; for=203.0.113.9 ; "}) {
    INFO(line);
    CHECK(rfc7239.found({line}) == "203.0.113.9");
  }
  CHECK(rfc7239.outcome_of(";") == forwarded_client::outcome::undisclosed);  // an element of no pair
  // Every element a trusted proxy: the left-most.
  CHECK(rfc7239.found({"for=10.0.0.9, for=127.0.0.1"}, "127.0.0.1, 10.0.0.0/8") == "10.0.0.9");
}

TEST_CASE("find_rfc7239_client: a client the proxies do not disclose") {
  using outcome = forwarded_client::outcome;
  CHECK(rfc7239.client_of({}).what == outcome::absent);
  CHECK(rfc7239.outcome_of(" , ") == outcome::absent);
  CHECK(rfc7239.outcome_of("for=unknown") == outcome::undisclosed);
  CHECK(rfc7239.outcome_of("for=UNKNOWN;proto=https") == outcome::undisclosed);
  CHECK(rfc7239.outcome_of("for=_hidden") == outcome::undisclosed);
  CHECK(rfc7239.outcome_of(R"(for="_x.y-z")") == outcome::undisclosed);
  // Hidden with a port, of either kind.
  for (const std::string_view line : {R"(for="_gazonk:_port")", R"(for="unknown:8080")", "for=_hidden:4711",
                                      R"(for="UNKNOWN:_p")"}) {
    INFO(line);
    CHECK(rfc7239.outcome_of(line) == outcome::undisclosed);
  }
  CHECK(rfc7239.outcome_of("proto=https;host=tracker.example") == outcome::undisclosed);  // no for
  // Behind a trusted proxy that did disclose, one that did not: the chain stops there.
  CHECK(rfc7239.outcome_of("for=203.0.113.9, for=unknown") == outcome::undisclosed);
  // Left of the client, nothing is read.
  CHECK(rfc7239.found({"for=unknown, for=203.0.113.9"}) == "203.0.113.9");
}

TEST_CASE("find_rfc7239_client: elements that cannot be read") {
  using outcome = forwarded_client::outcome;
  for (const std::string_view line :
       {"for", "for=", "for=;proto=http", "=203.0.113.9", "for=203.0.113.9 proto=http",
        "for = 203.0.113.9", R"(for="203.0.113.9)", R"(for="203.0.113.9\")", R"(for=203.0.113.9"x")",
        "for=203.0.113.9;for=198.51.100.4", "for=tracker.example", "for=203.0.113.9:99999", "for=_",
        "for=[2001:db8::7", "for=[203.0.113.9]", "for=203.0.113.9:_bad!port", R"(for="[2001:db8::7]:x")",
        "for=unknown:99999", "for=_hidden:", "for=unknown:x"}) {
    INFO(line);
    CHECK(rfc7239.outcome_of(line) == outcome::malformed);
  }
  // Garbage left of the client is never read; where the client should be, it is.
  CHECK(rfc7239.found({"for=garbage, for=203.0.113.9"}) == "203.0.113.9");
  CHECK(rfc7239.outcome_of("for=203.0.113.9, garbage") == outcome::malformed);
  // A quoted string that does not end spoils the whole line.
  CHECK(rfc7239.outcome_of(R"(for=203.0.113.9, for="x)") == outcome::malformed);
}

}  // namespace
}  // namespace riptide::proto
