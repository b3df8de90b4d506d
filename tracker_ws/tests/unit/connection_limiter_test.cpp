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

}  // namespace
}  // namespace riptide::ws
