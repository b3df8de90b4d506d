// Connection-level behaviour: message size limit, connection limits, plain HTTP, graceful stop.

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process_inspection.hpp"
#include "ws_integration_support.hpp"

namespace riptide::test {
namespace {

TEST_CASE("a message larger than max_message_bytes closes the connection", "[connection]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_message_bytes = 16384\nmax_sdp_bytes = 8192\n"));
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(R"({"action":"scrape","pad":")" + std::string(20000, 'x') + "\"}");
  CHECK(client.wait_closed());
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("oversized_messages":1)"));

  // A message just under the limit is served.
  ws_test_client other("127.0.0.1", tracker.port());
  other.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(2), 0).insert(1, R"("pad":")" +
                                                                                           std::string(15000, 'y') + "\","));
  CHECK(expect_message<wt::announce_response>(other.receive()).complete == 1);
}

TEST_CASE("connections beyond max_connections_per_ip are refused", "[connection]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_connections_per_ip = 2\n"));
  ws_test_client first("127.0.0.1", tracker.port());
  ws_test_client second("127.0.0.1", tracker.port());
  CHECK_THROWS_AS(ws_test_client("127.0.0.1", tracker.port()), boost::system::system_error);
  CHECK(stats_show("::1", tracker.port(), R"("connections_refused":1)"));
  // Another address has its own budget.
  ws_test_client over_ipv6("::1", tracker.port());
  // A closed connection frees its slot: once the tracker counts it gone (second, over_ipv6 and the
  // /stats request itself stay open), a new connection from the same address is accepted.
  first.close();
  REQUIRE(stats_show("::1", tracker.port(), R"({"connections":3,)"));
  CHECK_NOTHROW(ws_test_client("127.0.0.1", tracker.port()));
}

TEST_CASE("a full tracker still answers monitoring from places past max_connections and refuses upgrades there with 503",
          "[connection][http]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("max_connections = 4\nmax_connections_per_ip = 4\nmonitoring_connections = 4\n"));
  const auto port = tracker.port();
  std::vector<std::unique_ptr<ws_test_client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(std::make_unique<ws_test_client>("::1", port));
  // Full: a new connection gets a monitoring place, which serves plain HTTP. (How many such places
  // there are, one per address: connection_limiter_test.) 127.0.0.1's place is the tracker's until
  // it sees the last request's client close, which may come after the next request: that one is
  // then closed at accept, counted as refused, and tried again.
  std::uint64_t refused_at_accept = 0;
  const auto served = [&](const std::function<http_result()>& request) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (;;) {
      try {
        return request();
      } catch (const boost::system::system_error&) {
        ++refused_at_accept;
        if (std::chrono::steady_clock::now() > deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  };
  const auto health = served([&] { return http_get("127.0.0.1", port, "/health"); });
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  CHECK(served([&] { return http_get("127.0.0.1", port, "/stats"); }).status == 200);
  const auto refused = served([&] { return upgrade_response("127.0.0.1", port, ""); });
  CHECK(refused.status == 503);
  CHECK(refused.body == "too many connections, try again later\n");
  // Counted: the 503 and the closes at accept.
  bool counted = false;
  std::string body;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
       !counted && std::chrono::steady_clock::now() < deadline;) {
    body = served([&] { return http_get("127.0.0.1", port, "/stats"); }).body;
    counted = body.find("\"connections_refused\":" + std::to_string(refused_at_accept + 1) + ",") != std::string::npos;
  }
  INFO(body);
  CHECK(counted);
  // A client that holds a monitoring place idle loses it after 2 s, not handshake_timeout_seconds
  // (10). (A close within a second is a close at accept, while the last request's place is held.)
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);;) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket idle(io);
    idle.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const auto opened = std::chrono::steady_clock::now();
    char byte = 0;
    boost::system::error_code ended;
    idle.read_some(boost::asio::buffer(&byte, 1), ended);
    const auto held = std::chrono::steady_clock::now() - opened;
    if (held < std::chrono::seconds(1) && std::chrono::steady_clock::now() < deadline) continue;
    CHECK(ended);
    CHECK(held >= std::chrono::milliseconds(1500));
    CHECK(held < std::chrono::seconds(5));
    break;
  }
  // Full places that come free are taken by the next connections: an upgrade is served. (Two: the
  // last /stats request may still hold one.)
  clients[0]->close();
  clients[1]->close();
  REQUIRE(stats_show("127.0.0.1", port, R"({"connections":3,)"));  // two WebSockets, this request
  ws_test_client next("127.0.0.1", port);
  next.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(1), 0));
  CHECK(expect_message<wt::announce_response>(next.receive()).complete == 1);
}

TEST_CASE("behind a trusted proxy, connections count per client, as X-Forwarded-For names it", "[connection]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_connections_per_ip = 2\n", "",
                                                       "trusted_proxies = \"127.0.0.1\"\n"));
  const auto port = tracker.port();
  // 127.0.0.1 plays the proxy: each client it forwards has a budget of 2, the proxy none of its own.
  ws_test_client first("127.0.0.1", port, 0, "203.0.113.9");
  // What a client wrote left of what the proxy appended is not believed.
  ws_test_client second("127.0.0.1", port, 0, "192.0.2.1, 203.0.113.9");
  const auto third = upgrade_response("127.0.0.1", port, "203.0.113.9:5555");
  CHECK(third.status == 429);
  CHECK(third.body == "too many connections from this address\n");
  ws_test_client other_client("127.0.0.1", port, 0, "198.51.100.4");
  ws_test_client other_again("127.0.0.1", port, 0, "[::ffff:198.51.100.4]:80");  // the same client
  CHECK(upgrade_response("127.0.0.1", port, "198.51.100.4").status == 429);
  // Without the header the proxy is the client, with the same budget.
  ws_test_client bare("127.0.0.1", port);
  ws_test_client bare_again("127.0.0.1", port);
  CHECK(upgrade_response("127.0.0.1", port, "").status == 429);
  // An entry where the client should be that is no address: said so.
  const auto unknown = upgrade_response("127.0.0.1", port, "unknown");
  CHECK(unknown.status == 400);
  CHECK(unknown.body == "X-Forwarded-For does not name the client's IP address\n");
  // Plain HTTP through the proxy needs no client.
  CHECK(http_get("127.0.0.1", port, "/health").status == 200);
  // Refused after their request, not at accept: counted apart.
  CHECK(stats_show("127.0.0.1", port, R"("connections_refused":0,"forwarded_refused":4)"));
  // ::1 is not a trusted proxy: its header is ignored and its own address counts, refused at accept.
  ws_test_client direct("::1", port, 0, "203.0.113.50");
  ws_test_client direct_again("::1", port, 0, "203.0.113.51");
  CHECK_THROWS_AS(ws_test_client("::1", port, 0, "203.0.113.52"), boost::system::system_error);
  CHECK(stats_show("127.0.0.1", port, R"("connections_refused":1,"forwarded_refused":4)"));
  // A client's place comes back when its connection closes: once the tracker counts it gone
  // (seven WebSockets stay open, and the /stats request itself), the client is admitted again.
  first.close();
  REQUIRE(stats_show("127.0.0.1", port, R"({"connections":8,)"));
  CHECK(upgrade_response("127.0.0.1", port, "203.0.113.9").status == 101);
}

