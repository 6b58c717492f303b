// report.json: the canonical report. Keys are documented in docs/report-format.md; other
// tools read them, so a key is never renamed or dropped without a new schema_version.
#include <cmath>
#include <nlohmann/json.hpp>

#include "report/reporter.hpp"

namespace hopcost {
namespace {

using Json = nlohmann::ordered_json;

// Figures are kept to 3 decimals (ns on µs figures): finer digits are noise, and fixed
// rounding keeps reports comparable as text.
double r3(double v) { return std::round(v * 1000.0) / 1000.0; }

Json errors_json(const ErrorCounts& e) {
  Json j;
  for (int k = 0; k < kErrorKinds; ++k) j[std::string(kErrorKindNames[k])] = e.by_kind[k];
  j["total"] = e.total();
  return j;
}

Json optional_text(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

Json node_json(const NodeResult& n) {
  Json j;
  j["name"] = n.name;
  j["role"] = n.role;
  j["handshakes"] = n.handshakes;
  j["handshake_cpu_us"] = r3(n.handshake_cpu_us);
  j["cpu_us"] = r3(n.cpu_us);
  j["cpu_us_per_request"] = r3(n.cpu_us_per_request);
  j["bytes_read"] = n.bytes_read;
  j["bytes_written"] = n.bytes_written;
  j["errors"] = errors_json(n.errors);
  Json first = Json::object();
  for (const auto& [kind, text] : n.first_errors) first[kind] = text;
  j["first_errors"] = first;
  return j;
}

Json variant_json(const VariantResult& v) {
  Json j;
  j["topology"] = v.topology;
  j["links"] = v.links;
  j["hops"] = v.hops;
  j["tls"] = v.tls;
  j["tls_version"] = optional_text(v.tls_version);
  j["tls_cipher"] = optional_text(v.tls_cipher);
  j["tls_group"] = optional_text(v.tls_group);
  j["conn"] = v.conn;
  j["placement"] = v.placement;
  j["connections"] = v.connections;
  j["requests"] = v.requests;
  j["errors"] = errors_json(v.errors);
  j["measured_s"] = r3(v.measured_s);
  j["throughput_rps"] = r3(v.throughput_rps);
  const auto& l = v.latency_us;
  j["latency_us"] = Json{{"p50", r3(l.p50)}, {"p90", r3(l.p90)}, {"p99", r3(l.p99)},
                         {"p999", r3(l.p999)}, {"max", r3(l.max)}, {"mean", r3(l.mean)}};
  j["latency_out_of_range"] = v.latency_out_of_range;
  j["handshakes_per_request"] = r3(v.handshakes_per_request);
  j["handshake_cpu_us"] = r3(v.handshake_cpu_us);
  j["cpu_us_per_request"] = r3(v.cpu_us_per_request);
  Json nodes = Json::array();
  for (const auto& n : v.nodes) nodes.push_back(node_json(n));
  j["nodes"] = nodes;
  j["failure"] = optional_text(v.failure);
  return j;
}

class JsonReporter final : public Reporter {
 public:
  std::string render(const Report& r) const override {
    Json j;
    j["schema_version"] = r.schema_version;
    const auto& c = r.context;
    j["context"] = Json{{"hopcost_version", c.hopcost_version},
                        {"git_revision", c.git_revision},
                        {"build_type", c.build_type},
                        {"compiler", c.compiler},
                        {"tls_library", c.tls_library},
                        {"cpu_model", c.cpu_model},
                        {"cores", c.cores},
                        {"cpu_governor", c.cpu_governor.empty() ? Json(nullptr) : Json(c.cpu_governor)},
                        {"kernel", c.kernel},
                        {"hostname", c.hostname},
                        {"started_at", c.started_at},
                        {"configuration", scenario_to_json(r.scenario)}};
    j["warnings"] = r.warnings;
    Json variants = Json::array();
    for (const auto& v : r.variants) variants.push_back(variant_json(v));
    j["variants"] = variants;
    return j.dump(2) + "\n";
  }
  std::string_view file_name() const override { return "report.json"; }
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter() { return std::make_unique<JsonReporter>(); }

}  // namespace hopcost
