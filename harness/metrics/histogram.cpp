#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>

#include "util/check.hpp"

namespace hopcost {

Histogram::Histogram() : counts_(index_of(kHighestTrackable) + 1, 0) {}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  out_of_range_ += other.out_of_range_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = out_of_range_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

uint64_t Histogram::lowest_value_at(size_t index) {
  int bucket = static_cast<int>(index >> kHalfBits) - 1;
  uint64_t sub = (index & ((size_t{1} << kHalfBits) - 1)) + (uint64_t{1} << kHalfBits);
  if (bucket < 0) {
    sub -= uint64_t{1} << kHalfBits;
    bucket = 0;
  }
  return sub << bucket;
}

uint64_t Histogram::bucket_width_at(size_t index) {
  const int bucket = std::max(0, static_cast<int>(index >> kHalfBits) - 1);
  return uint64_t{1} << bucket;
}

uint64_t Histogram::lowest_equivalent(uint64_t value) {
  HOPCOST_CHECK(value <= kHighestTrackable);
  return lowest_value_at(index_of(value));
}

uint64_t Histogram::highest_equivalent(uint64_t value) {
  HOPCOST_CHECK(value <= kHighestTrackable);
  const size_t i = index_of(value);
  return lowest_value_at(i) + bucket_width_at(i) - 1;
}

uint64_t Histogram::value_at_percentile(double percentile) const {
  if (count_ == 0) return 0;
  const double p = std::clamp(percentile, 0.0, 100.0);
  // Nearest rank: the smallest rank r with r >= p/100 * count, at least 1.
  // (the small epsilon keeps 99.9 / 100 × 1000 = 999.0000000000001 from rounding up to 1000)
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-9)));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t v = lowest_value_at(i) + bucket_width_at(i) - 1;
      return std::clamp(v, min(), max_);
    }
  }
  return max_;  // the rank lies among the out-of-range values
}

}  // namespace hopcost
