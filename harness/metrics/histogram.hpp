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
#include <utility>
#include <vector>

namespace hopcost {

// A Histogram's non-empty buckets and its totals: the exact, compact form that
// report.json carries (docs/report-format.md, "Histograms"). Each bucket is named by the
// highest value it holds (ns), ascending. Decoding it back gives the same histogram, so
// percentiles and merges are exact to the histogram's own precision.
struct HistogramBuckets {
  std::vector<std::pair<uint64_t, uint64_t>> buckets;  // (highest equivalent value, count)
  uint64_t count = 0;         // every recorded value, out-of-range ones included
  uint64_t out_of_range = 0;  // values above Histogram::kHighestTrackable (in no bucket)
  uint64_t min = 0, max = 0;  // 0 when empty
  uint64_t sum = 0;           // of every recorded value
  bool operator==(const HistogramBuckets&) const = default;
};

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

  // The non-empty buckets and the totals, and back. from_buckets throws
  // std::invalid_argument when they cannot come from a histogram: a value that is not a
  // bucket's highest, values out of order or repeated, counts that do not add up, min or
  // max outside the buckets.
  HistogramBuckets buckets() const;
  static Histogram from_buckets(const HistogramBuckets& b);
  // The width of the bucket that holds `value` (<= kHighestTrackable): 1 below 2048,
  // then 2^(bit_length(value) - 11).
  static uint64_t bucket_width(uint64_t value);

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
