// The completed counts kept for torrents without peers: keep, take back, expire, and the bound.

#include "tracker/core/emptied_torrent_counts.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using riptide::core::emptied_torrent_counts;
using riptide::core::siphash_key;
using riptide::proto::info_hash;

namespace {

constexpr siphash_key test_key{0x77, 0x99};

info_hash hash_of(std::uint32_t n) {
  info_hash hash{};
  for (std::size_t i = 0; i < 4; ++i) hash.bytes[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return hash;
}

}  // namespace

TEST_CASE("emptied torrent counts: kept until now + retention, taken back once", "[core][emptied_counts]") {
  emptied_torrent_counts counts(100, 10, test_key);
  counts.keep(hash_of(1), 5, 1000);
  counts.keep(hash_of(2), 0, 1000);  // nothing to keep
  CHECK(counts.size() == 1);
  CHECK(counts.find(hash_of(1)) == 5);
  CHECK(counts.find(hash_of(2)) == 0);
  CHECK(counts.find(hash_of(1)) == 5);  // finding leaves it

  CHECK(counts.expire(1099) == 0);
  CHECK(counts.find(hash_of(1)) == 5);
  CHECK(counts.expire(1100) == 1);
  CHECK(counts.find(hash_of(1)) == 0);

  counts.keep(hash_of(3), 7, 2000);
  CHECK(counts.take(hash_of(3)) == 7);
  CHECK(counts.take(hash_of(3)) == 0);  // once
  CHECK(counts.size() == 0);
  CHECK(counts.take(hash_of(4)) == 0);

  // Kept again later: the new count and the new time.
  counts.keep(hash_of(5), 1, 3000);
  counts.keep(hash_of(5), 2, 3050);
  CHECK(counts.expire(3100) == 0);
  CHECK(counts.find(hash_of(5)) == 2);
  CHECK(counts.expire(3150) == 1);
}

TEST_CASE("emptied torrent counts: at most max_entries; none with a retention of 0", "[core][emptied_counts]") {
  emptied_torrent_counts bounded(100, 3, test_key);
  for (std::uint32_t n = 0; n < 5; ++n) bounded.keep(hash_of(n), n + 1, 0);
  CHECK(bounded.size() == 3);
  CHECK(bounded.find(hash_of(3)) == 0);
  CHECK(bounded.find(hash_of(4)) == 0);
  bounded.keep(hash_of(0), 9, 10);  // one already kept may be updated when full
  CHECK(bounded.find(hash_of(0)) == 9);
  CHECK(bounded.take(hash_of(1)) == 2);
  bounded.keep(hash_of(4), 5, 10);  // room again
  CHECK(bounded.find(hash_of(4)) == 5);

  emptied_torrent_counts off(0, 10, test_key);
  off.keep(hash_of(1), 5, 0);
  CHECK(off.size() == 0);
  CHECK(off.find(hash_of(1)) == 0);
}

TEST_CASE("emptied torrent counts: a flood that expired gives its room back", "[core][emptied_counts]") {
  emptied_torrent_counts counts(10, 100000, test_key);
  for (std::uint32_t n = 0; n < 50000; ++n) counts.keep(hash_of(n), 1, 0);
  const std::size_t flooded = counts.capacity();
  REQUIRE(flooded >= 50000);
  counts.keep(hash_of(50000), 1, 5);
  CHECK(counts.expire(10) == 50000);
  CHECK(counts.size() == 1);
  CHECK(counts.capacity() < flooded / 16);
}