TEST_CASE("behind a trusted proxy that writes RFC 7239 Forwarded, that header names the client", "[connection]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("max_connections_per_ip = 2\n", "",
                                    "trusted_proxies = \"127.0.0.1\"\nforwarded_header = \"forwarded\"\n"));
  const auto port = tracker.port();
  ws_test_client first("127.0.0.1", port, 0, client_header::forwarded("for=203.0.113.9;proto=https"));
  // What the client wrote left of what the proxy appended is not believed.
  ws_test_client second("127.0.0.1", port, 0, client_header::forwarded(R"(for=192.0.2.1, for="203.0.113.9:5555")"));
  CHECK(upgrade_response("127.0.0.1", port, client_header::forwarded("for=203.0.113.9")).status == 429);
  // X-Forwarded-For is not read: a proxy that maintains Forwarded passes it on as the client wrote
  // it. These two count as the proxy's own, as does a client the proxy hides.
  ws_test_client not_read("127.0.0.1", port, 0, "198.51.100.4");
  ws_test_client not_read_either("127.0.0.1", port, 0, "198.51.100.5");
  CHECK(upgrade_response("127.0.0.1", port, client_header::forwarded("for=unknown;proto=https")).status == 429);
  const auto garbage = upgrade_response("127.0.0.1", port, client_header::forwarded("for=tracker.example"));
  CHECK(garbage.status == 400);
  CHECK(garbage.body == "Forwarded does not name the client's IP address\n");
  CHECK(stats_show("127.0.0.1", port, R"("connections_refused":0,"forwarded_refused":3)"));

  // The client's family picks its swarms.
  const auto hash = make_id<proto::info_hash>(64);
  ws_test_client v6_client("127.0.0.1", port, 0, client_header::forwarded(R"(for="[2001:db8::5]:4711")"));
  v6_client.send(announce(hash, make_id<proto::peer_id>(65), 100));
  CHECK(expect_message<wt::announce_response>(v6_client.receive()).incomplete == 1);
  first.send(announce(hash, make_id<proto::peer_id>(66), 100));
  CHECK(expect_message<wt::announce_response>(first.receive()).incomplete == 1);
  ws_test_client second_v6("127.0.0.1", port, 0, client_header::forwarded(R"(for="[2001:db8::6]")"));
  second_v6.send(announce(hash, make_id<proto::peer_id>(67), 100));
  CHECK(expect_message<wt::announce_response>(second_v6.receive()).incomplete == 2);
}

TEST_CASE("with the default forwarded_header, a Forwarded header is not read", "[connection]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("max_connections_per_ip = 1\n", "", "trusted_proxies = \"127.0.0.1\"\n"));
  ws_test_client first("127.0.0.1", tracker.port(), 0, client_header::forwarded("for=203.0.113.9"));
  // The proxy's own budget of 1 is taken: a Forwarded header naming another client changes nothing.
  CHECK(upgrade_response("127.0.0.1", tracker.port(), client_header::forwarded("for=203.0.113.10")).status == 429);
  CHECK(upgrade_response("127.0.0.1", tracker.port(), "203.0.113.10").status == 101);
}

TEST_CASE("behind a trusted proxy, a client joins the swarms of its own address family", "[connection]") {
  // The wide prefix is warned about at start-up, and trusted all the same.
  tracker_process tracker(tracker_ws_path(), ws_config("", "", "trusted_proxies = \"127.0.0.1, ::/0\"\n"));
  CHECK(tracker.wait_for_log("network.trusted_proxies: ::/0 is very wide", std::chrono::seconds(5)));
  CHECK_FALSE(tracker.wait_for_log("127.0.0.1/32 is very wide", std::chrono::milliseconds(100)));
  const auto hash = make_id<proto::info_hash>(60);
  // Over IPv4 to the tracker, for an IPv6 client: the IPv6 swarm.
  ws_test_client v6_client("127.0.0.1", tracker.port(), 0, "2001:db8::5");
  v6_client.send(announce(hash, make_id<proto::peer_id>(61), 100));
  CHECK(expect_message<wt::announce_response>(v6_client.receive()).incomplete == 1);
  ws_test_client v4_client("::1", tracker.port(), 0, "203.0.113.9");
  v4_client.send(announce(hash, make_id<proto::peer_id>(62), 100));
  CHECK(expect_message<wt::announce_response>(v4_client.receive()).incomplete == 1);
  ws_test_client second_v6("::1", tracker.port(), 0, "2001:db8::6");
  second_v6.send(announce(hash, make_id<proto::peer_id>(63), 100));
  CHECK(expect_message<wt::announce_response>(second_v6.receive()).incomplete == 2);
}

// Connects to host:port, writes `parts` with `pause` between them, and returns every byte the
// tracker sent until it closed (or 5 s passed).
std::string raw_exchange(const std::string& host, std::uint16_t port, const std::vector<std::string>& parts,
                         std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address(host), port});
  const timeval timeout{5, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) std::this_thread::sleep_for(pause);
    boost::asio::write(socket, boost::asio::buffer(parts[i]));
  }
  std::string received;
  char chunk[4096];
  while (true) {
    const ssize_t got = ::recv(socket.native_handle(), chunk, sizeof chunk, 0);
    if (got <= 0) break;
    received.append(chunk, static_cast<std::size_t>(got));
  }
  return received;
}

