// seeders_first: random inserts and removals keep seeders before leechers, lose and duplicate
// nothing, and report every move.
#include "tracker/core/seeders_first.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace riptide::core {
namespace {

TEST_CASE("seeders first: inserts and removals keep the order and every peer", "[core][seeders_first]") {
  std::mt19937_64 random(3);
  struct peer {
    int id;
    bool seeder;
  };
  std::vector<peer> order;
  std::uint32_t seeders = 0;
  std::vector<int> present;  // the ids that should be in `order`
  int next_id = 0;
  const auto move = [&](std::uint32_t from, std::uint32_t to) {
    REQUIRE(from != to);
    REQUIRE(from < order.size());
    REQUIRE(to < order.size());
    order[to] = order[from];
  };
  for (int step = 0; step < 20000; ++step) {
    if (order.empty() || random() % 3 != 0) {
      const bool seeder = random() % 2 == 0;
      const auto size = static_cast<std::uint32_t>(order.size());
      order.push_back(peer{-1, false});
      const std::uint32_t position = seeders_first::insert_position(seeders, size, seeder, move);
      order[position] = peer{next_id, seeder};
      present.push_back(next_id++);
    } else {
      const auto position = static_cast<std::uint32_t>(random() % order.size());
      const int removed = order[position].id;
      seeders_first::remove_at(seeders, static_cast<std::uint32_t>(order.size()), position, move);
      order.pop_back();
      present.erase(std::find(present.begin(), present.end(), removed));
    }
    REQUIRE(seeders <= order.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) REQUIRE(order[i].seeder == (i < seeders));
    if (step % 100 == 0) {
      std::vector<int> ids;
      for (const peer& p : order) ids.push_back(p.id);
      std::sort(ids.begin(), ids.end());
      std::vector<int> expected = present;
      std::sort(expected.begin(), expected.end());
      REQUIRE(ids == expected);
    }
  }
}

}  // namespace
}  // namespace riptide::core
