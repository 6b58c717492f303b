#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <random>
#include <stdexcept>

#include "report/histogram_json.hpp"

using namespace hopcost;

namespace {

constexpr double kPercentiles[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

// A latency-like spread: most values near 100 µs, a long tail to tens of ms, a few
// below 2048 ns (buckets of width 1).
void fill(Histogram& h, uint32_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> body(std::log(100'000.0), 0.3);
  std::exponential_distribution<double> tail(1.0 / 5'000'000.0);
  for (int i = 0; i < n; ++i) {
    const int kind = static_cast<int>(rng() % 100);
    h.record(kind < 2 ? rng() % 2048 : kind < 97 ? static_cast<uint64_t>(body(rng)) : static_cast<uint64_t>(tail(rng)));
  }
}

Histogram round_trip(const Histogram& h) {
  // Through the text report.json carries, not only the JSON value.
  const std::string text = compact_bucket_arrays(histogram_to_json(h.buckets()).dump(2));
  return Histogram::from_buckets(histogram_from_json(nlohmann::json::parse(text)));
}

void check_same(const Histogram& a, const Histogram& b) {
  CHECK(a.count() == b.count());
  CHECK(a.out_of_range() == b.out_of_range());
  CHECK(a.min() == b.min());
  CHECK(a.max() == b.max());
  CHECK(a.mean() == b.mean());
  for (double p : kPercentiles) {
    INFO("percentile " << p);
    CHECK(a.value_at_percentile(p) == b.value_at_percentile(p));
  }
  CHECK(a.buckets() == b.buckets());
}

}  // namespace

TEST_CASE("a histogram encoded as buckets and decoded gives the same percentiles") {
  Histogram h;
  fill(h, 1, 20000);
  h.record(Histogram::kHighestTrackable + 7);  // out of range: counted, in no bucket
  check_same(h, round_trip(h));
  // Runs of consecutive buckets keep it small: far fewer runs than buckets.
  const auto j = histogram_to_json(h.buckets());
  CHECK(j["buckets"].size() * 4 < h.buckets().buckets.size());
  CHECK(j["count"] == 20001);
  CHECK(j["out_of_range"] == 1);
}

TEST_CASE("the merge of two decoded histograms is the histogram of both sample sets") {
  Histogram a, b, both;
  fill(a, 2, 5000);
  fill(b, 3, 7000);
  fill(both, 2, 5000);
  fill(both, 3, 7000);
  Histogram merged = round_trip(a);
  merged.merge(round_trip(b));
  check_same(merged, both);
}

TEST_CASE("an empty histogram round-trips, and edge buckets are exact") {
  Histogram empty;
  check_same(empty, round_trip(empty));
  CHECK(histogram_to_json(empty.buckets())["buckets"].empty());
  Histogram edges;
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{2047}, uint64_t{2048}, uint64_t{2049}, uint64_t{4096},
                     Histogram::kHighestTrackable})
    edges.record(v);
  check_same(edges, round_trip(edges));
}

TEST_CASE("report.json writes each bucket array on one line") {
  Histogram h;
  fill(h, 4, 1000);
  nlohmann::ordered_json doc{{"variants", {{{"latency_histogram", histogram_to_json(h.buckets())}}}}};
  const std::string text = compact_bucket_arrays(doc.dump(2));
  CHECK(nlohmann::ordered_json::parse(text) == doc);
  const auto at = text.find("\"buckets\": [");
  REQUIRE(at != std::string::npos);
  CHECK(text.find('\n', at) > text.find("]]", at));
}

TEST_CASE("buckets that no histogram has are refused") {
  Histogram h;
  h.record(5000);
  h.record(9000);
  auto j = nlohmann::json::parse(histogram_to_json(h.buckets()).dump());
  SECTION("a value that is not a bucket's highest") {
    j["buckets"][0][0] = 5000;  // 5000 is in the bucket [5000, 5001]: its highest is 5001
    CHECK_THROWS_AS(histogram_from_json(j), std::invalid_argument);
  }
  SECTION("counts that do not add up") {
    j["count"] = 3;
    CHECK_THROWS_AS(histogram_from_json(j), std::invalid_argument);
  }
  SECTION("another unit") {
    j["unit"] = "us";
    CHECK_THROWS_AS(histogram_from_json(j), std::invalid_argument);
  }
  SECTION("a missing field") {
    j.erase("sum");
    CHECK_THROWS_AS(histogram_from_json(j), nlohmann::json::exception);
  }
  // Not converted (a number beyond range would be undefined behaviour): refused. Found by
  // the report fuzz target.
  SECTION("a count, bucket or significant_digits that is not a whole number from 0") {
    for (const char* bad : {"1e89", "-1", "2.5"}) {
      for (const auto& where : {"/count"_json_pointer, "/sum"_json_pointer, "/significant_digits"_json_pointer,
                                "/buckets/0/0"_json_pointer, "/buckets/0/1"_json_pointer}) {
        auto b = j;
        b[where] = nlohmann::json::parse(bad);
        CHECK_THROWS_WITH(histogram_from_json(b), Catch::Contains("is not a whole number from 0"));
      }
    }
  }
}