// A PROXY protocol version 2 header for an IPv4 client at `a.b.c.d`:5555 (to 127.0.0.1:8000).
std::string proxy_v2_ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  std::string header("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16);
  for (const std::uint8_t byte : {a, b, c, d, std::uint8_t{127}, std::uint8_t{0}, std::uint8_t{0}, std::uint8_t{1},
                                  std::uint8_t{0x15}, std::uint8_t{0xb3}, std::uint8_t{0x1f}, std::uint8_t{0x40}}) {
    header.push_back(static_cast<char>(byte));
  }
  return header;
}

// A PROXY protocol version 2 LOCAL header: the balancer's own connection (its health checks).
std::string proxy_v2_local() { return std::string("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16); }

std::string proxy_v1(const std::string& client) {
  const bool v6 = client.find(':') != std::string::npos;
  return std::string("PROXY ") + (v6 ? "TCP6 " : "TCP4 ") + client + (v6 ? " ::1" : " 127.0.0.1") + " 40000 8000\r\n";
}

const std::string health_request = "GET /health HTTP/1.1\r\nHost: tracker\r\n\r\n";

TEST_CASE("behind a load balancer, the PROXY protocol header names the client", "[connection]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_connections_per_ip = 2\n", "",
                                                       "trusted_proxies = \"127.0.0.1\"\nproxy_protocol = true\n"));
  const auto port = tracker.port();
  // 127.0.0.1 plays the balancer; each client it names has a budget of 2, in either version, and
  // the balancer none of its own.
  ws_test_client first("127.0.0.1", port, 0, "", proxy_v1("203.0.113.9"));
  ws_test_client second("127.0.0.1", port, 0, "", proxy_v2_ipv4(203, 0, 113, 9));
  ws_test_client other("127.0.0.1", port, 0, "", proxy_v1("198.51.100.4"));
  // A client over its budget is closed before anything is read, as at accept.
  CHECK(raw_exchange("127.0.0.1", port, {proxy_v1("203.0.113.9") + health_request}).empty());
  // Once the header named the client, X-Forwarded-For (the client's own words here) counts for
  // nothing: this is 198.51.100.4's second connection, not 203.0.113.9's third.
  ws_test_client named("127.0.0.1", port, 0, "203.0.113.9", proxy_v1("198.51.100.4"));
  CHECK_THROWS_AS(ws_test_client("127.0.0.1", port, 0, "", proxy_v2_ipv4(198, 51, 100, 4)),
                  boost::system::system_error);

  // A header that comes in parts, with the request right behind it: the request is the client's.
  const std::string split = raw_exchange("127.0.0.1", port, {"PROXY TCP4 198.51.", "100.5 127.0.0.1 1 2\r\n" + health_request},
                                         std::chrono::milliseconds(100));
  CHECK(split.starts_with("HTTP/1.1 200"));
  CHECK(split.ends_with("ok"));
  // The balancer's own health check (v2 LOCAL) is served as the balancer's.
  const std::string local = raw_exchange("127.0.0.1", port, {proxy_v2_local() + health_request});
  CHECK(local.starts_with("HTTP/1.1 200"));

  // From the balancer, a connection without a header, or with a malformed one, is closed unread.
  CHECK(raw_exchange("127.0.0.1", port, {health_request}).empty());
  CHECK(raw_exchange("127.0.0.1", port, {"PROXY TCP4 203.0.113.300 127.0.0.1 1 2\r\n" + health_request}).empty());
  // ::1 is no balancer: a header from it is no header, and the HTTP parser refuses the line.
  CHECK(raw_exchange("::1", port, {proxy_v1("203.0.113.10") + health_request}).starts_with("HTTP/1.1 400"));
  CHECK(stats_show("::1", port, R"("forwarded_refused":2,"proxy_headers_refused":2)"));
  // A client's place comes back when its connection closes.
  first.close();
  REQUIRE(stats_show("::1", port, R"({"connections":4,)"));  // second, other, named, this request
  CHECK_NOTHROW(ws_test_client("127.0.0.1", port, 0, "", proxy_v1("203.0.113.9")));
}

TEST_CASE("a PROXY header that names no client leaves the connection the balancer's", "[connection]") {
  tracker_process tracker(tracker_ws_path(), ws_config("max_connections_per_ip = 2\n", "",
                                                       "trusted_proxies = \"127.0.0.1\"\nproxy_protocol = true\n"));
  const auto port = tracker.port();
  // v1 UNKNOWN and v2 LOCAL (health checks, clients of a unix socket): the balancer's own
  // connections, under its budget of 2, whatever X-Forwarded-For (written by the client) says.
  ws_test_client unknown("127.0.0.1", port, 0, "203.0.113.1", "PROXY UNKNOWN\r\n");
  ws_test_client local("127.0.0.1", port, 0, "203.0.113.2", proxy_v2_local());
  CHECK_THROWS_AS(ws_test_client("127.0.0.1", port, 0, "203.0.113.3", "PROXY UNKNOWN 1 2 3 4\r\n"),
                  boost::system::system_error);
  // A header naming the balancer's own (trusted) address names that client too.
  CHECK_THROWS_AS(ws_test_client("127.0.0.1", port, 0, "203.0.113.4", proxy_v1("127.0.0.1")),
                  boost::system::system_error);
  CHECK(stats_show("::1", port, R"("forwarded_refused":2,"proxy_headers_refused":0)"));
}

TEST_CASE("a full tracker behind a load balancer answers the health checks that come through it", "[connection]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("max_connections = 2\nmax_connections_per_ip = 2\nmonitoring_connections = 4\n", "",
                                    "trusted_proxies = \"127.0.0.1\"\nproxy_protocol = true\n"));
  const auto port = tracker.port();
  ws_test_client first("127.0.0.1", port, 0, "", proxy_v1("203.0.113.9"));
  ws_test_client second("127.0.0.1", port, 0, "", proxy_v1("198.51.100.4"));
  // Full. A probe through the balancer that has sent half its request holds a monitoring place
  // meanwhile; the balancer's other connections take the other places.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket pending(io);
  pending.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(pending, boost::asio::buffer(proxy_v1("192.0.2.7") + "GET /hea"));
  // Whatever the balancer's header says (a client, v1 UNKNOWN, v2 LOCAL), the health check is served.
  for (const std::string& header : {proxy_v1("192.0.2.1"), std::string("PROXY UNKNOWN\r\n"),
                                    proxy_v2_local()}) {
    const std::string reply = raw_exchange("127.0.0.1", port, {header + health_request});
    INFO(header);
    CHECK(reply.starts_with("HTTP/1.1 200"));
    CHECK(reply.ends_with("ok"));
  }
  // An upgrade there gets 503, as directly.
  const std::string upgrade = raw_exchange(
      "127.0.0.1", port,
      {proxy_v1("192.0.2.2") + "GET / HTTP/1.1\r\nHost: tracker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"});
  CHECK(upgrade.starts_with("HTTP/1.1 503"));
  CHECK(stats_show("::1", port, R"("forwarded_refused":0)"));
}

