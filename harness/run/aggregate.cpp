#include "run/aggregate.hpp"

#include <algorithm>
#include <numeric>

#include "metrics/statistics.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

// A headline figure of a result, by its JSON name.
double& figure(VariantResult& v, std::string_view name) {
  if (name == "throughput_rps") return v.throughput_rps;
  if (name == "latency_us.p50") return v.latency_us.p50;
  if (name == "latency_us.p99") return v.latency_us.p99;
  if (name == "cpu_us_per_request") return v.cpu_us_per_request;
  if (name == "handshake_cpu_us") return v.handshake_cpu_us;
  if (name == "handshakes_per_request") return v.handshakes_per_request;
  if (name == "tls_cpu_share") return v.tls_cpu_share;
  HOPCOST_CHECK(false && "a headline figure without an accessor");
}

}  // namespace

VariantResult aggregate(std::vector<VariantResult> runs) {
  HOPCOST_CHECK(!runs.empty());
  ErrorCounts errors, warmup_errors;
  uint64_t requests = 0, exhausted = 0;
  for (const auto& r : runs) {
    requests += r.requests;
    exhausted += r.exhausted;
    for (int k = 0; k < kErrorKinds; ++k) {
      errors.by_kind[k] += r.errors.by_kind[k];
      warmup_errors.by_kind[k] += r.warmup_errors.by_kind[k];
    }
  }
  const auto first_exhausted =
      std::find_if(runs.begin(), runs.end(), [](const VariantResult& r) { return r.first_exhausted.has_value(); });
  const auto failed = std::find_if(runs.begin(), runs.end(), [](const VariantResult& r) { return r.failure; });
  std::vector<size_t> order(runs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return runs[a].latency_us.p50 < runs[b].latency_us.p50; });
  VariantResult out = failed != runs.end() ? *failed : runs[order[(order.size() - 1) / 2]];
  out.requests = requests;
  out.errors = errors;
  out.warmup_errors = warmup_errors;
  out.exhausted = exhausted;
  if (first_exhausted != runs.end()) out.first_exhausted = first_exhausted->first_exhausted;
  out.repeats = static_cast<int>(runs.size());
  // Histograms: the merge of every repeat's (exact), not the median run's.
  auto merged = [&](std::optional<HistogramBuckets> VariantResult::*member) -> std::optional<HistogramBuckets> {
    std::optional<Histogram> sum;
    for (const auto& r : runs) {
      if (!(r.*member)) continue;
      const Histogram h = Histogram::from_buckets(*(r.*member));
      if (sum) sum->merge(h); else sum = h;
    }
    return sum ? std::optional<HistogramBuckets>(sum->buckets()) : std::nullopt;
  };
  if (runs.size() > 1) {
    out.latency_histogram = merged(&VariantResult::latency_histogram);
    out.uncorrected_latency_histogram = merged(&VariantResult::uncorrected_latency_histogram);
  }
  if (runs.size() > 1 && !out.failure) {
    for (const char* name : kHeadlineFigures) {
      std::vector<double> values;
      for (auto& r : runs) values.push_back(figure(r, name));
      figure(out, name) = median(values);
      if (const auto ci = mean_ci95(values)) out.ci95[name] = *ci;
      out.repeat_values[name] = std::move(values);
    }
  }
  return out;
}

}  // namespace hopcost
