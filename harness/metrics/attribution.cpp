#include "metrics/attribution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "metrics/histogram.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {
Percentiles summary(const Histogram& h) {
  return {static_cast<double>(h.value_at_percentile(50)) / 1000.0, static_cast<double>(h.value_at_percentile(99)) / 1000.0};
}
}  // namespace

Attribution attribute(const std::vector<ResidenceSample>& client, const std::vector<std::vector<ResidenceSample>>& nodes) {
  Attribution a;
  const size_t hops = nodes.size();
  std::vector<std::unordered_map<uint64_t, uint64_t>> by_id(hops);
  for (size_t n = 0; n < hops; ++n) {
    by_id[n].reserve(nodes[n].size());
    for (const auto& s : nodes[n]) by_id[n][s.request_id] = s.ns;
  }
  // One row per request found at every node: its end-to-end latency, then its shares
  // (hop 0 … hop N-1, then the origin), in ns.
  std::vector<std::vector<uint64_t>> rows;
  std::vector<uint64_t> r(hops + 1);
  for (const auto& c : client) {
    r[0] = c.ns;
    bool complete = true;
    for (size_t n = 0; n < hops && complete; ++n) {
      const auto it = by_id[n].find(c.request_id);
      complete = it != by_id[n].end();
      if (complete) r[n + 1] = it->second;
    }
    if (!complete) continue;
    std::vector<uint64_t> row{c.ns};
    for (size_t hop = 0; hop < hops; ++hop) {
      if (r[hop] < r[hop + 1]) ++a.negative;
      row.push_back(r[hop] >= r[hop + 1] ? r[hop] - r[hop + 1] : 0);
    }
    row.push_back(r[hops]);
    rows.push_back(std::move(row));
  }
  a.samples = rows.size();
  a.added_us.assign(hops, Percentiles{});
  a.added_own_us.assign(hops, Percentiles{});
  if (rows.empty()) return a;

  // Each hop's own distribution.
  for (size_t hop = 0; hop < hops; ++hop) {
    Histogram h;
    for (const auto& row : rows) h.record(row[hop + 1]);
    a.added_own_us[hop] = summary(h);
  }
  // The shares of the requests at the p50 and at the p99 of the end-to-end latency.
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x[0] < y[0]; });
  const double n = static_cast<double>(rows.size());
  auto band_mean = [&](double from, double to, size_t column) {
    size_t lo = static_cast<size_t>(std::floor(from * n));
    size_t hi = std::max(lo + 1, static_cast<size_t>(std::ceil(to * n)));
    lo = std::min(lo, rows.size() - 1);
    hi = std::min(hi, rows.size());
    double sum = 0;
    for (size_t i = lo; i < hi; ++i) sum += static_cast<double>(rows[i][column]);
    return sum / static_cast<double>(hi - lo) / 1000.0;
  };
  for (size_t hop = 0; hop < hops; ++hop)
    a.added_us[hop] = {band_mean(0.475, 0.525, hop + 1), band_mean(0.985, 0.995, hop + 1)};
  a.origin_us = {band_mean(0.475, 0.525, hops + 1), band_mean(0.985, 0.995, hops + 1)};
  return a;
}

void write_residence_file(const std::string& path, const std::vector<ResidenceSample>& samples) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  const bool ok = std::fwrite(samples.data(), sizeof(ResidenceSample), samples.size(), f) == samples.size();
  if (std::fclose(f) != 0 || !ok) throw RunError(fmt::format("cannot write {}", path));
}

std::vector<ResidenceSample> read_residence_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw RunError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::vector<ResidenceSample> out;
  ResidenceSample buf[4096];
  size_t n;
  while ((n = std::fread(buf, sizeof(ResidenceSample), std::size(buf), f)) > 0) out.insert(out.end(), buf, buf + n);
  std::fclose(f);
  return out;
}

}  // namespace hopcost