TEST_CASE("behind a load balancer, a client named by its PROXY header joins its family's swarms", "[connection]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "", "trusted_proxies = \"127.0.0.1\"\nproxy_protocol = true\n"));
  const auto hash = make_id<proto::info_hash>(70);
  ws_test_client v6_client("127.0.0.1", tracker.port(), 0, "", proxy_v1("2001:db8::5"));
  v6_client.send(announce(hash, make_id<proto::peer_id>(71), 100));
  CHECK(expect_message<wt::announce_response>(v6_client.receive()).incomplete == 1);
  ws_test_client v4_client("127.0.0.1", tracker.port(), 0, "", proxy_v2_ipv4(203, 0, 113, 9));
  v4_client.send(announce(hash, make_id<proto::peer_id>(72), 100));
  CHECK(expect_message<wt::announce_response>(v4_client.receive()).incomplete == 1);
  ws_test_client direct_v6("::1", tracker.port());
  direct_v6.send(announce(hash, make_id<proto::peer_id>(73), 100));
  CHECK(expect_message<wt::announce_response>(direct_v6.receive()).incomplete == 2);
}

TEST_CASE("a PROXY header that never finishes is closed after handshake_timeout", "[connection]") {
  tracker_process tracker(tracker_ws_path(), ws_config("handshake_timeout_seconds = 1\n", "",
                                                       "trusted_proxies = \"127.0.0.1\"\nproxy_protocol = true\n"));
  const auto start = std::chrono::steady_clock::now();
  CHECK(raw_exchange("127.0.0.1", tracker.port(), {"PROXY TCP4 203.0.113.7 127"}).empty());
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(500));
  CHECK(waited < std::chrono::seconds(4));
  CHECK(stats_show("::1", tracker.port(), R"("handshake_timeouts":1)"));
}

TEST_CASE("GET /health, /stats and /metrics over plain HTTP, 404 otherwise", "[http]") {
  const std::string host = GENERATE(as<std::string>{}, "127.0.0.1", "::1");
  INFO("host " << host);
  tracker_process tracker(tracker_ws_path(), ws_config());
  const auto health = http_get(host, tracker.port(), "/health");
  CHECK(health.status == 200);
  CHECK(health.body == "ok");

  ws_test_client client(host, tracker.port());
  client.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(2), 0));
  expect_message<wt::announce_response>(client.receive());
  client.send(R"({"action":"scrape","info_hash":"x"})");
  expect_message<wt::failure_reply>(client.receive());

  const auto stats = http_get(host, tracker.port(), "/stats");
  CHECK(stats.status == 200);
  INFO("stats: " << stats.body);
  CHECK(stats.body.find(R"("torrents":1,"peers":1,"seeders":1,"leechers":0)") != std::string::npos);
  CHECK(stats.body.find(R"("announce":1,)") != std::string::npos);
  CHECK(stats.body.find(R"("invalid":1,)") != std::string::npos);
  // The WebSocket and the request asking, once the tracker has counted /health's connection closed
  // (the client sees the close a moment before).
  CHECK(stats_show(host, tracker.port(), R"("connections":2,)"));

  // The same numbers for Prometheus: a TYPE line, then `name value`, for every gauge and counter.
  const auto metrics = http_get(host, tracker.port(), "/metrics");
  CHECK(metrics.status == 200);
  INFO("metrics: " << metrics.body);
  for (const char* expected : {"# TYPE riptide_ws_torrents gauge\nriptide_ws_torrents 1\n",
                               "riptide_ws_seeders 1\n",
                               "# TYPE riptide_ws_announces_total counter\nriptide_ws_announces_total 1\n",
                               "riptide_ws_invalid_messages_total 1\n", "riptide_ws_tracker_full_total 0\n"}) {
    CHECK(metrics.body.find(expected) != std::string::npos);
  }
  // The WebSocket and this request, and the last /stats request's connection until the tracker
  // has counted it closed; /health, /stats (at least once) and this one.
  const auto gauge = [&](const std::string& name) {
    const auto at = metrics.body.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stoull(metrics.body.substr(at + name.size() + 2));
  };
  CHECK(gauge("riptide_ws_open_connections") >= 2);
  CHECK(gauge("riptide_ws_open_connections") <= 3);
  CHECK(gauge("riptide_ws_http_requests_total") >= 3);
  std::istringstream lines(metrics.body);
  std::size_t samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE riptide_ws_", 0) == 0) continue;
    const auto space = line.find(' ');
    CHECK(line.rfind("riptide_ws_", 0) == 0);
    REQUIRE(space != std::string::npos);
    CHECK(line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == space);
    CHECK(line.find_first_not_of("0123456789", space + 1) == std::string::npos);
    ++samples;
  }
  CHECK(samples == 7 + 33);  // every gauge and counter of ws_counters.hpp

  CHECK(http_get(host, tracker.port(), "/announce").status == 404);
  CHECK(http_get(host, tracker.port(), "/").status == 404);
}

