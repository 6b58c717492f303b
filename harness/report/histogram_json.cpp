#include "report/histogram_json.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace hopcost {
namespace {

// A gap of at most this many empty buckets is written as zeros inside a run: "0," is
// shorter than closing the run and opening another with its value.
constexpr uint64_t kMaxZerosInRun = 4;

// The highest value of the bucket after the one whose highest value is `v`.
uint64_t next_bucket(uint64_t v) { return v + Histogram::bucket_width(v + 1); }

// A whole number from 0 up. get<uint64_t>() alone would convert a fraction or a negative
// number, and a number beyond uint64_t's range (1e30) is undefined behaviour.
uint64_t whole(const nlohmann::json& j, std::string_view what) {
  if (!j.is_number_unsigned())
    throw std::invalid_argument("a histogram's " + std::string(what) + " is not a whole number from 0");
  return j.get<uint64_t>();
}

}  // namespace

nlohmann::ordered_json histogram_to_json(const HistogramBuckets& h) {
  using Json = nlohmann::ordered_json;
  Json runs = Json::array();
  Json run;
  uint64_t last = 0;  // the highest value of the run's last bucket
  for (const auto& [value, count] : h.buckets) {
    if (!run.empty()) {
      uint64_t zeros = 0, v = next_bucket(last);
      while (v < value && zeros <= kMaxZerosInRun) {
        v = next_bucket(v);
        ++zeros;
      }
      if (v == value && zeros <= kMaxZerosInRun) {
        for (uint64_t z = 0; z < zeros; ++z) run.push_back(0);
        run.push_back(count);
        last = value;
        continue;
      }
      runs.push_back(std::move(run));
      run = Json();
    }
    run = Json::array({value, count});
    last = value;
  }
  if (!run.empty()) runs.push_back(std::move(run));
  return Json{{"unit", "ns"},        {"significant_digits", 3}, {"count", h.count}, {"out_of_range", h.out_of_range},
              {"min", h.min},        {"max", h.max},            {"sum", h.sum},     {"buckets", runs}};
}

HistogramBuckets histogram_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("a histogram is not an object");
  if (j.at("unit").get<std::string>() != "ns") throw std::invalid_argument("a histogram's unit is not ns");
  if (whole(j.at("significant_digits"), "significant_digits") != 3)
    throw std::invalid_argument("a histogram's significant_digits is not 3");
  HistogramBuckets h;
  h.count = whole(j.at("count"), "count");
  h.out_of_range = whole(j.at("out_of_range"), "out_of_range");
  h.min = whole(j.at("min"), "min");
  h.max = whole(j.at("max"), "max");
  h.sum = whole(j.at("sum"), "sum");
  for (const auto& run : j.at("buckets")) {
    if (!run.is_array() || run.size() < 2) throw std::invalid_argument("a histogram's run is not [value, count, ...]");
    uint64_t v = whole(run[0], "bucket value");
    for (size_t i = 1; i < run.size(); ++i) {
      if (i > 1) {
        if (v >= Histogram::kHighestTrackable) throw std::invalid_argument("a histogram's run goes past its highest bucket");
        v = next_bucket(v);
      }
      const auto count = whole(run[i], "bucket count");
      if (count) h.buckets.emplace_back(v, count);
    }
  }
  // Checks what the buckets cannot be (from_buckets throws), and keeps nothing else.
  (void)Histogram::from_buckets(h);
  return h;
}

std::string compact_bucket_arrays(std::string text) {
  static constexpr std::string_view kKey = "\"buckets\": [";
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (true) {
    const size_t found = text.find(kKey, at);
    if (found == std::string::npos) break;
    const size_t open = found + kKey.size();
    out.append(text, at, open - at);
    // Numbers, brackets and commas only: every whitespace inside goes.
    int depth = 1;
    size_t i = open;
    for (; i < text.size() && depth > 0; ++i) {
      const char c = text[i];
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if (c != ' ' && c != '\n') out.push_back(c);
    }
    at = i;
  }
  out.append(text, at, std::string::npos);
  return out;
}

}  // namespace hopcost
