// `hopcost compare --html FILE`: the comparison as a page of the HTML report's kind
// (report/html.hpp): the sources, the context differences, every figure's change with its
// verdict, and the two reports' latency spectra overlaid (A solid, B dashed).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "gate/compare.hpp"
#include "report/html.hpp"

namespace hopcost::gate {
namespace {

const VariantResult* find_variant(const Report& r, const VariantKey& key) {
  for (const auto& v : r.variants)
    if (static_cast<const VariantKey&>(v) == key) return &v;
  return nullptr;
}

std::string number(const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : "-"; }

}  // namespace

std::string render_compare_html(const Comparison& c, const Report& a, const Report& b) {
  std::string body = "<section id=\"sources\"><h2>Reports</h2><table class=\"kv\">\n";
  body += "<tr><th>A (before)</th><td>" + html_escape(c.name_a) + " (" + html_escape(a.context.started_at) + ")</td></tr>\n";
  body += "<tr><th>B (after)</th><td>" + html_escape(c.name_b) + " (" + html_escape(b.context.started_at) + ")</td></tr>\n";
  body += "</table>\n";
  if (!c.context_differences.empty()) {
    body += "<h3>Warnings</h3><ul class=\"warnings\">\n";
    for (const auto& w : c.context_differences) body += "<li>" + html_escape(w) + "</li>\n";
    body += "</ul>\n";
  }
  body += "</section>\n<section id=\"changes\"><h2>Changes</h2>\n<p>Change is B/A − 1; the interval is Welch's on the "
          "logarithms of the repeat values (docs/compare.md).</p>\n<table>\n<tr><th>variant</th><th>figure</th><th>A</th>"
          "<th>B</th><th>change</th><th>95% interval</th><th>verdict</th></tr>\n";
  for (const auto& p : c.pairs)
    for (const auto& f : p.changes) {
      const std::string cls = f.verdict == "worse" ? " class=\"fail\"" : "";
      body += "<tr" + cls + "><td>" + html_escape(p.key.label()) + "</td><td>" + html_escape(f.metric) + "</td><td>" +
              number(f.a) + "</td><td>" + number(f.b) + "</td><td>" +
              (f.change ? fmt::format("{:+.1f}%", 100 * *f.change) : "-") + "</td><td>" +
              (f.ci ? fmt::format("{:+.1f}% to {:+.1f}%", 100 * f.ci->low, 100 * f.ci->high) : "-") + "</td><td>" +
              html_escape(f.verdict) + "</td></tr>\n";
    }
  body += "</table>\n";
  if (!c.unmatched.empty()) {
    body += "<h3>Variants in one report only</h3><ul>\n";
    for (const auto& u : c.unmatched) body += "<li>only in " + u.only_in + ": " + html_escape(u.key.label()) + "</li>\n";
    body += "</ul>\n";
  }
  body += "</section>\n";

  std::vector<VariantKey> keys;
  for (const auto& p : c.pairs) keys.push_back(p.key);
  const auto names = plot_names(keys);
  std::vector<SpectrumLine> lines;
  for (size_t i = 0; i < c.pairs.size(); ++i) {
    const auto* va = find_variant(a, c.pairs[i].key);
    const auto* vb = find_variant(b, c.pairs[i].key);
    if (!va || !vb || va->failed() || vb->failed() || !va->latency_histogram || !vb->latency_histogram) continue;
    lines.push_back({names[i], "A (before)", &*va->latency_histogram});
    lines.push_back({names[i], "B (after)", &*vb->latency_histogram});
  }
  nlohmann::ordered_json plots = nlohmann::ordered_json::array();
  auto spectrum = latency_spectrum_plot(lines, "spectra", "Latency percentile spectra: A and B",
                                        "Each matched variant's latency at every percentile in report A (solid) and in "
                                        "report B (dashed), from their histograms (reports of schema 2 and later).",
                                        "report");
  if (!spectrum.is_null()) plots.push_back(std::move(spectrum));
  return html_page("hopcost compare", "hopcost compare", body, plots, false);
}

}  // namespace hopcost::gate
