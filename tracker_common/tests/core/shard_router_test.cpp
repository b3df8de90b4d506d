// shard_router: which shard owns a hash, and each shard's part of a tracker-wide bound.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "tracker/core/shard_router.hpp"

namespace riptide::core {
namespace {

TEST_CASE("a tracker-wide bound is split into parts that add up to it exactly", "[shard_router]") {
  for (const std::uint64_t total : {1ULL, 2ULL, 99ULL, 100ULL, 101ULL, 5000000ULL, 4294967295ULL}) {
    for (const std::uint64_t shards : {1ULL, 2ULL, 3ULL, 7ULL, 256ULL}) {
      std::uint64_t sum = 0;
      std::uint64_t smallest = UINT64_MAX;
      std::uint64_t largest = 0;
      for (std::uint64_t index = 0; index < shards; ++index) {
        const std::uint64_t part = share_of_total(total, shards, index);
        sum += part;
        smallest = std::min(smallest, part);
        largest = std::max(largest, part);
      }
      INFO("total " << total << " over " << shards << " shards");
      CHECK(sum == total);
      CHECK(largest - smallest <= 1);
    }
  }
  CHECK(share_of_total(100, 3, 0) == 34);
  CHECK(share_of_total(100, 3, 1) == 33);
  CHECK(share_of_total(100, 3, 2) == 33);
}

TEST_CASE("every hash goes to a shard in range, and one shard takes all", "[shard_router]") {
  const shard_router three(siphash_key{1, 2}, 3);
  const shard_router one(siphash_key{1, 2}, 1);
  std::vector<int> seen(3, 0);
  for (int i = 0; i < 3000; ++i) {
    proto::info_hash hash{};
    hash.bytes[0] = static_cast<std::uint8_t>(i);
    hash.bytes[1] = static_cast<std::uint8_t>(i >> 8);
    const auto shard = three.shard_of(hash);
    REQUIRE(shard < 3);
    ++seen[shard];
    CHECK(one.shard_of(hash) == 0);
  }
  for (const int count : seen) CHECK(count > 800);  // keyed hash: about 1,000 each
}

}  // namespace
}  // namespace riptide::core
