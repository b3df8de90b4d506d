#include <catch2/catch.hpp>
#include <optional>
#include <vector>

#include "connection_limiter.hpp"

namespace riptide::ws {
namespace {

const auto first_address = boost::asio::ip::make_address("10.0.0.1");
const auto second_address = boost::asio::ip::make_address("::1");

TEST_CASE("connections are limited per address and in total, and slots give their place back", "[limiter]") {
  connection_limiter limiter(3, 2);
  ws_counters worker_a;
  ws_counters worker_b;
  std::vector<connection_slot> held;
  auto admit = [&](const boost::asio::ip::address& address, ws_counters& owner) {
    auto slot = limiter.admit(address, owner);
    if (slot) held.push_back(std::move(*slot));
    return slot.has_value();
  };
  CHECK(admit(first_address, worker_a));
  CHECK(admit(first_address, worker_b));   // another socket worker, the same address: shared count
  CHECK_FALSE(admit(first_address, worker_a));  // per address
  CHECK(admit(second_address, worker_a));
  CHECK_FALSE(admit(second_address, worker_b));  // in total
  CHECK(worker_a.get(ws_gauge::open_connections) == 2);
  CHECK(worker_b.get(ws_gauge::open_connections) == 1);
  held.clear();
  CHECK(worker_a.get(ws_gauge::open_connections) == 0);
  CHECK(admit(first_address, worker_a));
  CHECK(admit(first_address, worker_a));
}

TEST_CASE("past max_connections a few monitoring places are given: one per address and within its limit", "[limiter]") {
  connection_limiter limiter(2, 2, 1);
  ws_counters worker;
  std::optional<connection_slot> full_1 = limiter.admit(first_address, worker);
  std::optional<connection_slot> full_2 = limiter.admit(first_address, worker);
  REQUIRE(full_1);
  REQUIRE(full_2);
  CHECK_FALSE(full_1->monitoring_only());
  CHECK_FALSE(full_2->monitoring_only());
  CHECK_FALSE(limiter.admit(first_address, worker));  // a monitoring place is free, not for an address at its limit
  std::optional<connection_slot> monitoring = limiter.admit(second_address, worker);
  REQUIRE(monitoring);
  CHECK(monitoring->monitoring_only());
  CHECK(worker.get(ws_gauge::open_connections) == 3);
  CHECK_FALSE(limiter.admit(second_address, worker));  // the one monitoring place is taken
  monitoring.reset();
  // A full place that comes free is a full place again; a proxy's connections get them too.
  full_1.reset();
  std::optional<connection_slot> proxied = limiter.admit_proxied(second_address, worker);
  REQUIRE(proxied);
  CHECK_FALSE(proxied->monitoring_only());
  std::optional<connection_slot> proxied_monitoring = limiter.admit_proxied(second_address, worker);
  REQUIRE(proxied_monitoring);
  CHECK(proxied_monitoring->monitoring_only());
  CHECK_FALSE(limiter.admit_proxied(second_address, worker));
  // One monitoring place per address (as the per-address limit counts them), however many are free.
  connection_limiter spread(1, 4, 3);
  std::optional<connection_slot> full = spread.admit(first_address, worker);
  std::optional<connection_slot> probe = spread.admit(first_address, worker);
  REQUIRE(probe);
  CHECK(probe->monitoring_only());
  CHECK_FALSE(spread.admit(first_address, worker));
  std::optional<connection_slot> other = spread.admit(second_address, worker);
  REQUIRE(other);
  CHECK(other->monitoring_only());
  CHECK_FALSE(spread.count_client(*other, boost::asio::ip::make_address("203.0.113.9")));  // stays its address's
  probe.reset();
  std::optional<connection_slot> next_probe = spread.admit(first_address, worker);
  REQUIRE(next_probe);
  CHECK(next_probe->monitoring_only());
  // Without monitoring places, full is full.
  connection_limiter strict(1, 1);
  std::optional<connection_slot> only = strict.admit(first_address, worker);
  REQUIRE(only);
  CHECK_FALSE(strict.admit(second_address, worker));
}

TEST_CASE("a trusted proxy's connections take any free monitoring place, and give it back", "[limiter]") {
  namespace ip = boost::asio::ip;
  connection_limiter limiter(1, 4, 3);
  ws_counters worker;
  const auto proxy = ip::make_address("127.0.0.1");
  std::optional<connection_slot> full = limiter.admit_proxied(proxy, worker);
  REQUIRE(full);
  CHECK_FALSE(full->monitoring_only());
  // The proxy carries the probes of many: its connections are not held to one place, and a direct
  // client of the same address still gets one of its own while places are free.
  std::optional<connection_slot> first_probe = limiter.admit_proxied(proxy, worker);
  std::optional<connection_slot> second_probe = limiter.admit_proxied(proxy, worker);
  REQUIRE(first_probe);
  REQUIRE(second_probe);
  CHECK(first_probe->monitoring_only());
  CHECK(second_probe->monitoring_only());
  std::optional<connection_slot> direct = limiter.admit(proxy, worker);
  REQUIRE(direct);
  CHECK(direct->monitoring_only());
  CHECK_FALSE(limiter.admit_proxied(proxy, worker));  // 3 of 3 taken
  CHECK_FALSE(limiter.admit(second_address, worker));
  // A monitoring place never becomes a client's; it gives back the place it took.
  CHECK_FALSE(limiter.count_client(*first_probe, ip::make_address("203.0.113.9")));
  first_probe.reset();
  std::optional<connection_slot> third_probe = limiter.admit_proxied(proxy, worker);
  REQUIRE(third_probe);
  CHECK(third_probe->monitoring_only());
  direct.reset();
  std::optional<connection_slot> direct_again = limiter.admit(proxy, worker);  // its address's place is free again
  REQUIRE(direct_again);
  CHECK(direct_again->monitoring_only());
  CHECK_FALSE(limiter.admit_proxied(proxy, worker));  // 3 of 3 taken
  // All given back: the one full place and three monitoring ones, as many as before.
  full.reset();
  second_probe.reset();
  third_probe.reset();
  direct_again.reset();
  CHECK(worker.get(ws_gauge::open_connections) == 0);
  std::vector<connection_slot> again;
  for (int i = 0; i < 4; ++i) {
    auto slot = limiter.admit_proxied(proxy, worker);
    REQUIRE(slot);
    CHECK(slot->monitoring_only() == (i > 0));
    again.push_back(std::move(*slot));
  }
  CHECK_FALSE(limiter.admit_proxied(proxy, worker));
}

TEST_CASE("an IPv6 /64 counts as one address; IPv4 addresses count one by one", "[limiter]") {
  namespace ip = boost::asio::ip;
  connection_limiter limiter(100, 2);
  ws_counters worker;
  std::vector<connection_slot> held;
  auto admit = [&](const char* address) {
    auto slot = limiter.admit(ip::make_address(address), worker);
    if (slot) held.push_back(std::move(*slot));
    return slot.has_value();
  };
  std::optional<connection_slot> first_of_prefix = limiter.admit(ip::make_address("2001:db8:1:2::1"), worker);
  CHECK(first_of_prefix);
  CHECK(admit("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  CHECK_FALSE(admit("2001:db8:1:2:1234::9"));  // a third address of the same /64
  CHECK(admit("2001:db8:1:3::1"));             // the next /64
  CHECK(admit("10.0.0.1"));
  CHECK(admit("10.0.0.1"));
  CHECK_FALSE(admit("10.0.0.1"));
  CHECK(admit("10.0.0.2"));  // the neighbour is another address
  CHECK(connection_limiter::limited_as(ip::make_address("2001:db8:1:2:aaaa::1")) == ip::make_address("2001:db8:1:2::"));
  // A slot gives its place back to its /64, whichever address of it held the slot.
  first_of_prefix.reset();
  CHECK(admit("2001:db8:1:2::77"));
  CHECK_FALSE(admit("2001:db8:1:2::78"));
}

TEST_CASE("a trusted proxy's connections count in total, and per address once the client is known", "[limiter]") {
  namespace ip = boost::asio::ip;
  connection_limiter limiter(4, 1);
  ws_counters worker;
  const auto proxy = ip::make_address("127.0.0.1");
  const auto client = ip::make_address("203.0.113.9");
  // Two connections from the proxy, past the per-address limit of 1: they carry other clients.
  std::optional<connection_slot> first = limiter.admit_proxied(proxy, worker);
  std::optional<connection_slot> second = limiter.admit_proxied(proxy, worker);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->awaits_client());
  CHECK(first->address() == proxy);
  CHECK(limiter.count_client(*first, client));
  CHECK_FALSE(first->awaits_client());
  CHECK(first->address() == client);
  CHECK_FALSE(limiter.count_client(*first, ip::make_address("203.0.113.10")));  // once per slot
  // The client's second connection through the proxy is over its limit; the slot stays as it was.
  CHECK_FALSE(limiter.count_client(*second, client));
  CHECK(second->awaits_client());
  // Directly or through the proxy, the client's one place is taken.
  CHECK_FALSE(limiter.admit(client, worker));
  CHECK(limiter.count_client(*second, ip::make_address("198.51.100.4")));
  // Both counted in total: 2 of 4, so two more, then none.
  std::optional<connection_slot> third = limiter.admit_proxied(proxy, worker);
  std::optional<connection_slot> fourth = limiter.admit(ip::make_address("192.0.2.1"), worker);
  CHECK(third);
  CHECK(fourth);
  CHECK_FALSE(limiter.admit_proxied(proxy, worker));
  CHECK(worker.get(ws_gauge::open_connections) == 4);
  // A proxy's slot whose client was never counted gives back its place in total only.
  third.reset();
  CHECK(limiter.admit_proxied(proxy, worker));
  // The client's slot gives its address's place back.
  first.reset();
  CHECK(limiter.admit(client, worker));
}

}  // namespace
}  // namespace riptide::ws
