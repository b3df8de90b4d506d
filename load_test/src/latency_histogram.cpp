#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace riptide::load_test {

std::size_t latency_histogram::index_of(std::uint64_t value) {
  // Values below 64 get exact buckets (exponent 0); above, the top 7 significant bits.
  if (value < sub_buckets) return static_cast<std::size_t>(value);
  const unsigned top_bit = 63U - static_cast<unsigned>(std::countl_zero(value));  // >= 6
  const unsigned shift = top_bit - sub_bucket_bits;
  const std::size_t exponent = shift + 1;
  const std::size_t mantissa = static_cast<std::size_t>(value >> shift) - sub_buckets;  // 0..63
  return exponent * sub_buckets + mantissa;
}

std::uint64_t latency_histogram::upper_bound_of(std::size_t index) {
  const std::size_t exponent = index / sub_buckets;
  const std::size_t mantissa = index % sub_buckets;
  if (exponent == 0) return mantissa;
  const unsigned shift = static_cast<unsigned>(exponent - 1);
  return ((static_cast<std::uint64_t>(sub_buckets + mantissa) + 1) << shift) - 1;
}

void latency_histogram::record(std::uint64_t value) {
  ++counts_[std::min(index_of(value), counts_.size() - 1)];
  ++count_;
  max_ = std::max(max_, value);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t latency_histogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  const double clamped = std::clamp(fraction, 0.0, 1.0);
  const auto wanted = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(clamped * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= wanted) return std::min(upper_bound_of(i), max_);
  }
  return max_;
}

}  // namespace riptide::load_test
