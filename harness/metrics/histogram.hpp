// An HDR-style latency histogram: log-linear buckets with 2048 sub-buckets each, so
// every recorded value is kept to better than 0.1% (3 significant digits) from 1 ns up
// to 2^40 ns (about 18 minutes). Values above that are counted in `out_of_range()` and
// still take part in count, mean and max: nothing recorded is ever dropped.
//
// Recording is branch-light and allocation-free (one count increment); the bucket array
// is allocated once (about 250 KiB).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hopcost {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 11;  // 2048 sub-buckets: 3 significant digits
  static constexpr uint64_t kHighestTrackable = (uint64_t{1} << 40) - 1;

  Histogram();

  void record(uint64_t value) {
    ++count_;
    sum_ += value;
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
    if (value > kHighestTrackable) {
      ++out_of_range_;
      return;
    }
    ++counts_[index_of(value)];
  }
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return count_; }
  uint64_t out_of_range() const { return out_of_range_; }
  uint64_t max() const { return max_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // The value at `percentile` (0..100]: the highest value equivalent to the bucket that
  // holds the sample of that rank (nearest-rank method), clamped to [min, max]. A rank
  // that falls among the out-of-range values gives max(). 0 when empty.
  uint64_t value_at_percentile(double percentile) const;

  // Exposed for tests: the range of values that share a bucket with `value`.
  static uint64_t lowest_equivalent(uint64_t value);
  static uint64_t highest_equivalent(uint64_t value);

 private:
  static constexpr uint64_t kSubBucketMask = (uint64_t{1} << kSubBucketBits) - 1;
  static constexpr int kHalfBits = kSubBucketBits - 1;
  static size_t index_of(uint64_t value) {
    const int bucket = 64 - __builtin_clzll(value | kSubBucketMask) - kSubBucketBits;
    const uint64_t sub = value >> bucket;
    return (static_cast<size_t>(bucket + 1) << kHalfBits) + static_cast<size_t>(sub) -
           (size_t{1} << kHalfBits);
  }
  static uint64_t lowest_value_at(size_t index);
  static uint64_t bucket_width_at(size_t index);

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t out_of_range_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace hopcost