TEST_CASE("a request the HTTP parser refuses gets 400, 405, 413, 414 or 431 saying why, then the close", "[http]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  struct refused {
    const char* what;
    std::string request;
    const char* status_line;
  };
  const refused cases[] = {
      {"not HTTP", "HELLO\r\n\r\n", "HTTP/1.1 400 "},
      {"a header line without a colon", "GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", "HTTP/1.1 400 "},
      {"a GET with a body", "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 413 "},
      {"an HTTP/1.0 GET with a body", "GET /health HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.0 413 "},
      // Only GET and HEAD are served: the wrong method, whether or not a body comes with it.
      {"a PUT with a body", "PUT /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 405 "},
      {"a POST with a body", "POST /stats HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", "HTTP/1.1 405 "},
      {"a header over 8 KiB", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 "},
      {"a header far over 8 KiB", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 "},
      {"a request line over 8 KiB", "GET /" + std::string(10000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
       "HTTP/1.1 414 "},
      {"a request line far over 8 KiB", "GET /" + std::string(30000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
       "HTTP/1.1 414 "},
  };
  for (const auto& [what, request, status_line] : cases) {
    INFO(what);
    const std::string response = raw_exchange("127.0.0.1", tracker.port(), {request});
    INFO("response: " << response);
    CHECK(response.rfind(status_line, 0) == 0);
    // HTTP/1.0 closes unless told otherwise.
    CHECK((response.find("Connection: close") != std::string::npos || response.rfind("HTTP/1.0 ", 0) == 0));
  }
  // The tracker still serves.
  CHECK(http_get("127.0.0.1", tracker.port(), "/health").status == 200);
}

TEST_CASE("a WebSocket upgrade that is not one gets 400 saying what an upgrade needs", "[http]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  const std::string key_and_version = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  const std::string upgrade_headers = "Connection: Upgrade\r\nUpgrade: websocket\r\n" + key_and_version;
  const std::pair<const char*, std::string> cases[] = {
      {"HTTP/1.0", "GET /announce HTTP/1.0\r\nHost: x\r\n" + upgrade_headers + "\r\n"},
      {"POST", "POST /announce HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" + upgrade_headers + "\r\n"},
      {"no Upgrade header (a proxy took it)", "GET /announce HTTP/1.1\r\nHost: x\r\n" + key_and_version + "\r\n"},
      {"websocket on a second Upgrade line, no Connection header",
       "GET /announce HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n\r\n"},
  };
  for (const auto& [what, request] : cases) {
    INFO(what);
    const std::string response = raw_exchange("127.0.0.1", tracker.port(), {request});
    INFO("response: " << response);
    CHECK(response.rfind("HTTP/1.", 0) == 0);
    CHECK(response.find(" 400 ") != std::string::npos);
    CHECK(response.find("Upgrade: websocket\n") != std::string::npos);
  }
  // A plain request elsewhere is still 404.
  CHECK(raw_exchange("127.0.0.1", tracker.port(), {"GET /announce HTTP/1.1\r\nHost: x\r\n\r\n"}).find(" 404 ") !=
        std::string::npos);
  // Connection and Upgrade written on two lines each are one list each (a proxy adds its own line).
  // An empty close frame (masked with a zero key) right behind it ends the connection.
  const std::string split = raw_exchange(
      "127.0.0.1", tracker.port(),
      {"GET /announce HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
       "Upgrade: websocket\r\n" + key_and_version + "\r\n" + std::string("\x88\x80\0\0\0\0", 6)});
  INFO("response: " << split);
  CHECK(split.rfind("HTTP/1.1 101 ", 0) == 0);
  CHECK(split.ends_with(std::string("\x88\x00", 2)));  // the close echoed
}

TEST_CASE("HEAD, a query string, and other methods on /health and /stats", "[http]") {
  namespace http = boost::beast::http;
  tracker_process tracker(tracker_ws_path(), ws_config());
  // A monitor's cache buster is not part of the path.
  const auto health = http_get("127.0.0.1", tracker.port(), "/health?t=1700000000");
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  CHECK(http_get("127.0.0.1", tracker.port(), "/stats?x").body.find(R"("connections":)") != std::string::npos);
  // HEAD: GET's status and Content-Length, no body.
  const auto head = http_request("127.0.0.1", tracker.port(), http::verb::head, "/health");
  CHECK(head.status == 200);
  CHECK(head.content_length == "2");
  CHECK(head.body.empty());
  const auto head_stats = http_request("127.0.0.1", tracker.port(), http::verb::head, "/stats");
  CHECK(head_stats.status == 200);
  CHECK_FALSE(head_stats.content_length.empty());
  CHECK(head_stats.body.empty());
  // Other methods on a known path: 405 with Allow; on an unknown path: 404.
  const auto post = http_request("127.0.0.1", tracker.port(), http::verb::post, "/stats");
  CHECK(post.status == 405);
  CHECK(post.allow == "GET, HEAD");
  CHECK(http_request("127.0.0.1", tracker.port(), http::verb::delete_, "/health").status == 405);
  CHECK(http_request("127.0.0.1", tracker.port(), http::verb::head, "/nothing").status == 404);
  CHECK(http_get("127.0.0.1", tracker.port(), "/healthz").status == 404);
  // The absolute-form a client writes for a proxy (RFC 9112, 3.2.2).
  const auto absolute = http_get("127.0.0.1", tracker.port(), "http://127.0.0.1/health?t=1");
  CHECK(absolute.status == 200);
  CHECK(absolute.body == "ok");
  CHECK(http_get("127.0.0.1", tracker.port(), "HTTP://tracker.example:8000/stats").status == 200);
  CHECK(http_get("127.0.0.1", tracker.port(), "http://127.0.0.1/healthz").status == 404);
}

TEST_CASE("an HTTP/1.1 request or upgrade without one Host gets 400", "[http]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const std::pair<const char*, std::string> refused[] = {
      {"/health without Host", "GET /health HTTP/1.1\r\n\r\n"},
      {"/stats with two Host lines", "GET /stats HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
      {"an upgrade without Host", "GET /announce HTTP/1.1\r\n" + upgrade + "\r\n"},
      {"an upgrade with a key of 8 bytes",
       "GET /announce HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAA=\r\n\r\n"},
  };
  for (const auto& [what, request] : refused) {
    INFO(what);
    const std::string response = raw_exchange("127.0.0.1", tracker.port(), {request});
    INFO("response: " << response);
    CHECK(response.rfind("HTTP/1.1 400 ", 0) == 0);
  }
  // HTTP/1.0 may leave Host out.
  CHECK(raw_exchange("127.0.0.1", tracker.port(), {"GET /health HTTP/1.0\r\n\r\n"}).rfind("HTTP/1.0 200 ", 0) == 0);
}

TEST_CASE("SIGTERM closes open connections with 'going away' and exits with code 0", "[lifecycle]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  std::vector<std::unique_ptr<ws_test_client>> clients;
  for (std::uint8_t i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<ws_test_client>("127.0.0.1", tracker.port()));
    clients.back()->send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(i), 0));
    expect_message<wt::announce_response>(clients.back()->receive());
  }
  tracker.send_signal(SIGTERM);
  for (auto& client : clients) {
    REQUIRE(client->wait_closed());
    CHECK(client->close_code() == static_cast<std::uint16_t>(boost::beast::websocket::close_code::going_away));
  }
  CHECK(tracker.stop() == 0);
}

