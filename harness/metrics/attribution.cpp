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

Attribution attribute(const std::vector<ResidenceSample>& client, const std::vector<NodeResidence>& nodes) {
  Attribution a;
  const size_t hops = nodes.size();
  // Residence column c: 0 the client, n + 1 node n. Known columns only are paired.
  std::vector<size_t> known{0};
  std::vector<std::unordered_map<uint64_t, uint64_t>> by_id(hops);
  for (size_t n = 0; n < hops; ++n) {
    if (nodes[n].unknown_reason) continue;
    known.push_back(n + 1);
    by_id[n].reserve(nodes[n].samples.size());
    for (const auto& s : nodes[n].samples) by_id[n][s.request_id] = s.ns;
  }
  // Segments between consecutive known columns: segment (c, d) is the sum of the shares
  // of hops c … d - 1 (and of the origin's own time when the last column is unknown).
  // One row per request found at every known node: its end-to-end latency, then each
  // segment's share, then the last known column's residence (the origin's own time, or
  // the joint tail when the origin is silent), in ns.
  const size_t segments = known.size() - 1;
  std::vector<std::vector<uint64_t>> rows;
  std::vector<uint64_t> r(known.size());
  for (const auto& c : client) {
    r[0] = c.ns;
    bool complete = true;
    for (size_t k = 1; k < known.size() && complete; ++k) {
      const auto it = by_id[known[k] - 1].find(c.request_id);
      complete = it != by_id[known[k] - 1].end();
      if (complete) r[k] = it->second;
    }
    if (!complete) continue;
    std::vector<uint64_t> row{c.ns};
    for (size_t k = 0; k < segments; ++k) {
      if (r[k] < r[k + 1]) ++a.negative;
      row.push_back(r[k] >= r[k + 1] ? r[k] - r[k + 1] : 0);
    }
    row.push_back(r[segments]);
    rows.push_back(std::move(row));
  }
  a.samples = rows.size();
  a.added_us.assign(hops, Percentiles{});
  a.added_own_us.assign(hops, Percentiles{});
  a.unknown_reason.assign(hops, std::nullopt);
  a.resolution_ns.assign(hops, 1);
  for (size_t hop = 0; hop < hops; ++hop)
    a.resolution_ns[hop] = std::max(hop > 0 ? nodes[hop - 1].resolution_ns : uint64_t{1}, nodes[hop].resolution_ns);
  // Which shares are unknown, and why: the silent nodes' own reasons.
  auto reason_of = [&](size_t from_column, size_t to_column) {
    std::string why;
    for (size_t c = from_column + 1; c < to_column; ++c)
      why += (why.empty() ? "" : "; ") + *nodes[c - 1].unknown_reason;
    return why;
  };
  const size_t last = known.back();  // the last known column
  for (size_t k = 0; k < segments; ++k) {
    if (known[k + 1] - known[k] == 1) continue;
    const std::string why = reason_of(known[k], known[k + 1]);
    for (size_t hop = known[k]; hop < known[k + 1]; ++hop) a.unknown_reason[hop] = why;
  }
  if (last < hops) {  // the origin (and maybe nodes before it) is silent
    const std::string why = reason_of(last, hops + 1);
    for (size_t hop = last; hop < hops; ++hop) a.unknown_reason[hop] = why;
    a.origin_unknown_reason = why;
  }
  if (rows.empty()) return a;

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
  auto own = [&](size_t column) {
    Histogram h;
    for (const auto& row : rows) h.record(row[column]);
    return summary(h);
  };
  for (size_t k = 0; k < segments; ++k) {
    const Percentiles share{band_mean(0.475, 0.525, k + 1), band_mean(0.985, 0.995, k + 1)};
    if (known[k + 1] - known[k] == 1) {
      a.added_us[known[k]] = share;
      a.added_own_us[known[k]] = own(k + 1);
    } else {
      a.joint.push_back(JointShare{known[k], known[k + 1] - 1, share});
    }
  }
  const Percentiles tail{band_mean(0.475, 0.525, segments + 1), band_mean(0.985, 0.995, segments + 1)};
  if (last == hops)
    a.origin_us = tail;
  else
    a.joint.push_back(JointShare{last, hops, tail});
  return a;
}

void write_residence_file(const std::string& path, const std::vector<ResidenceSample>& samples) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  // No samples: no fwrite, whose buffer may not be null (an empty vector's data() is).
  const bool ok =
      samples.empty() || std::fwrite(samples.data(), sizeof(ResidenceSample), samples.size(), f) == samples.size();
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
