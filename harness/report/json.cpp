// report.json: the canonical report. Keys are documented in docs/report-format.md; other
// tools read them, so a key is never renamed or dropped without a new schema_version.
#include <cmath>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "report/histogram_json.hpp"
#include "report/json.hpp"
#include "report/reporter.hpp"

namespace hopcost {
namespace {

using Json = nlohmann::ordered_json;

// Figures are kept to 3 decimals (ns on µs figures): finer digits are noise, and fixed
// rounding keeps reports comparable as text. A figure too large to scale (beyond about
// 1e305: none measured, but a report read back may carry one) has no decimals and stays
// as it is, rather than becoming infinity, which JSON writes as null.
double r3(double v) {
  const double scaled = v * 1000.0;
  return std::isfinite(scaled) ? std::round(scaled) / 1000.0 : v;
}

Json errors_json(const ErrorCounts& e) {
  Json j;
  for (int k = 0; k < kErrorKinds; ++k) j[std::string(kErrorKindNames[k])] = e.by_kind[k];
  j["total"] = e.total();
  return j;
}

Json optional_text(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

Json optional_number(const std::optional<double>& v) { return v ? Json(r3(*v)) : Json(nullptr); }

Json node_json(const NodeResult& n) {
  Json j;
  j["name"] = n.name;
  j["role"] = n.role;
  j["implementation"] = n.implementation;
  j["version"] = optional_text(n.version);
  j["handshakes"] = n.handshakes;
  j["handshake_cpu_us"] = r3(n.handshake_cpu_us);
  j["cpu_us"] = r3(n.cpu_us);
  j["cpu_us_per_request"] = r3(n.cpu_us_per_request);
  j["bytes_per_request"] = r3(n.bytes_per_request);
  j["cpu"] = n.cpu ? Json(*n.cpu) : Json(nullptr);
  j["instructions_per_request"] = optional_number(n.instructions_per_request);
  j["instructions_per_handshake"] = optional_number(n.instructions_per_handshake);
  j["errors"] = errors_json(n.errors);
  Json first = Json::object();
  for (const auto& [kind, text] : n.first_errors) first[kind] = text;
  j["first_errors"] = first;
  auto count = [](const std::optional<uint64_t>& c) { return c ? Json(*c) : Json(nullptr); };
  j["upstream_connections_opened"] = count(n.upstream_connections_opened);
  j["upstream_reuses"] = count(n.upstream_reuses);
  j["upstream_retries"] = count(n.upstream_retries);
  j["upstream_pool_peak"] = count(n.upstream_pool_peak);
  if (n.guard) {
    Json refused, timeouts;
    for (int i = 0; i < kRefusals; ++i) refused[std::to_string(kRefusalStatus[i])] = n.guard->refused[i];
    for (int i = 0; i < kTimeouts; ++i) timeouts[std::string(kTimeoutNames[i])] = n.guard->timeouts[i];
    j["http_errors"] = refused;
    j["timeouts"] = timeouts;
  } else {
    j["http_errors"] = nullptr;
    j["timeouts"] = nullptr;
  }
  if (n.helpers) {
    Json helpers = Json::array();
    for (const auto& h : *n.helpers) helpers.push_back(Json{{"process", h.process}, {"cpu_us_per_request", r3(h.cpu_us_per_request)}});
    j["helpers"] = helpers;
  } else {
    j["helpers"] = nullptr;
  }
  return j;
}

Json latency_json(const LatencySummary& l) {
  return Json{{"p50", r3(l.p50)}, {"p90", r3(l.p90)}, {"p99", r3(l.p99)},
              {"p999", r3(l.p999)}, {"max", r3(l.max)}, {"mean", r3(l.mean)}};
}

Json percentiles_json(const Percentiles& p) { return Json{{"p50", r3(p.p50)}, {"p99", r3(p.p99)}}; }

Json interval_json(const std::optional<Interval>& i) {
  return i ? Json{{"low", r3(i->low)}, {"high", r3(i->high)}} : Json(nullptr);
}

Json link_json(const LinkResult& l) {
  Json j;
  j["link"] = l.link;
  j["kind"] = l.kind;
  j["rtt_us"] = r3(l.rtt_us);
  j["tls_group"] = optional_text(l.tls_group);
  j["key_type"] = optional_text(l.key_type);
  j["mtls"] = l.mtls;
  // What a real program's end would have counted is unknown (null), not 0.
  const bool client_real = l.client_end != "hopcost", server_real = l.server_end != "hopcost";
  auto at = [](bool real, double v) { return real ? Json(nullptr) : Json(r3(v)); };
  j["handshake_errors"] = Json{{"client", client_real ? Json(nullptr) : Json(l.handshake_errors_client)},
                               {"server", server_real ? Json(nullptr) : Json(l.handshake_errors_server)}};
  j["handshake_error"] = optional_text(l.handshake_error);
  j["added_latency_us"] = l.unknown_reason ? Json(nullptr) : percentiles_json(l.added_latency_us);
  j["added_latency_own_us"] = l.unknown_reason ? Json(nullptr) : percentiles_json(l.added_latency_own_us);
  j["unknown_reason"] = optional_text(l.unknown_reason);
  j["added_latency_resolution_us"] = l.added_latency_resolution_us;
  if (l.added_latency_joint_us) {
    Json joint = percentiles_json(*l.added_latency_joint_us);
    joint["last_link"] = l.joint_last_link;
    joint["includes_origin"] = l.joint_includes_origin;
    j["added_latency_joint_us"] = joint;
  } else {
    j["added_latency_joint_us"] = nullptr;
  }
  // A real program's end keeps no counters: its handshake CPU is unknown.
  auto cpu = [&](double v, const std::string& end) { return end == "hopcost" ? Json(r3(v)) : Json(nullptr); };
  auto cpu_opt = [&](const std::optional<double>& v, const std::string& end) {
    return end == "hopcost" ? optional_number(v) : Json(nullptr);
  };
  j["client_end"] = l.client_end;
  j["server_end"] = l.server_end;
  j["uncounted_reason"] = optional_text(l.uncounted_reason);
  j["counted_at"] = optional_text(l.counted_at);
  j["handshake_cpu_us"] = Json{{"client", cpu(l.handshake_cpu_us_client, l.client_end)},
                               {"server", cpu(l.handshake_cpu_us_server, l.server_end)}};
  // Counts: none where the link is uncounted; bytes none where they came from a log.
  const bool uncounted = l.uncounted_reason.has_value();
  const bool no_bytes = uncounted || (l.counted_at && l.counted_at->find("log") != std::string::npos);
  j["handshake_bytes"] = at(no_bytes, l.handshake_bytes);
  j["resume"] = l.resume;
  j["handshakes_full"] = at(uncounted, l.handshakes_full);
  j["handshakes_resumed"] = at(uncounted, l.handshakes_resumed);
  j["handshake_bytes_full"] = optional_number(l.handshake_bytes_full);
  j["handshake_bytes_resumed"] = optional_number(l.handshake_bytes_resumed);
  j["handshake_cpu_us_full"] = Json{{"client", cpu_opt(l.handshake_cpu_us_full_client, l.client_end)},
                                    {"server", cpu_opt(l.handshake_cpu_us_full_server, l.server_end)}};
  j["handshake_cpu_us_resumed"] = Json{{"client", cpu_opt(l.handshake_cpu_us_resumed_client, l.client_end)},
                                       {"server", cpu_opt(l.handshake_cpu_us_resumed_server, l.server_end)}};
  j["sessions_offered"] = at(client_real, l.sessions_offered);
  j["early_data_accepted"] = at(client_real, l.early_data_accepted);
  j["early_data_rejected"] = at(client_real, l.early_data_rejected);
  j["bytes_per_request"] = at(no_bytes, l.bytes_per_request);
  j["overhead_bytes_per_request"] = at(no_bytes, l.overhead_bytes_per_request);
  j["added_latency_vs_floor"] = optional_number(l.added_latency_vs_floor);
  return j;
}

Json marginal_json(const Marginal& m) {
  Json j;
  j["placement"] = m.placement;
  j["tls"] = m.tls;
  j["conn"] = m.conn;
  j["upstream"] = optional_text(m.upstream);
  j["rtt_us"] = optional_number(m.rtt_us);
  j["tls_setup"] = m.tls_setup;
  auto figure = [](const MarginalFigure& f) { return Json{{"value", r3(f.value)}, {"ci95", interval_json(f.ci95)}}; };
  j["latency_us_p50"] = figure(m.latency_us_p50);
  j["latency_us_p99"] = figure(m.latency_us_p99);
  j["cpu_us_per_request"] = figure(m.cpu_us_per_request);
  j["handshake_cpu_us"] = figure(m.handshake_cpu_us);
  j["points"] = m.points;
  j["hops_held_equal"] = m.hops_held_equal;
  j["confounded_with_hops"] = m.confounded;
  j["rate"] = optional_number(m.rate);
  return j;
}

Json variant_json(const VariantResult& v) {
  Json j;
  write_key(j, v);
  j["links"] = v.links;
  j["tls_version"] = optional_text(v.tls_version);
  j["tls_cipher"] = optional_text(v.tls_cipher);
  j["tls_group"] = optional_text(v.tls_group);
  j["cpu_policy"] = v.cpu_policy;
  j["connections"] = v.connections;
  j["requests"] = v.requests;
  j["errors"] = errors_json(v.errors);
  j["warmup_errors"] = errors_json(v.warmup_errors);
  j["warmup_extended_s"] = r3(v.warmup_extended_s);
  j["connections_established"] = v.connections_established ? Json(*v.connections_established) : Json(nullptr);
  j["exhausted"] = v.exhausted;
  j["first_exhausted"] = optional_text(v.first_exhausted);
  j["measured_s"] = r3(v.measured_s);
  j["throughput_rps"] = r3(v.throughput_rps);
  j["requested_rps"] = optional_number(v.requested_rps);
  j["latency_us"] = latency_json(v.latency_us);
  j["network_floor_us"] = optional_number(v.network_floor_us);
  j["latency_vs_network_floor"] = optional_number(v.latency_vs_network_floor);
  j["uncorrected_latency_us"] = v.uncorrected_latency_us ? latency_json(*v.uncorrected_latency_us) : Json(nullptr);
  j["latency_out_of_range"] = v.latency_out_of_range;
  j["latency_histogram"] = v.latency_histogram ? histogram_to_json(*v.latency_histogram) : Json(nullptr);
  j["uncorrected_latency_histogram"] =
      v.uncorrected_latency_histogram ? histogram_to_json(*v.uncorrected_latency_histogram) : Json(nullptr);
  j["db_connections_per_request"] = optional_number(v.db_connections_per_request);
  if (const auto& d = v.db_figures)
    j["db_figures"] = Json{{"rows", d->rows},
                           {"row_bytes", d->row_bytes},
                           {"queries_per_request", r3(d->queries_per_request)},
                           {"app_connections_per_request", r3(d->app_connections_per_request)},
                           {"server_connections_per_request", r3(d->server_connections_per_request)},
                           {"connect_us", optional_number(d->connect_us)},
                           {"authentication_us", optional_number(d->authentication_us)},
                           {"query_us", r3(d->query_us)}};
  else
    j["db_figures"] = nullptr;
  j["handshakes_per_request"] = r3(v.handshakes_per_request);
  // With a real program at a TLS link's end, its handshake CPU is inside its node's CPU,
  // not timed: the chain's figure would cover hopcost's ends only. Unknown.
  const bool any_real = std::any_of(v.nodes.begin(), v.nodes.end(), [](const NodeResult& n) { return n.implementation != "hopcost"; });
  j["handshake_cpu_us"] = any_real ? Json(nullptr) : Json(r3(v.handshake_cpu_us));
  j["handshakes_per_second"] = r3(v.handshakes_per_second);
  j["handshakes_resumed_share"] = r3(v.handshakes_resumed_share);
  const auto& c = v.certificates;
  j["certificates"] = Json{{"server", c.server}, {"client", c.client}, {"ca", c.ca}, {"intermediate", c.intermediate},
                           {"total", c.total}};
  j["handshake_cpu_vs_floor"] = optional_number(v.handshake_cpu_vs_floor);
  j["cpu_us_per_request"] = r3(v.cpu_us_per_request);
  j["tls_cpu_share"] = r3(v.tls_cpu_share);
  j["instructions_per_request"] = optional_number(v.instructions_per_request);
  j["handshake_instructions"] = optional_number(v.handshake_instructions);
  Json hops = Json::array();
  for (const auto& l : v.per_hop) hops.push_back(link_json(l));
  j["per_hop"] = hops;
  j["origin_us"] = v.origin_unknown_reason ? Json(nullptr) : percentiles_json(v.origin_us);
  j["origin_unknown_reason"] = optional_text(v.origin_unknown_reason);
  j["attribution_samples"] = v.attribution_samples;
  j["attribution_negative"] = v.attribution_negative;
  j["repeats"] = v.repeats;
  Json values = Json::object(), ci = Json::object();
  for (const auto& [name, list] : v.repeat_values) {
    Json a = Json::array();
    for (double x : list) a.push_back(r3(x));
    values[name] = a;
  }
  for (const auto& [name, interval] : v.ci95) ci[name] = interval_json(interval);
  j["repeat_values"] = values;
  j["ci95"] = ci;
  Json nodes = Json::array();
  for (const auto& n : v.nodes) nodes.push_back(node_json(n));
  j["nodes"] = nodes;
  j["failed"] = v.failed();
  j["failure"] = optional_text(v.failure);
  return j;
}

std::string render_json(const Report& r) {
  Json j;
  j["schema_version"] = r.schema_version;
  j["context"] = context_to_json(r.context);
  // A report read back from a file (report/reader.hpp) keeps its configuration as written.
  j["context"]["configuration"] = r.configuration ? Json::parse(*r.configuration) : scenario_to_json(r.scenario);
  j["floors"] = nullptr;
  if (r.floors) {
    const FloorFigures& f = *r.floors;
    Json spread = Json::object();
    for (const auto& [name, value] : f.spread) spread[name] = r3(value);
    j["floors"] = Json{{"handshake_tls12_cpu_us", r3(f.handshake_tls12_cpu_us)},
                       {"handshake_tls13_cpu_us", r3(f.handshake_tls13_cpu_us)},
                       {"loopback_tcp_rtt_us", r3(f.loopback_tcp_rtt_us)},
                       {"loopback_uds_rtt_us", r3(f.loopback_uds_rtt_us)},
                       {"loopback_tcp_rtt_cross_cpu_us", optional_number(f.loopback_tcp_rtt_cross_cpu_us)},
                       {"loopback_uds_rtt_cross_cpu_us", optional_number(f.loopback_uds_rtt_cross_cpu_us)},
                       {"spread", spread},
                       {"handshake_cpu_us_by_setup", f.handshake_cpu_us_by_setup},
                       {"rounds", f.rounds},
                       {"pinned_cpu", f.pinned_cpu ? Json(*f.pinned_cpu) : Json(nullptr)}};
  }
  Json marginal = Json::array();
  for (const auto& m : r.marginal_tls_hop) marginal.push_back(marginal_json(m));
  j["marginal_tls_hop"] = marginal;
  j["warnings"] = r.warnings;
  Json variants = Json::array();
  for (const auto& v : r.variants) variants.push_back(variant_json(v));
  j["variants"] = variants;
  return compact_bucket_arrays(j.dump(2)) + "\n";
}

class JsonReporter final : public Reporter {
 public:
  std::string render(const Report& r) const override { return render_json(r); }
  std::string_view file_name() const override { return "report.json"; }
};

}  // namespace

nlohmann::ordered_json context_to_json(const Context& c) {
  return Json{{"hopcost_version", c.hopcost_version},
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
              {"programs", c.programs}};
}

nlohmann::ordered_json variant_to_json(const VariantResult& v) { return variant_json(v); }

std::string report_to_json_text(const Report& r) { return render_json(r); }

std::unique_ptr<Reporter> make_json_reporter() { return std::make_unique<JsonReporter>(); }

}  // namespace hopcost
