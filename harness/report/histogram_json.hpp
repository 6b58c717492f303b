// A latency histogram in report.json (docs/report-format.md, "Histograms"): its non-empty
// buckets as runs of consecutive buckets, exact, so that percentiles can be recomputed and
// histograms merged (across repeats, across reports) without the raw samples.
//
//   {"unit": "ns", "significant_digits": 3, "count": 1200, "out_of_range": 0,
//    "min": 81234, "max": 912383, "sum": 130212345,
//    "buckets": [[81247, 2, 0, 1, 5], [90111, 1], ...]}
//
// Each run is [the highest value of its first bucket, then one count per bucket]: the
// next bucket's highest value is the previous one's plus the width of the next bucket
// (Histogram::bucket_width: 1 below 2048 ns, then 2^(bit_length(v) - 11)). Counts inside
// a run may be 0 (a short gap costs less than a new run).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "metrics/histogram.hpp"

namespace hopcost {

nlohmann::ordered_json histogram_to_json(const HistogramBuckets& h);
// Throws std::invalid_argument (naming what is wrong) or nlohmann::json::exception (a
// missing or mistyped field).
HistogramBuckets histogram_from_json(const nlohmann::json& j);

// report.json is indented, one value a line; a histogram's runs would then take one line
// per bucket. This puts each "buckets" array of `text` (JSON as dump(2) writes it) on
// one line.
std::string compact_bucket_arrays(std::string text);

}  // namespace hopcost
