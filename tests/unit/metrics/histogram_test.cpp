#include <catch2/catch.hpp>

#include "metrics/histogram.hpp"

using namespace hopcost;

TEST_CASE("percentiles of 1..100000 are exact to 3 significant digits") {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  CHECK(h.count() == 100000);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100000);
  CHECK(h.mean() == Approx(50000.5));
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const double expected = p / 100.0 * 100000;
    CHECK(static_cast<double>(h.value_at_percentile(p)) == Approx(expected).epsilon(0.001));
  }
  CHECK(h.value_at_percentile(100) == 100000);
}

TEST_CASE("small values are exact, and a bucket is never wider than 1/1024 of its values") {
  Histogram h;
  for (uint64_t v : {1u, 2u, 3u, 2047u}) CHECK(Histogram::highest_equivalent(v) == v);
  for (uint64_t v : {2048ull, 123456ull, 987654321ull, (1ull << 39) + 12345}) {
    const auto lo = Histogram::lowest_equivalent(v), hi = Histogram::highest_equivalent(v);
    CHECK(lo <= v);
    CHECK(v <= hi);
    CHECK(static_cast<double>(hi - lo + 1) <= static_cast<double>(lo) / 1024.0);
  }
}

TEST_CASE("nearest-rank percentiles on a known small set") {
  Histogram h;
  for (uint64_t v : {100u, 200u, 300u, 400u}) h.record(v);
  CHECK(h.value_at_percentile(25) == 100);
  CHECK(h.value_at_percentile(50) == 200);
  CHECK(h.value_at_percentile(51) == 300);
  CHECK(h.value_at_percentile(100) == 400);
}

TEST_CASE("p99.9 of 1000 samples is the 999th, not the max") {
  Histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.record(v);
  CHECK(h.value_at_percentile(99.9) == 999);
  CHECK(h.value_at_percentile(99) == 990);
}

TEST_CASE("values out of range are counted, never dropped") {
  Histogram h;
  h.record(1000);
  h.record(Histogram::kHighestTrackable + 1);
  h.record(UINT64_MAX / 4);
  CHECK(h.count() == 3);
  CHECK(h.out_of_range() == 2);
  CHECK(h.max() == UINT64_MAX / 4);
  CHECK(h.value_at_percentile(50) == UINT64_MAX / 4);  // the rank falls among them
  CHECK(h.value_at_percentile(10) == 1000);
}

TEST_CASE("empty histograms report zeros, merge adds counts") {
  Histogram a, b;
  CHECK(a.value_at_percentile(50) == 0);
  CHECK(a.mean() == 0);
  CHECK(a.min() == 0);
  for (uint64_t v = 1; v <= 10; ++v) a.record(v);
  for (uint64_t v = 11; v <= 20; ++v) b.record(v);
  a.merge(b);
  CHECK(a.count() == 20);
  CHECK(a.value_at_percentile(50) == 10);
  CHECK(a.max() == 20);
  a.reset();
  CHECK(a.count() == 0);
}