TEST_CASE("the stop logs the statistics line once more so nothing since the last one goes unreported", "[lifecycle]") {
  std::string config = ws_config();
  const std::string off = "[statistics]\ninterval_seconds = 0\n";
  REQUIRE(config.find(off) != std::string::npos);
  config.replace(config.find(off), off.size(), "[statistics]\ninterval_seconds = 3600\n");
  tracker_process tracker(tracker_ws_path(), config);
  {
    ws_test_client client("127.0.0.1", tracker.port());
    client.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(1), 0));
    expect_message<wt::announce_response>(client.receive());
  }
  CHECK(tracker.stop() == 0);
  const auto& lines = tracker.log_lines();
  const auto last = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("statistics at the stop: ") != std::string::npos;
  });
  REQUIRE(last != lines.end());
  CHECK(last->find("messages announce=1 ") != std::string::npos);
}

TEST_CASE("SIGTERM does not wait for a client that never answers the close frame", "[lifecycle]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(2), 0));
  expect_message<wt::announce_response>(client.receive());
  // The client never reads again, so it never answers; the tracker gives up after a second.
  CHECK(tracker.stop(std::chrono::seconds(5)) == 0);
}

TEST_CASE("a restart on the same port is not stopped by the last run's closed connections, a second tracker is",
          "[lifecycle]") {
  // A port the kernel picked and let go: the tracker must run on a fixed port for this.
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  std::string config = ws_config();
  const auto port_line = config.find("port = 0\n");
  REQUIRE(port_line != std::string::npos);
  config.replace(port_line, 9, "port = " + std::to_string(port) + "\n");
  const auto served = [](ws_test_client& client) {
    client.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(2), 0));
    return expect_message<wt::announce_response>(client.receive()).interval > 0;
  };
  // The first run's client stays open through the restart: the tracker closed its connection
  // first, so its end waits on `port` (FIN_WAIT, then TIME_WAIT), as after any stop with clients.
  std::optional<ws_test_client> first_client;
  {
    tracker_process first(tracker_ws_path(), config);
    REQUIRE(first.port() == port);
    first_client.emplace("127.0.0.1", port);
    CHECK(served(*first_client));
    CHECK(first.stop() == 0);
  }
  tracker_process second(tracker_ws_path(), config);
  CHECK(second.port() == port);
  ws_test_client client("127.0.0.1", port);
  CHECK(served(client));
  temporary_file third_config(config);
  const auto third = run_command(tracker_ws_path(), {"-c", third_config.path()});
  CHECK(third.exit_status == 1);
  CHECK(third.standard_error.find("is another tracker running?") != std::string::npos);
  CHECK(second.stop() == 0);
}

TEST_CASE("a bind that fails for another reason than a tracker on the port does not blame one", "[lifecycle]") {
  // 192.0.2.1 (TEST-NET-1) is no address of this machine.
  temporary_file config("[network]\nipv4_address = \"192.0.2.1\"\nipv6_address = \"\"\nport = 8000\n");
  const auto result = run_command(tracker_ws_path(), {"-c", config.path()});
  CHECK(result.exit_status == 1);
  CHECK(result.standard_error.find("Cannot assign requested address") != std::string::npos);
  CHECK(result.standard_error.find("another tracker") == std::string::npos);
}

TEST_CASE("the open-file limit is raised to the hard limit at start", "[lifecycle]") {
  // A service manager's soft limit (often 1024) would cap the connections below max_connections.
  rlimit inherited{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &inherited) == 0);
  if (inherited.rlim_max <= 256) {
    WARN("hard open-file limit too low to test");
    return;
  }
  rlimit lowered = inherited;
  lowered.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);  // the tracker inherits it
  std::optional<tracker_process> tracker;
  try {
    tracker.emplace(tracker_ws_path(), ws_config());
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &inherited);
    throw;
  }
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &inherited) == 0);
  std::ifstream limits("/proc/" + std::to_string(tracker->pid()) + "/limits");
  std::string line;
  std::string open_files;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) == 0) open_files = line;
  }
  INFO(open_files);
  std::istringstream fields(open_files.substr(std::string("Max open files").size()));
  std::string soft;
  std::string hard;
  fields >> soft >> hard;
  CHECK(soft == hard);
  CHECK(soft != "256");
  CHECK(tracker->stop() == 0);
}

TEST_CASE("privileges are dropped once the acceptors are bound, and the tracker still serves", "[lifecycle]") {
  // Dropping privileges needs them first: CI and the developers' machines run as root. Elsewhere
  // this case says so and checks nothing.
  if (::geteuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  const temporary_chroot root;
  const auto no_leak_check = without_leak_check();  // the empty chroot has no /proc
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "[privileges]\ndrop = true\nuser = \"nobody\"\nchroot_path = \"" +
                                            root.path() + "\"\n"));
  check_dropped_to_nobody(tracker.pid(), root.path());

  ws_test_client client("127.0.0.1", tracker.port());
  client.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(2), 0));
  CHECK(expect_message<wt::announce_response>(client.receive()).complete == 1);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("with a chroot, SIGUSR1 reloads the access list from the file read at start-up", "[lifecycle]") {
  if (::geteuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  const temporary_chroot root;
  const auto no_leak_check = without_leak_check();  // the empty chroot has no /proc
  REQUIRE(::chmod(root.path().c_str(), 0755) == 0);  // nobody reads the list inside it
  const std::string list_path = root.path() + "/allow.txt";
  struct removed_at_end {
    std::string path;
    ~removed_at_end() { std::remove(path.c_str()); }  // before the chroot directory goes
  } list_file{list_path};
  const auto first = make_id<proto::info_hash>(1);
  const auto second = make_id<proto::info_hash>(2);
  const auto write_list = [&](const proto::info_hash& hash) {
    std::ofstream(list_path, std::ios::trunc) << proto::to_hex(hash) << "\n";
    REQUIRE(::chmod(list_path.c_str(), 0644) == 0);  // readable by nobody
  };
  write_list(first);
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "[privileges]\ndrop = true\nuser = \"nobody\"\nchroot_path = \"" + root.path() +
                                            "\"\n[access_list]\nmode = \"allow\"\npath = \"" + list_path + "\"\n"));
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(announce(second, make_id<proto::peer_id>(3), 0));
  expect_message<wt::failure_reply>(client.receive());
  write_list(second);
  tracker.send_signal(SIGUSR1);
  REQUIRE(tracker.wait_for_log("access list reloaded", std::chrono::seconds(5)));
  client.send(announce(second, make_id<proto::peer_id>(3), 0));
  CHECK(expect_message<wt::announce_response>(client.receive()).complete == 1);
  CHECK(tracker.stop() == 0);
}

