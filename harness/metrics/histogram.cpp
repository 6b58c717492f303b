#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

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

uint64_t Histogram::bucket_width(uint64_t value) {
  HOPCOST_CHECK(value <= kHighestTrackable);
  return bucket_width_at(index_of(value));
}

HistogramBuckets Histogram::buckets() const {
  HistogramBuckets b;
  for (size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i]) b.buckets.emplace_back(lowest_value_at(i) + bucket_width_at(i) - 1, counts_[i]);
  b.count = count_;
  b.out_of_range = out_of_range_;
  b.min = min();
  b.max = max_;
  b.sum = sum_;
  return b;
}

Histogram Histogram::from_buckets(const HistogramBuckets& b) {
  auto bad = [](const std::string& why) { throw std::invalid_argument("not a histogram: " + why); };
  Histogram h;
  uint64_t in_buckets = 0;
  size_t previous = 0;
  bool first = true;
  for (const auto& [value, n] : b.buckets) {
    if (value > kHighestTrackable) bad("bucket " + std::to_string(value) + " is above the highest trackable value");
    const size_t i = index_of(value);
    if (lowest_value_at(i) + bucket_width_at(i) - 1 != value)
      bad("bucket " + std::to_string(value) + " is not a bucket's highest value");
    if (!first && i <= previous) bad("bucket " + std::to_string(value) + " is out of order or repeated");
    h.counts_[i] = n;
    in_buckets += n;
    previous = i;
    first = false;
  }
  if (in_buckets + b.out_of_range != b.count)
    bad("its buckets and out-of-range values add up to " + std::to_string(in_buckets + b.out_of_range) + ", not count " +
        std::to_string(b.count));
  if (b.count > 0) {
    if (b.max < b.min) bad("max is below min");
    if (in_buckets > 0) {
      // min and max lie in the lowest and highest non-empty buckets (or above them, out of range).
      const uint64_t front = b.buckets.front().first, back = b.buckets.back().first;
      if (b.min < lowest_equivalent(front) || b.min > front) bad("min lies outside its lowest bucket");
      if (b.out_of_range == 0 ? b.max < lowest_equivalent(back) || b.max > back : b.max <= kHighestTrackable)
        bad("max lies outside its highest bucket");
    }
  }
  h.count_ = b.count;
  h.out_of_range_ = b.out_of_range;
  h.sum_ = b.sum;
  h.max_ = b.count ? b.max : 0;
  h.min_ = b.count ? b.min : UINT64_MAX;
  return h;
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
