// peer_table against std::map under random inserts and erasures, growing past the size where it
// moves to a hash map and shrinking (with shrink_if_sparse, as the cleaning calls it) back to a
// vector, many times.

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>

#include "tracker/core/peer_table.hpp"
#include "tracker/core/siphash.hpp"

namespace riptide::core {
namespace {

struct id_hasher {
  siphash_key key;
  using is_avalanching = void;
  std::size_t operator()(const proto::peer_id& id) const { return siphash13(key, id.bytes); }
};

proto::peer_id id_of(std::uint32_t n) {
  proto::peer_id id{};
  id.bytes[0] = static_cast<std::uint8_t>(n);
  id.bytes[19] = static_cast<std::uint8_t>(n >> 8);
  return id;
}

std::uint32_t number_of(const proto::peer_id& id) { return id.bytes[0] | static_cast<std::uint32_t>(id.bytes[19]) << 8; }

using table = peer_table<std::uint64_t, id_hasher>;

// Every entry of `peers` is in `model` with its value, and as many.
bool same(const table& peers, const std::map<std::uint32_t, std::uint64_t>& model) {
  std::size_t seen = 0;
  const bool all = peers.all_of([&](const table::entry& each) {
    ++seen;
    const auto it = model.find(number_of(each.first));
    return it != model.end() && it->second == each.second && peers.find(each.first) == &each;
  });
  return all && seen == model.size() && peers.size() == model.size();
}

TEST_CASE("peer_table: small tables are vectors; past small_up_to a map; sparse again, a vector",
          "[core][peer_table]") {
  table peers(id_hasher{{1, 2}});
  std::map<std::uint32_t, std::uint64_t> model;
  for (std::uint32_t n = 0; n < table::small_up_to; ++n) {
    peers.try_emplace(id_of(n)).first->second = n;
    model[n] = n;
  }
  CHECK_FALSE(peers.large());
  CHECK(peers.find(id_of(999)) == table::end());
  const auto [added, was_added] = peers.try_emplace(id_of(100));
  CHECK(was_added);
  added->second = 100;
  model[100] = 100;
  CHECK(peers.large());
  CHECK(same(peers, model));
  while (peers.size() > table::small_up_to / 2 + 1) {
    const std::uint32_t n = model.begin()->first;
    peers.erase(peers.find(id_of(n)));
    model.erase(n);
  }
  peers.shrink_if_sparse();
  CHECK(peers.large());  // one more than half
  peers.erase(peers.find(id_of(100)));
  model.erase(100);
  peers.shrink_if_sparse();
  CHECK_FALSE(peers.large());
  CHECK(same(peers, model));
  // Erasing from the middle of a vector keeps every other entry findable.
  peers.erase(peers.find(id_of(model.begin()->first)));
  model.erase(model.begin());
  CHECK(same(peers, model));
}

TEST_CASE("peer_table: random inserts, lookups and erasures match std::map", "[core][peer_table]") {
  const std::uint32_t seed = GENERATE(1u, 2u, 3u);
  std::mt19937 random(seed);
  table peers(id_hasher{{seed, ~std::uint64_t{seed}}});
  std::map<std::uint32_t, std::uint64_t> model;
  std::uint32_t changes = 0;
  bool was_large = false;
  for (int step = 0; step < 40000; ++step) {
    // Drift the population up (ids 0 to 59) and down (only ids below 6 are added) in turns.
    const bool growing = (step / 2000) % 2 == 0;
    const std::uint32_t n = std::uniform_int_distribution<std::uint32_t>(0, 59)(random);
    const bool insert = (growing || n < 6) && std::uniform_int_distribution<int>(0, 99)(random) < 70;
    if (insert) {
      const auto [at, added] = peers.try_emplace(id_of(n));
      REQUIRE(added == (model.count(n) == 0));
      if (!added) REQUIRE(at->second == model[n]);
      at->second = static_cast<std::uint64_t>(step);
      model[n] = static_cast<std::uint64_t>(step);
    } else {
      const auto at = peers.find(id_of(n));
      REQUIRE((at == table::end()) == (model.count(n) == 0));
      if (at != table::end()) {
        REQUIRE(at->second == model[n]);
        peers.erase(at);
        model.erase(n);
      }
    }
    REQUIRE(peers.size() == model.size());
    if (step % 50 == 0) peers.shrink_if_sparse();  // the cleaning's turn
    if (peers.large() != was_large) ++changes;
    was_large = peers.large();
    if (step % 97 == 0) REQUIRE(same(peers, model));
  }
  CHECK(changes >= 4);  // moved to a map and back, more than once
}

}  // namespace
}  // namespace riptide::core
