// When freed memory goes back to the system: after a burst of set-ups or of closes, not on churn;
// and the trim itself.

#include "tracker/runtime/heap_trim_policy.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdint>
#include <fstream>
#include <memory>
#include <vector>

#include "tracker/runtime/heap_trim.hpp"

using riptide::runtime::heap_trim_policy;

TEST_CASE("heap trim: once a burst of set-ups is over, not while it lasts", "[runtime][heap_trim]") {
  heap_trim_policy policy;  // 256 set-ups, 1,024 closes, a minute apart
  std::uint32_t now = 100;
  CHECK_FALSE(policy.trim_due(0, 0, now++));  // idle
  // 300 connections arrive between two ticks and are set up one by one.
  for (std::uint64_t open = 1; open <= 300; ++open) policy.observe(open, open);
  CHECK_FALSE(policy.trim_due(300, 300, now++));
  CHECK_FALSE(policy.trim_due(200, 300, now++));  // 100 upgraded
  CHECK_FALSE(policy.trim_due(38, 300, now++));   // more than an eighth still setting up
  CHECK(policy.trim_due(37, 300, now++));
  // Once only: the peaks start again from here.
  for (int i = 0; i < 30; ++i) CHECK_FALSE(policy.trim_due(0, 300, now++));
}

TEST_CASE("heap trim: a peak between two ticks counts", "[runtime][heap_trim]") {
  heap_trim_policy policy;
  policy.observe(256, 256);  // seen at accept, over before the tick
  CHECK(policy.trim_due(0, 0, 5));
}

TEST_CASE("heap trim: a burst above a steady number of slow set-ups", "[runtime][heap_trim]") {
  heap_trim_policy policy;
  std::uint32_t now = 1;
  for (int i = 0; i < 10; ++i) CHECK_FALSE(policy.trim_due(50, 1000, now++));  // 50 slow handshakes all along
  policy.observe(350, 1300);
  CHECK_FALSE(policy.trim_due(300, 1300, now++));
  CHECK_FALSE(policy.trim_due(88, 1300, now++));  // 38 above the steady 50: more than an eighth of the rise
  CHECK(policy.trim_due(87, 1300, now++));
  // A rise of 255 above the steady number is no burst.
  heap_trim_policy steady;
  CHECK_FALSE(steady.trim_due(50, 1000, 1));
  steady.observe(305, 1255);
  CHECK_FALSE(steady.trim_due(50, 1000, 2));
}

TEST_CASE("heap trim: fewer set-ups at once than the threshold never trim", "[runtime][heap_trim]") {
  heap_trim_policy policy;
  std::uint32_t now = 1;
  for (int burst = 0; burst < 20; ++burst) {
    policy.observe(255, 255);
    CHECK_FALSE(policy.trim_due(0, 0, now++));
  }
}

TEST_CASE("heap trim: after a burst of closes, by count and by share of the peak", "[runtime][heap_trim]") {
  SECTION("1,024 of 2,000 closed") {
    heap_trim_policy policy({.setups = 256, .closes = 1024, .min_interval_seconds = 10});
    CHECK_FALSE(policy.trim_due(0, 2000, 1));
    CHECK_FALSE(policy.trim_due(0, 977, 2));  // 1,023 closed
    CHECK(policy.trim_due(0, 976, 3));
    CHECK_FALSE(policy.trim_due(0, 0, 20));  // 976 more: under the count
  }
  SECTION("1,024 closed of 100,000 is not a quarter") {
    heap_trim_policy policy({.setups = 256, .closes = 1024, .min_interval_seconds = 10});
    CHECK_FALSE(policy.trim_due(0, 100'000, 1));
    CHECK_FALSE(policy.trim_due(0, 98'976, 2));
    CHECK_FALSE(policy.trim_due(0, 75'001, 3));
    CHECK(policy.trim_due(0, 75'000, 4));
  }
}

TEST_CASE("heap trim: steady churn never trims", "[runtime][heap_trim]") {
  heap_trim_policy policy;
  // 5,000 connections open, 100 arriving (and being set up) and 100 leaving every second.
  for (std::uint32_t now = 1; now < 1000; ++now) {
    policy.observe(100, 5100);
    CHECK_FALSE(policy.trim_due(0, 5000, now));
  }
}

TEST_CASE("heap trim: at most one trim per min_interval_seconds", "[runtime][heap_trim]") {
  heap_trim_policy policy({.setups = 10, .closes = 1024, .min_interval_seconds = 10});
  policy.observe(10, 10);
  CHECK(policy.trim_due(0, 0, 100));
  policy.observe(10, 10);
  CHECK_FALSE(policy.trim_due(0, 0, 101));
  CHECK_FALSE(policy.trim_due(0, 0, 109));
  CHECK(policy.trim_due(0, 0, 110));  // the burst in between is still remembered
}

namespace {

// This process's resident memory, from /proc/self/statm.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("heap trim: memory freed in the middle of the heap goes back to the system", "[runtime][heap_trim]") {
  // 8 MiB in blocks below glibc's mmap threshold (set here: MALLOC_MMAP_THRESHOLD_ in the
  // environment could lower it), so on the heap, all touched; all freed but the last, which keeps
  // the rest from being the top of the heap (returned without a trim).
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 512; ++i) blocks.push_back(std::make_unique<char[]>(16 * 1024));
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i) blocks[i].reset();
  const std::uint64_t before = resident_bytes();
  const auto took = riptide::runtime::trim_heap();
  const std::uint64_t after = resident_bytes();
  INFO("resident before " << before << ", after " << after << ", trim took " << took.count() << " us");
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // The sanitizers' allocators keep their own heaps, which malloc_trim does not reach.
  CHECK(before >= after + 4 * 1024 * 1024);
#endif
}
