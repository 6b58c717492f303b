// report.csv: one row per variant, the variant-level numbers of report.json under the
// same names (nested keys joined with '_'). Per-node and per-hop figures, repeats and
// intervals are in report.json only.
#include <fmt/format.h>

#include <cmath>

#include "report/reporter.hpp"

namespace hopcost {
namespace {

std::string quoted(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string num(double v) { return fmt::format("{}", std::round(v * 1000.0) / 1000.0); }

class CsvReporter final : public Reporter {
 public:
  std::string render(const Report& r) const override {
    std::string out =
        "topology,links,hops,tls,tls_version,tls_cipher,tls_group,conn,placement,upstream,rtt_us,cpu_policy,connections,"
        "repeats,requests";
    for (auto name : kErrorKindNames) out += fmt::format(",errors_{}", name);
    out +=
        ",errors_total,measured_s,throughput_rps,requested_rps,latency_us_p50,latency_us_p90,latency_us_p99,"
        "latency_us_p999,latency_us_max,latency_us_mean,latency_out_of_range,handshakes_per_request,handshake_cpu_us,"
        "cpu_us_per_request,tls_cpu_share,origin_us_p50,origin_us_p99,network_floor_us,latency_vs_network_floor,failed,"
        "failure\n";
    for (const auto& v : r.variants) {
      std::string links;
      for (const auto& l : v.links) links += (links.empty() ? "" : ",") + l;
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", quoted(v.topology), quoted(links), v.hops, v.tls,
                         v.tls_version.value_or(""), v.tls_cipher.value_or(""), v.tls_group.value_or(""), v.conn,
                         v.placement, quoted(v.upstream.value_or("")), v.rtt_us ? num(*v.rtt_us) : "",
                         quoted(v.cpu_policy), v.connections, v.repeats, v.requests);
      for (auto count : v.errors.by_kind) out += fmt::format(",{}", count);
      const auto& l = v.latency_us;
      out += fmt::format(",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", v.errors.total(), num(v.measured_s),
                         num(v.throughput_rps), v.requested_rps ? num(*v.requested_rps) : "", num(l.p50), num(l.p90),
                         num(l.p99), num(l.p999), num(l.max), num(l.mean), v.latency_out_of_range,
                         num(v.handshakes_per_request), num(v.handshake_cpu_us), num(v.cpu_us_per_request),
                         num(v.tls_cpu_share), v.origin_unknown_reason ? "" : num(v.origin_us.p50), v.origin_unknown_reason ? "" : num(v.origin_us.p99),
                         v.network_floor_us ? num(*v.network_floor_us) : "",
                         v.latency_vs_network_floor ? num(*v.latency_vs_network_floor) : "", v.failed() ? "true" : "false",
                         quoted(v.failure.value_or("")));
    }
    return out;
  }
  std::string_view file_name() const override { return "report.csv"; }
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter() { return std::make_unique<CsvReporter>(); }

}  // namespace hopcost
