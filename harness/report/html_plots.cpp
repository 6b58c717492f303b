// The HTML report's plots: Vega-Lite specifications with their data inline, one function
// a plot. Every figure comes from the Report, as report.json carries it; nothing is
// computed that it lacks, but the spectra's points, which are the histogram's percentiles.
#include "report/html_plots.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "report/reporter.hpp"

namespace hopcost {
namespace {

using J = nlohmann::ordered_json;

double round_to(double v, double step) { return std::round(v / step) * step; }

// Names variants by the parts of their labels that differ across the report.
class Namer {
 public:
  template <typename Keys>
  explicit Namer(const Keys& variants) {
    std::map<std::string, std::set<std::string>> seen;
    std::map<std::string, size_t> present;
    for (const auto& v : variants)
      for (const auto& [dim, text] : v.parts()) {
        seen[dim].insert(text);
        ++present[dim];
      }
    for (const auto& [dim, texts] : seen)
      if (texts.size() > 1 || present[dim] != variants.size()) varying_.insert(dim);
  }
  // Without `leave_out` (the dimension a plot's x axis sweeps).
  std::string name(const VariantKey& v, std::string_view leave_out = {}) const {
    std::string out;
    for (const auto& [dim, text] : v.parts())
      if (varying_.count(dim) && dim != leave_out) out += (out.empty() ? "" : " ") + text;
    return out.empty() ? (leave_out.empty() ? v.label() : "all variants") : out;
  }