TEST_CASE("SIGHUP with nothing to reload says so", "[lifecycle]") {
  tracker_process tracker(tracker_ws_path(), ws_config());
  tracker.send_signal(SIGHUP);
  CHECK(tracker.wait_for_log("reload signal: no access list to reload", std::chrono::seconds(5)));
  CHECK(tracker.stop() == 0);
}

TEST_CASE("SIGUSR1 reloads the access list", "[lifecycle]") {
  const auto first = make_id<proto::info_hash>(1);
  const auto second = make_id<proto::info_hash>(2);
  temporary_file list(proto::to_hex(first) + "\n");
  tracker_process tracker(tracker_ws_path(),
                          ws_config("", "[access_list]\nmode = \"allow\"\npath = \"" + list.path() + "\"\n"));
  ws_test_client client("127.0.0.1", tracker.port());
  client.send(announce(second, make_id<proto::peer_id>(3), 0));
  expect_message<wt::failure_reply>(client.receive());
  list.write(proto::to_hex(second) + "\n");
  tracker.send_signal(SIGUSR1);
  REQUIRE(tracker.wait_for_log("access list reloaded", std::chrono::seconds(5)));
  client.send(announce(second, make_id<proto::peer_id>(3), 0));
  CHECK(expect_message<wt::announce_response>(client.receive()).complete == 1);
}

}  // namespace
}  // namespace riptide::test

namespace riptide::test {
namespace {

// A counter of GET /stats, e.g. "relays_to_full_queues".
std::uint64_t stats_counter(std::uint16_t port, const std::string& name) {
  const std::string body = http_get("127.0.0.1", port, "/stats").body;
  const std::string key = "\"" + name + "\":";
  const auto at = body.find(key);
  REQUIRE(at != std::string::npos);
  return std::stoull(body.substr(at + key.size()));
}

TEST_CASE("relays to a reader whose queue is full are dropped, and a reader that stopped is closed", "[connection]") {
  const std::string bound = GENERATE(std::string("max_outbound_messages = 4\n"), std::string("max_outbound_bytes = 65536\n"));
  INFO(bound);
  tracker_process tracker(tracker_ws_path(), ws_config(bound + "write_timeout_seconds = 1\n"));
  const auto hash = make_id<proto::info_hash>(40);
  const auto slow_peer = make_id<proto::peer_id>(41);
  const auto fast_peer = make_id<proto::peer_id>(42);
  ws_test_client slow("127.0.0.1", tracker.port(), 4096);
  slow.send(announce(hash, slow_peer, 100));
  expect_message<wt::announce_response>(slow.receive());

  // Each announce of `fast` relays one ~10 KB offer to `slow`, which reads nothing meanwhile: once
  // the kernel buffers are full, the tracker's queue for `slow` fills, further relays to it are
  // dropped, and its stuck write closes it after write_timeout_seconds. `fast` is never slowed.
  ws_test_client fast("127.0.0.1", tracker.port());
  const std::string big_sdp(10000, 's');
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::uint64_t relays_dropped = 0;
  std::uint64_t slow_readers = 0;
  for (std::uint32_t i = 0; slow_readers == 0 && std::chrono::steady_clock::now() < deadline; ++i) {
    proto::offer_id offer = make_id<proto::offer_id>(0);
    offer.bytes[0] = static_cast<std::uint8_t>(i);
    offer.bytes[1] = static_cast<std::uint8_t>(i >> 8);
    offer.bytes[2] = static_cast<std::uint8_t>(i >> 16);
    fast.send(announce_with_offer(hash, fast_peer, offer, big_sdp));
    expect_message<wt::announce_response>(fast.receive());
    if (i % 50 == 49) {
      relays_dropped = stats_counter(tracker.port(), "relays_to_full_queues");
      slow_readers = stats_counter(tracker.port(), "slow_readers");
    }
  }
  CHECK(relays_dropped > 0);
  CHECK(slow_readers == 1);
  CHECK(slow.wait_closed(std::chrono::seconds(10)));
  // The dropped connection left the swarm at once: only `fast` remains.
  fast.send(announce(hash, fast_peer, 100));
  CHECK(expect_message<wt::announce_response>(fast.receive()).incomplete == 1);
}

TEST_CASE("a burst of relays to a reader that keeps up: each one delivered or counted, nobody dropped", "[connection]") {
  const std::string bound = GENERATE(std::string(), std::string("max_outbound_messages = 4\n"));
  INFO("limits: " << bound);
  tracker_process tracker(tracker_ws_path(), ws_config(bound));
  const auto hash = make_id<proto::info_hash>(50);
  ws_test_client target("127.0.0.1", tracker.port());
  target.send(announce(hash, make_id<proto::peer_id>(51), 100));
  expect_message<wt::announce_response>(target.receive());

  // 600 announces with an offer each, written back to back: the tracker reads many in one go, and
  // every offer goes to `target`, the only other peer.
  ws_test_client sender("127.0.0.1", tracker.port());
  constexpr std::uint32_t announces = 600;
  for (std::uint32_t i = 0; i < announces; ++i) {
    proto::offer_id offer = make_id<proto::offer_id>(0);
    offer.bytes[0] = static_cast<std::uint8_t>(i);
    offer.bytes[1] = static_cast<std::uint8_t>(i >> 8);
    sender.send(announce_with_offer(hash, make_id<proto::peer_id>(52), offer, "v=0"));
  }
  for (std::uint32_t i = 0; i < announces; ++i) expect_message<wt::announce_response>(sender.receive());
  // Every relay is delivered or counted as dropped; wait for all of them (with request workers,
  // relays may still be on their way after the sender's last reply).
  // They come in the order of the announces (the queue moves its written frames out in bulk now
  // and then: that keeps the order).
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;
  std::uint64_t out_of_order = 0;
  std::int64_t last_index = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (delivered + dropped < announces && std::chrono::steady_clock::now() < deadline) {
    if (const auto relay = target.receive(std::chrono::milliseconds(200))) {
      const auto id = expect_message<wt::offer_relay>(relay).id;
      const std::int64_t index = id.bytes[0] | (id.bytes[1] << 8);
      if (index <= last_index) ++out_of_order;
      last_index = index;
      ++delivered;
    } else {
      dropped = stats_counter(tracker.port(), "relays_to_full_queues");
    }
  }
  dropped = stats_counter(tracker.port(), "relays_to_full_queues");
  CHECK_FALSE(target.receive(std::chrono::milliseconds(200)));  // and nothing more
  INFO("delivered " << delivered << ", dropped " << dropped);
  CHECK(delivered + dropped == announces);
  CHECK(out_of_order == 0);
  // The default bounds (4096 messages, 1 MiB) hold what one turn of the tracker's loop queues for a
  // connection, with request workers too (a drain of the response channel, up to 4096 relays).
  if (bound.empty()) CHECK(dropped == 0);
  // Relayed counts what was queued to the target, not what was dropped.
  CHECK(stats_counter(tracker.port(), "offers") == delivered);
  CHECK(stats_counter(tracker.port(), "slow_readers") == 0);
  // Both still connected.
  target.send(announce(hash, make_id<proto::peer_id>(51), 100));
  CHECK(expect_message<wt::announce_response>(target.receive()).incomplete == 2);
}

}  // namespace
}  // namespace riptide::test

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace riptide::test {
namespace {

TEST_CASE("a connection that never finishes its HTTP request is closed after handshake_timeout", "[connection]") {
  tracker_process tracker(tracker_ws_path(), ws_config("handshake_timeout_seconds = 1\n"));
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), tracker.port()});
  const std::string partial = "GET /announce HTTP/1.1\r\nHost: x\r\n";  // never ends
  boost::asio::write(socket, boost::asio::buffer(partial));
  const auto start = std::chrono::steady_clock::now();
  char byte = 0;
  boost::system::error_code error;
  boost::asio::read(socket, boost::asio::buffer(&byte, 1), error);  // blocks until the tracker closes
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(error);
  CHECK(waited >= std::chrono::milliseconds(500));
  CHECK(waited < std::chrono::seconds(5));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("handshake_timeouts":1)"));
}

