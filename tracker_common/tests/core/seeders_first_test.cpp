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

// Random inserts and removals from an empty array, `steps` of them; a new peer is a seeder with
// probability seeder_percent, a step removes a peer with probability remove_percent.
void check_random_sequence(std::mt19937_64& random, int steps, unsigned seeder_percent, unsigned remove_percent) {
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
  for (int step = 0; step < steps; ++step) {
    if (order.empty() || random() % 100 >= remove_percent) {
      const bool seeder = random() % 100 < seeder_percent;
      const auto size = static_cast<std::uint32_t>(order.size());
      order.push_back(peer{-1, false});
      const std::uint32_t position = seeders_first::slot_for_new_peer(seeders, size, seeder, move);
      order[position] = peer{next_id, seeder};
      present.push_back(next_id++);
    } else {
      const auto position = static_cast<std::uint32_t>(random() % order.size());
      const auto removed = std::find(present.begin(), present.end(), order[position].id);
      REQUIRE(removed != present.end());
      present.erase(removed);
      seeders_first::remove_at(seeders, static_cast<std::uint32_t>(order.size()), position, move);
      order.pop_back();
    }
    REQUIRE(seeders <= order.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) REQUIRE(order[i].seeder == (i < seeders));
    std::vector<int> ids;
    for (const peer& p : order) ids.push_back(p.id);
    std::sort(ids.begin(), ids.end());
    std::vector<int> expected = present;
    std::sort(expected.begin(), expected.end());
    REQUIRE(ids == expected);
  }
}

TEST_CASE("seeders first: inserts and removals keep the order and every peer", "[core][seeders_first]") {
  std::mt19937_64 random(3);
  // Short runs from empty reach the edges: a seeder into an array of seeders only (or an empty
  // one), the last seeder removed with no leechers behind it, one peer left.
  for (int run = 0; run < 2000; ++run) {
    check_random_sequence(random, 12, static_cast<unsigned>(random() % 101), 45);
  }
  check_random_sequence(random, 3000, 50, 33);  // and a long one
}

}  // namespace
}  // namespace riptide::core
