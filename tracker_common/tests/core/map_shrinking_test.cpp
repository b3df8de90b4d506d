// A flat map gives its array back once it is mostly empty, and not before.

#include "tracker/core/map_shrinking.hpp"

#include <boost/unordered/unordered_flat_map.hpp>
#include <catch2/catch.hpp>

namespace riptide::core {
namespace {

TEST_CASE("shrink_map_if_sparse: a map emptied to under an eighth shrinks to fit, once") {
  boost::unordered_flat_map<int, int> map;
  for (int i = 0; i < 100000; ++i) map.emplace(i, i);
  const std::size_t peak_buckets = map.bucket_count();
  REQUIRE(peak_buckets >= 100000);

  // A quarter left: still in use, kept (a map that shrinks and grows back would rehash twice).
  for (int i = 0; i < 75000; ++i) map.erase(i);
  CHECK_FALSE(shrink_map_if_sparse(map));
  CHECK(map.bucket_count() == peak_buckets);

  // A hundredth left: the array goes down to room for twice the 1,000 elements, all still there,
  // so that the next thousand insertions do not grow it again.
  for (int i = 75000; i < 99000; ++i) map.erase(i);
  CHECK(shrink_map_if_sparse(map));
  CHECK(map.bucket_count() < 4096);
  CHECK(map.size() == 1000);
  for (int i = 99000; i < 100000; ++i) CHECK(map.at(i) == i);
  CHECK_FALSE(shrink_map_if_sparse(map));
  const std::size_t shrunk_buckets = map.bucket_count();
  for (int i = 0; i < 1000; ++i) map.emplace(i, i);
  CHECK(map.bucket_count() == shrunk_buckets);

  // A tenth: under an eighth, so it shrinks too.
  boost::unordered_flat_map<int, int> tenth;
  for (int i = 0; i < 100000; ++i) tenth.emplace(i, i);
  for (int i = 0; i < 100000; ++i) {
    if (static_cast<std::size_t>(i) >= tenth.bucket_count() / 10) tenth.erase(i);
  }
  CHECK(shrink_map_if_sparse(tenth));

  // Small maps are left alone, whatever their occupancy.
  boost::unordered_flat_map<int, int> small;
  for (int i = 0; i < 500; ++i) small.emplace(i, i);
  small.clear();
  CHECK_FALSE(shrink_map_if_sparse(small));
}

}  // namespace
}  // namespace riptide::core