TEST_CASE("an idle connection is pinged, and closed if it never answers", "[connection]") {
  // The shortest timeouts the config allows: interval 1 s, idle timeout 2 s (a ping after 1 s).
  tracker_process tracker(tracker_ws_path(),
                          ws_config("idle_timeout_seconds = 2\n",
                                    "[protocol]\nannounce_interval_seconds = 1\npeer_timeout_seconds = 2\n"));
  ws_test_client silent("127.0.0.1", tracker.port());
  ws_test_client answering("127.0.0.1", tracker.port());
  // `answering` runs its I/O (Beast answers pings while reading); `silent` runs none meanwhile,
  // so it neither reads the ping nor sends a pong.
  CHECK_FALSE(answering.receive(std::chrono::milliseconds(3000)));
  answering.send(announce(make_id<proto::info_hash>(1), make_id<proto::peer_id>(2), 0));
  CHECK(expect_message<wt::announce_response>(answering.receive()).complete == 1);
  CHECK(silent.wait_closed(std::chrono::milliseconds(500)));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("idle_timeouts":1)"));
}

// TCP connections that never send a request: each is being set up until it closes.
std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> open_bare_connections(boost::asio::io_context& io,
                                                                                 std::uint16_t port, int count) {
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> sockets;
  for (int i = 0; i < count; ++i) {
    sockets.push_back(std::make_unique<boost::asio::ip::tcp::socket>(io));
    sockets.back()->connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  return sockets;
}

TEST_CASE("after a burst of connections being set up, freed memory goes back to the system once", "[connection]") {
  // A rise of 256 set-ups over the whole process triggers it (process_heap_trim); with several
  // socket workers the kernel spreads the connections over them, and they are counted together.
  tracker_process tracker(tracker_ws_path(), ws_config("max_connections_per_ip = 1000\n"));
  boost::asio::io_context io;

  // A small burst: no trim.
  auto small = open_bare_connections(io, tracker.port(), 100);
  REQUIRE(stats_show("127.0.0.1", tracker.port(), R"("connections":101,)"));
  small.clear();
  REQUIRE(stats_show("127.0.0.1", tracker.port(), R"("connections":1,)"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two housekeeping ticks
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("heap_trims":0)"));

  auto burst = open_bare_connections(io, tracker.port(), 300);
  REQUIRE(stats_show("127.0.0.1", tracker.port(), R"("connections":301,)"));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("heap_trims":0)"));  // not while it lasts
  burst.clear();
  REQUIRE(stats_show("127.0.0.1", tracker.port(), R"("connections":1,)"));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("heap_trims":1})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // every worker's tick has come again
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("heap_trims":1})"));  // once
}

TEST_CASE("with cleaning.return_freed_memory = false, a burst of connections is never followed by a trim",
          "[connection]") {
  tracker_process tracker(tracker_ws_path(),
                          ws_config("max_connections_per_ip = 1000\n", "[cleaning]\nreturn_freed_memory = false\n"));
  boost::asio::io_context io;
  auto burst = open_bare_connections(io, tracker.port(), 300);
  REQUIRE(stats_show("127.0.0.1", tracker.port(), R"("connections":301,)"));
  burst.clear();
  REQUIRE(stats_show("127.0.0.1", tracker.port(), R"("connections":1,)"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(stats_show("127.0.0.1", tracker.port(), R"("heap_trims":0)"));
}

}  // namespace
}  // namespace riptide::test
