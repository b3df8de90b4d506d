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

}  // namespace
}  // namespace riptide::ws
