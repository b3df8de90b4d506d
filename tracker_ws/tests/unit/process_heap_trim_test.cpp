// One decision for the whole process: the socket workers' connections summed, one trim per burst.

#include "process_heap_trim.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

namespace riptide::ws {
namespace {

TEST_CASE("heap trim across socket workers: a burst spread over them trims once", "[heap_trim]") {
  process_heap_trim trim(3, true);
  std::uint32_t now = 10;
  for (std::size_t worker = 0; worker < 3; ++worker) CHECK_FALSE(trim.trim_if_due(worker, 0, 0, now));
  // 100 set-ups in each worker: 300 in all, over the 256 of runtime::heap_trim_policy.
  for (std::size_t worker = 0; worker < 3; ++worker) trim.observe(worker, 100, 100);
  ++now;
  for (std::size_t worker = 0; worker < 3; ++worker) CHECK_FALSE(trim.trim_if_due(worker, 100, 100, now));
  // All upgraded: the first worker to see the burst over trims, the others do not.
  ++now;
  int trims = 0;
  for (std::size_t worker = 0; worker < 3; ++worker) trims += trim.trim_if_due(worker, 0, 100, now) ? 1 : 0;
  CHECK(trims == 1);
}

TEST_CASE("heap trim across socket workers: closes counted over all of them", "[heap_trim]") {
  process_heap_trim trim(4, true);
  // 1,000 connections each (4,000 in all) that arrived slowly, then all closed: under the 1,024
  // closes a single worker would need, over them together.
  for (std::size_t worker = 0; worker < 4; ++worker) CHECK_FALSE(trim.trim_if_due(worker, 0, 1000, 1));
  int trims = 0;
  for (std::size_t worker = 0; worker < 4; ++worker) trims += trim.trim_if_due(worker, 0, 0, 2) ? 1 : 0;
  CHECK(trims == 1);
}

TEST_CASE("heap trim across socket workers: off, never", "[heap_trim]") {
  process_heap_trim trim(1, false);
  trim.observe(0, 5000, 5000);
  CHECK_FALSE(trim.trim_if_due(0, 0, 0, 1));
  CHECK_FALSE(trim.trim_if_due(0, 0, 0, 100));
}

TEST_CASE("heap trim across socket workers: workers calling at once trim at most once", "[heap_trim]") {
  constexpr std::size_t workers = 4;
  process_heap_trim trim(workers, true);
  for (std::size_t worker = 0; worker < workers; ++worker) CHECK_FALSE(trim.trim_if_due(worker, 0, 0, 1));
  for (std::size_t worker = 0; worker < workers; ++worker) trim.observe(worker, 100, 100);
  std::vector<int> trimmed(workers, 0);
  std::vector<std::thread> threads;
  for (std::size_t worker = 0; worker < workers; ++worker) {
    threads.emplace_back([&, worker] {
      for (std::uint32_t now = 2; now < 50; ++now) trimmed[worker] += trim.trim_if_due(worker, 0, 100, now) ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  int total = 0;
  for (const int count : trimmed) total += count;
  CHECK(total == 1);
}

}  // namespace
}  // namespace riptide::ws
