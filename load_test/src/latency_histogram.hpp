#pragma once
// A latency histogram with bounded memory and ~1.6% relative precision: values (microseconds) are
// bucketed by their highest set bit and the next 6 bits, like HdrHistogram with 2 significant
// digits. Fixed size (64 * 64 counters), so recording never allocates. Pure.

#include <array>
#include <cstdint>

namespace riptide::load_test {

class latency_histogram {
 public:
  void record(std::uint64_t value);
  void merge(const latency_histogram& other);
  std::uint64_t count() const { return count_; }
  // The smallest recorded-bucket value v such that at least `fraction` of samples are <= v.
  // 0 when empty. fraction in [0, 1].
  std::uint64_t percentile(double fraction) const;
  std::uint64_t max() const { return max_; }

 private:
  static constexpr unsigned sub_bucket_bits = 6;
  static constexpr std::size_t sub_buckets = std::size_t{1} << sub_bucket_bits;
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(std::size_t index);

  std::array<std::uint64_t, 64 * sub_buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace riptide::load_test