 private:
  std::set<std::string> varying_;
};

std::vector<const VariantResult*> measured(const Report& r) {
  std::vector<const VariantResult*> out;
  for (const auto& v : r.variants)
    if (!v.failed()) out.push_back(&v);
  return out;
}

J plot(std::string_view id, std::string_view title, std::string_view description, J spec) {
  spec["title"] = title;
  spec["config"] = {{"font", "sans-serif"}, {"legend", {{"labelLimit", 420}, {"orient", "bottom"}, {"columns", 1}}},
                    {"axisY", {{"labelLimit", 360}}}};
  return J{{"id", id}, {"title", title}, {"description", description}, {"spec", std::move(spec)}};
}

J y_variant() {
  return {{"field", "variant"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}};
}

// A horizontal bar per variant, split by `part` (stacked in `order`).
J stacked_bars(J values, std::string_view x_title, std::string_view legend_title) {
  return {{"data", {{"values", std::move(values)}}},
          {"width", 560},
          {"height", {{"step", 18}}},
          {"mark", {{"type", "bar"}, {"tooltip", true}}},
          {"encoding",
           {{"y", y_variant()},
            {"x", {{"field", "value"}, {"type", "quantitative"}, {"stack", "zero"}, {"title", x_title}}},
            {"color", {{"field", "part"}, {"type", "nominal"}, {"sort", nullptr}, {"title", legend_title}}},
            {"order", {{"field", "order"}, {"type", "quantitative"}}}}}};
}

// Points with their 95% intervals as rules, one panel per `panel` value.
J points_with_intervals(J values, std::string_view y_field, std::string_view x_title) {
  J y = {{"field", y_field}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}};
  return {{"data", {{"values", std::move(values)}}},
          {"facet", {{"column", {{"field", "panel"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}}}}},
          {"spec",
           {{"width", 260},
            {"height", {{"step", 18}}},
            {"layer",
             J::array({J{{"mark", {{"type", "rule"}}},
                         {"encoding",
                          {{"y", y},
                           {"x", {{"field", "low"}, {"type", "quantitative"}, {"title", x_title}}},
                           {"x2", {{"field", "high"}}}}}},
                       J{{"mark", {{"type", "point"}, {"filled", true}, {"tooltip", true}}},
                         {"encoding", {{"y", y}, {"x", {{"field", "value"}, {"type", "quantitative"}}}}}}})}}},
          {"resolve", {{"scale", {{"x", "independent"}}}}}};
}

J interval_row(std::string label_field, std::string label, std::string panel, double value,
               const std::optional<Interval>& ci) {
  return {{label_field, std::move(label)}, {"panel", std::move(panel)}, {"value", value},
          {"low", ci ? ci->low : value},    {"high", ci ? ci->high : value}};
}

std::optional<Interval> ci_of(const VariantResult& v, const std::string& figure) {
  const auto it = v.ci95.find(figure);
  return it == v.ci95.end() ? std::nullopt : std::optional<Interval>(it->second);
}


J headline_plot(const Report& r) {
  J rows = J::array();
  for (const auto& m : r.marginal_tls_hop) {
    const std::string g = marginal_group(m);
    rows.push_back(interval_row("group", g, "p50 latency (µs)", m.latency_us_p50.value, m.latency_us_p50.ci95));
    rows.push_back(interval_row("group", g, "p99 latency (µs)", m.latency_us_p99.value, m.latency_us_p99.ci95));
    rows.push_back(interval_row("group", g, "CPU per request (µs)", m.cpu_us_per_request.value, m.cpu_us_per_request.ci95));
  }
  if (rows.empty()) return nullptr;
  return plot("headline", "What one more TLS link costs",
              "The least-squares slope of each figure over the variants' number of TLS links, per group of variants "
              "that differ only in it; the line is its 95% interval.",
              points_with_intervals(std::move(rows), "group", "added by one TLS link"));
}

J latency_plot(const Report& r, const Namer& n) {
  J rows = J::array();
  for (const auto* v : measured(r)) {
    rows.push_back(interval_row("variant", n.name(*v), "p50 (µs)", v->latency_us.p50, ci_of(*v, "latency_us.p50")));
    rows.push_back(interval_row("variant", n.name(*v), "p99 (µs)", v->latency_us.p99, ci_of(*v, "latency_us.p99")));
  }
  if (rows.empty()) return nullptr;
  return plot("latency", "Latency per variant: p50 and p99",
              "Request latency at the client, start of the request to the last byte of its response. With repeats, "
              "the point is the median and the line the 95% interval of the mean.",
              points_with_intervals(std::move(rows), "variant", "latency (µs)"));
}

J cpu_by_node_plot(const Report& r, const Namer& n) {
  J rows = J::array();
  for (const auto* v : measured(r))
    for (size_t i = 0; i < v->nodes.size(); ++i) {
      const auto& node = v->nodes[i];
      const std::string part = node.implementation == "hopcost" ? node.name : node.name + " (" + node.implementation + ")";
      rows.push_back({{"variant", n.name(*v)}, {"part", part}, {"order", i}, {"value", round_to(node.cpu_us_per_request, 0.01)}});
    }
  if (rows.empty()) return nullptr;
  return plot("cpu-by-node", "CPU per request, by node",
              "CPU time every node of the chain spent per request, client included (a real program's: all its "
              "processes and threads).",
              stacked_bars(std::move(rows), "CPU per request (µs)", "node"));
}

J cpu_tls_plot(const Report& r, const Namer& n) {
  J rows = J::array();
  for (const auto* v : measured(r)) {
    const double tls = v->tls_cpu_share * v->cpu_us_per_request;
    rows.push_back({{"variant", n.name(*v)}, {"part", "TLS: handshakes and record encryption"}, {"order", 0}, {"value", round_to(tls, 0.01)}});
    rows.push_back({{"variant", n.name(*v)}, {"part", "everything else"}, {"order", 1},
                    {"value", round_to(v->cpu_us_per_request - tls, 0.01)}});
  }
  if (rows.empty()) return nullptr;
  return plot("cpu-tls", "CPU per request: TLS and the rest",
              "All nodes' CPU per request, split into the part spent in TLS (handshakes and the record layer, at "
              "hopcost's own link ends) and everything else.",
              stacked_bars(std::move(rows), "CPU per request (µs)", "spent on"));
}

// Points of the percentile spectrum: 20 a decade of 1/(1-p), up to the sample count.
J spectrum_points(const HistogramBuckets& b, const std::string& variant, const std::string& dash, double& max_x) {
  J rows = J::array();
  const Histogram h = Histogram::from_buckets(b);
  if (h.count() == 0) return rows;
  const double n = static_cast<double>(h.count());
  for (int k = 0;; ++k) {
    const double x = std::pow(10.0, k / 20.0);
    if (x > n) break;
    const double p = 1.0 - 1.0 / x;
    const uint64_t ns = k == 0 ? h.min() : h.value_at_percentile(100.0 * p);
    rows.push_back({{"variant", variant}, {"dash", dash}, {"x", round_to(x, 0.001)}, {"percentile", round_to(100 * p, 0.0001)},
                    {"latency_us", round_to(static_cast<double>(ns) / 1000.0, 0.1)}});
    max_x = std::max(max_x, x);
  }
  rows.push_back({{"variant", variant}, {"dash", dash}, {"x", round_to(n, 0.001)}, {"percentile", round_to(100 * (1 - 1 / n), 0.0001)},
                  {"latency_us", round_to(static_cast<double>(h.max()) / 1000.0, 0.1)}});
  max_x = std::max(max_x, n);
  return rows;
}

J spectrum_plot(const Report& r, const Namer& n) {
  std::vector<SpectrumLine> lines;
  for (const auto* v : measured(r)) {
    if (!v->latency_histogram) continue;
    const bool open = v->uncorrected_latency_histogram.has_value();
    lines.push_back({n.name(*v), open ? "intended send" : "", &*v->latency_histogram});
    if (open) lines.push_back({n.name(*v), "actual send (uncorrected)", &*v->uncorrected_latency_histogram});
  }
  return latency_spectrum_plot(lines, "spectrum", "Latency percentile spectrum",
                               "Each variant's latency at every percentile, from its histogram: the further right, the "
                               "rarer the request. In the open loop, latency counts from when the request should have "
                               "been sent (solid), and from when it was (dashed).",
                               "latency measured from the request's");
}

std::string link_name(const VariantResult& v, const LinkResult& l) {
  const size_t i = static_cast<size_t>(l.link);
  // Without the link's kind: the variant's name says it, and the legend stays one entry a link.
  if (i + 1 < v.nodes.size()) return fmt::format("link {}: {} → {}", l.link, v.nodes[i].name, v.nodes[i + 1].name);
  return fmt::format("link {}", l.link);
}

J hop_share_plot(const Report& r, const Namer& n) {
  J rows = J::array();
  for (const auto* v : measured(r)) {
    if (v->per_hop.empty() || v->attribution_samples == 0) continue;
    for (const bool p99 : {false, true}) {
      const std::string request = p99 ? "the p99 request" : "the p50 request";
      int order = 0;
      bool origin_inside = false;
      for (const auto& l : v->per_hop) {
        double value = 0;
        std::string part = link_name(*v, l);
        if (l.added_latency_joint_us) {
          value = p99 ? l.added_latency_joint_us->p99 : l.added_latency_joint_us->p50;
          part = fmt::format("links {} to {}{} together (split unknown)", l.link, l.joint_last_link,
                             l.joint_includes_origin ? " and the origin" : "");
          origin_inside = origin_inside || l.joint_includes_origin;
        } else if (l.unknown_reason) {
          continue;
        } else {
          value = p99 ? l.added_latency_us.p99 : l.added_latency_us.p50;
        }
        rows.push_back({{"variant", n.name(*v)}, {"request", request}, {"part", part}, {"order", order++}, {"value", round_to(value, 0.1)}});
      }
      if (!v->origin_unknown_reason && !origin_inside)
        rows.push_back({{"variant", n.name(*v)}, {"request", request}, {"part", "the origin's own time"}, {"order", order},
                        {"value", round_to(p99 ? v->origin_us.p99 : v->origin_us.p50, 0.1)}});
    }
  }
  if (rows.empty()) return nullptr;
  J spec = stacked_bars(std::move(rows), "time (µs)", "where the time went");
  spec["encoding"]["row"] = {{"field", "request"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}};
  spec["resolve"] = {{"scale", {{"x", "independent"}}}};
  return plot("hop-shares", "Each hop's share of the p50 and p99 request",
              "What each link added to the request, its relay's work included, then the origin's own time; the "
              "parts add up to the request's latency. Links next to a node that gives no residence times are shown "
              "together.",
              std::move(spec));
}

J handshake_floor_plot(const Report& r, const Namer& n) {
  J rows = J::array();
  for (const auto* v : measured(r)) {
    if (!v->has_tls_links() || !v->handshake_cpu_vs_floor || *v->handshake_cpu_vs_floor <= 0 || v->handshake_cpu_us <= 0)
      continue;
    // A real program's handshakes are not timed: report.json has no chain-wide figure then.
    if (std::any_of(v->nodes.begin(), v->nodes.end(), [](const NodeResult& n) { return n.implementation != "hopcost"; }))
      continue;
    rows.push_back({{"variant", n.name(*v)}, {"part", "measured in the chain"}, {"value", round_to(v->handshake_cpu_us, 0.1)}});
    rows.push_back({{"variant", n.name(*v)}, {"part", "floor: the same handshake in memory"},
                    {"value", round_to(v->handshake_cpu_us / *v->handshake_cpu_vs_floor, 0.1)}});
  }
  if (rows.empty()) return nullptr;
  return plot("handshake-floor", "Handshake CPU against its floor",
              "CPU of one link's TLS handshake, client and server side together, against the same handshake "
              "between two in-memory ends on this machine (hopcost floor).",
              J{{"data", {{"values", std::move(rows)}}},
                {"width", 560},
                {"height", {{"step", 12}}},
                {"mark", {{"type", "bar"}, {"tooltip", true}}},
                {"encoding",
                 {{"y", y_variant()},
                  {"yOffset", {{"field", "part"}, {"sort", nullptr}}},
                  {"x", {{"field", "value"}, {"type", "quantitative"}, {"title", "CPU per handshake (µs)"}}},
                  {"color", {{"field", "part"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}}}}}});
}

struct Sweep {
  std::string dim, axis_title, id_suffix, what;
  double (*value)(const VariantResult&);
};

const Sweep kSweeps[] = {
    {"rate", "offered rate (requests/s)", "rate", "the offered rate",
     [](const VariantResult& v) { return v.rate.value_or(0); }},
    {"rtt", "emulated round-trip time per link (µs)", "rtt", "the round-trip time",
     [](const VariantResult& v) { return v.chain_rtt_us; }},
    {"hops", "hops (links in the chain)", "hops", "the number of hops",
     [](const VariantResult& v) { return static_cast<double>(v.hops); }},
};

void sweep_plots(const Report& r, const Namer& n, J& plots) {
  for (const auto& s : kSweeps) {
    // Only where some group of variants has the dimension at two values or more: a line
    // of one point says nothing.
    std::map<std::string, std::set<double>> points;
    for (const auto* v : measured(r))
      if (s.dim != "rate" || v->rate) points[n.name(*v, s.dim)].insert(s.value(*v));
    if (std::none_of(points.begin(), points.end(), [](const auto& p) { return p.second.size() >= 2; })) continue;
    J latency = J::array(), cpu = J::array();
    for (const auto* v : measured(r)) {
      if (s.dim == "rate" && !v->rate) continue;
      const double x = s.value(*v);
      const bool short_of_rate = v->rate && v->throughput_rps < kRateShortfall * *v->rate;
      const std::string throughput = short_of_rate ? "fell short of the offered rate" : "kept up with the offered rate";
      for (const bool p99 : {false, true})
        latency.push_back({{"series", n.name(*v, s.dim)}, {"x", x}, {"percentile", p99 ? "p99" : "p50"},
                           {"value", round_to(p99 ? v->latency_us.p99 : v->latency_us.p50, 0.1)},
                           {"achieved_rps", round_to(v->throughput_rps, 0.1)}, {"throughput", throughput}});
      cpu.push_back({{"series", n.name(*v, s.dim)}, {"x", x}, {"value", round_to(v->cpu_us_per_request, 0.01)}});
    }
    const J x = {{"field", "x"}, {"type", "quantitative"}, {"title", s.axis_title}};
    const J color = {{"field", "series"}, {"type", "nominal"}, {"sort", nullptr}, {"title", "variants"},
                     {"scale", {{"scheme", "tableau20"}}}};
    J layers = J::array({J{{"mark", {{"type", "line"}, {"point", true}, {"tooltip", true}}},
                           {"encoding",
                            {{"x", x},
                             {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", "latency (µs)"}}},
                             {"color", color},
                             {"strokeDash", {{"field", "percentile"}, {"type", "nominal"}, {"title", "percentile"}}}}}}});
    if (s.dim == "rate")
      layers.push_back({{"mark", {{"type", "point"}, {"size", 140}, {"strokeWidth", 2}, {"color", "#d62728"}}},
                        {"transform", J::array({J{{"filter", "datum.throughput == 'fell short of the offered rate'"}}})},
                        {"encoding",
                         {{"x", x},
                          {"y", {{"field", "value"}, {"type", "quantitative"}}},
                          {"shape", {{"field", "throughput"}, {"type", "nominal"}, {"scale", {{"range", J::array({"cross"})}}},
                                     {"title", "achieved throughput"}}}}}});
    plots.push_back(plot("latency-vs-" + s.id_suffix, "Latency against " + s.what,
                         "p50 (solid) and p99 (dashed) latency of each group of variants as " + s.what + " changes" +
                             (s.dim == "rate" ? "; a red cross marks a point where the chain did not keep up with the "
                                                "offered rate (achieved throughput below 95% of it)."
                                              : "."),
                         J{{"data", {{"values", std::move(latency)}}}, {"width", 560}, {"height", 300}, {"layer", std::move(layers)}}));
    plots.push_back(plot("cpu-vs-" + s.id_suffix, "CPU per request against " + s.what,
                         "All nodes' CPU per request, client included, as " + s.what + " changes.",
                         J{{"data", {{"values", std::move(cpu)}}},
                           {"width", 560},
                           {"height", 300},
                           {"mark", {{"type", "line"}, {"point", true}, {"tooltip", true}}},
                           {"encoding",
                            {{"x", x},
                             {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", "CPU per request (µs)"}}},
                             {"color", color}}}}));
  }
}

}  // namespace

nlohmann::ordered_json latency_spectrum_plot(const std::vector<SpectrumLine>& lines, std::string_view id, std::string_view title,
                                             std::string_view description, std::string_view dash_title) {
  J rows = J::array();
  double max_x = 1;
  bool dashed = false;
  for (const auto& line : lines) {
    dashed = dashed || !line.dash.empty();
    for (auto& row : spectrum_points(*line.histogram, line.name, line.dash, max_x)) rows.push_back(std::move(row));
  }
  if (rows.empty()) return nullptr;
  J ticks = J::array();
  for (const double t : {1.0, 2.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0, 1000000.0})
    if (t <= max_x) ticks.push_back(t);
  J encoding = {
      {"x",
       {{"field", "x"},
        {"type", "quantitative"},
        {"scale", {{"type", "log"}}},
        {"axis", {{"values", ticks}, {"labelExpr", "datum.value <= 1 ? '0%' : format(100 - 100 / datum.value, '.6~r') + '%'"}}},
        {"title", "percentile (log scale: 90%, 99%, 99.9% … equally spaced)"}}},
      {"y", {{"field", "latency_us"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "latency (µs, log scale)"}}},
      {"color", {{"field", "variant"}, {"type", "nominal"}, {"sort", nullptr}, {"title", "variant"},
                 {"scale", {{"scheme", "tableau20"}}}}},
      {"tooltip", J::array({J{{"field", "variant"}}, J{{"field", "percentile"}, {"title", "percentile (%)"}},
                            J{{"field", "latency_us"}, {"title", "latency (µs)"}}})}};
  if (dashed) encoding["strokeDash"] = {{"field", "dash"}, {"type", "nominal"}, {"sort", nullptr}, {"title", dash_title}};
  return plot(id, title, description,
              J{{"data", {{"values", std::move(rows)}}},
                {"width", 640},
                {"height", 360},
                {"mark", {{"type", "line"}, {"interpolate", "step-after"}}},
                {"encoding", std::move(encoding)}});
}

std::vector<std::string> plot_names(const std::vector<VariantKey>& keys) {
  const Namer n(keys);
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(n.name(k));
  return out;
}

const std::vector<std::string>& html_plot_titles() {
  static const std::vector<std::string> titles = [] {
    std::vector<std::string> t = {"What one more TLS link costs",
                                  "Latency per variant: p50 and p99",
                                  "Latency percentile spectrum",
                                  "Each hop's share of the p50 and p99 request",
                                  "CPU per request, by node",
                                  "CPU per request: TLS and the rest",
                                  "Handshake CPU against its floor"};
    for (const auto& s : kSweeps) {
      t.push_back("Latency against " + s.what);
      t.push_back("CPU per request against " + s.what);
    }
    return t;
  }();
  return titles;
}

nlohmann::ordered_json html_plots(const Report& r) {
  const Namer names(r.variants);
  J plots = J::array();
  auto add = [&](J p) {
    if (!p.is_null()) plots.push_back(std::move(p));
  };
  add(headline_plot(r));
  add(latency_plot(r, names));
  add(spectrum_plot(r, names));
  add(hop_share_plot(r, names));
  add(cpu_by_node_plot(r, names));
  add(cpu_tls_plot(r, names));
  add(handshake_floor_plot(r, names));
  sweep_plots(r, names, plots);
  return plots;
}

}  // namespace hopcost
