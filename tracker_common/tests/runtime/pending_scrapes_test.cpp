#include <catch2/catch.hpp>

#include "tracker/runtime/pending_scrapes.hpp"

namespace {

struct counts {
  std::uint32_t seeders = 0;
  std::uint32_t completed = 0;
  std::uint32_t leechers = 0;
};

using pending_scrapes = riptide::runtime::pending_scrapes<int, counts, 74>;

}  // namespace

TEST_CASE("a split scrape completes when its last part arrives, in any order", "[pending_scrapes]") {
  pending_scrapes table(4);
  const auto id = table.open({}, 3, 100);
  REQUIRE(id);
  CHECK(table.fill(*id, 2, {3, 0, 0}) == nullptr);
  CHECK(table.fill(*id, 0, {1, 0, 0}) == nullptr);
  CHECK(table.fill(*id, 0, {9, 9, 9}) == nullptr);  // a repeated part does not count twice
  const auto* complete = table.fill(*id, 1, {2, 0, 0});
  REQUIRE(complete != nullptr);
  CHECK(complete->results[0].seeders == 1);
  CHECK(complete->results[1].seeders == 2);
  CHECK(complete->results[2].seeders == 3);
  CHECK(table.close(*id));
  CHECK_FALSE(table.close(*id));  // closed already
  CHECK(table.open_count() == 0);
}

TEST_CASE("the table is bounded and reuses slots", "[pending_scrapes]") {
  pending_scrapes table(2);
  const auto a = table.open({}, 1, 0);
  const auto b = table.open({}, 1, 0);
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(table.open({}, 1, 0));  // full
  table.close(*a);
  const auto c = table.open({}, 1, 0);
  REQUIRE(c);
  CHECK(*c != *a);  // same slot, new generation
  CHECK(table.fill(*a, 0, {}) == nullptr);  // a late part for the old scrape is ignored
  CHECK(table.fill(*c, 0, {}) != nullptr);
}

TEST_CASE("entries whose parts never come back expire", "[pending_scrapes]") {
  pending_scrapes table(8);
  const auto old_one = table.open({}, 2, 10);
  const auto new_one = table.open({}, 2, 14);
  REQUIRE(old_one);
  REQUIRE(new_one);
  CHECK(table.expire(15, 4) == 1);
  CHECK(table.open_count() == 1);
  CHECK(table.fill(*old_one, 0, {}) == nullptr);
  CHECK(table.fill(*new_one, 0, {}) == nullptr);
  CHECK(table.fill(*new_one, 1, {}) != nullptr);
}

TEST_CASE("invalid sizes and indices are refused", "[pending_scrapes]") {
  pending_scrapes table(2);
  CHECK_FALSE(table.open({}, 0, 0));
  CHECK_FALSE(table.open({}, 75, 0));
  const auto id = table.open({}, 1, 0);
  REQUIRE(id);
  CHECK(table.fill(*id, 1, {}) == nullptr);
  CHECK(table.fill(0xffff'ffffU, 0, {}) == nullptr);
}
