// The HTML report's page: its static tables, the plots' specifications
// (report/html_plots.cpp) and the embedded Vega runtime that draws them, in one file.
#include "report/html.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "report/html_plots.hpp"
#include "report/reporter.hpp"
#include "report/vega_runtime.hpp"

namespace hopcost {
namespace {

using J = nlohmann::ordered_json;

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string escape(std::string_view s) { return html_escape(s); }

// JSON inside <script>: "</" would end the element early; "<\/" is the same JSON string.
std::string json_in_script(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') out += '\\';
  }
  return out;
}

// Code inside <script>: only "</script" ends it (HTML's script data state), and "<!--"
// changes how it is parsed. Both can appear only inside string or regex literals of the
// vendored code, where "<\/" and "<\!--" mean the same.
std::string code_in_script(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] != '<' || i + 1 >= s.size()) continue;
    if (s[i + 1] == '!' && s.substr(i + 1, 3) == "!--") out += '\\';
    if (s[i + 1] == '/' && s.size() - i >= 8) {
      std::string tag(s.substr(i + 2, 6));
      std::transform(tag.begin(), tag.end(), tag.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (tag == "script") out += '\\';
    }
  }
  return out;
}

std::string number(double v, int decimals = 0) { return fmt::format("{:.{}f}", v, decimals); }

std::string context_section(const Report& r) {
  const auto& c = r.context;
  std::vector<std::pair<std::string, std::string>> rows = {
      {"scenario", r.scenario.name},
      {"started (UTC)", c.started_at},
      {"hopcost", c.hopcost_version + " (" + c.git_revision + ", " + c.build_type + ", " + c.compiler + ")"},
      {"TLS library", c.tls_library},
      {"CPU", fmt::format("{} ({} cores{})", c.cpu_model, c.cores, c.cpu_governor.empty() ? "" : ", governor " + c.cpu_governor)},
      {"kernel", c.kernel},
      {"host", c.hostname},
  };
  for (const auto& [program, version] : c.programs) rows.emplace_back(program, version);
  if (r.floors)
    rows.emplace_back("floors", fmt::format("handshake TLS 1.2 {:.0f} µs, TLS 1.3 {:.0f} µs; loopback round trip TCP {:.1f} µs, "
                                            "Unix socket {:.1f} µs",
                                            r.floors->handshake_tls12_cpu_us, r.floors->handshake_tls13_cpu_us,
                                            r.floors->loopback_tcp_rtt_us, r.floors->loopback_uds_rtt_us));
  std::string out = "<section id=\"context\"><h2>Context</h2><table class=\"kv\">\n";
  for (const auto& [k, v] : rows) out += "<tr><th>" + escape(k) + "</th><td>" + escape(v) + "</td></tr>\n";
  out += "</table>\n";
  const auto& warnings = r.warnings;
  if (!warnings.empty()) {
    out += "<h3>Warnings</h3><ul class=\"warnings\">\n";
    for (const auto& w : warnings) out += "<li>" + escape(w) + "</li>\n";
    out += "</ul>\n";
  }
  return out + "</section>\n";
}

std::string headline_section(const Report& r) {
  if (r.marginal_tls_hop.empty()) return "";
  std::string out =
      "<section id=\"headline\"><h2>What one more TLS link costs</h2>\n<p>The least-squares slope over the variants' "
      "number of TLS links, per group of comparable variants, with its 95% interval.</p>\n<table>\n<tr><th>group</th><th>p50 "
      "latency</th><th>p99 latency</th><th>CPU per request</th><th>handshake CPU per request</th><th>points</th></tr>\n";
  for (const auto& m : r.marginal_tls_hop) {
    out += "<tr><td>" + escape(marginal_group(m)) + (m.confounded ? " (TLS links grew only with hops: includes a plain hop's cost)" : "") +
           "</td><td>" + escape(marginal_figure_text(m.latency_us_p50, "µs")) + "</td><td>" +
           escape(marginal_figure_text(m.latency_us_p99, "µs")) + "</td><td>" +
           escape(marginal_figure_text(m.cpu_us_per_request, "µs")) + "</td><td>" +
           escape(marginal_figure_text(m.handshake_cpu_us, "µs")) + "</td><td>" + std::to_string(m.points) +
           "</td></tr>\n";
  }
  return out + "</table></section>\n";
}

std::string variants_section(const Report& r) {
  std::string out =
      "<section id=\"variants\"><h2>Variants</h2>\n<table>\n<tr><th>variant</th><th>req/s</th><th>p50 µs</th><th>p99 "
      "µs</th><th>p99.9 µs</th><th>handshakes per request</th><th>CPU µs per request</th><th>TLS share of CPU</th><th>errors</th></tr>\n";
  for (const auto& v : r.variants) {
    if (v.failure) {
      out += "<tr class=\"failed\"><td>" + escape(v.label()) + "</td><td colspan=\"8\">failed: " + escape(*v.failure) + "</td></tr>\n";
      continue;
    }
    out += "<tr><td>" + escape(v.label()) + "</td><td>" + number(v.throughput_rps) + "</td><td>" + number(v.latency_us.p50) +
           "</td><td>" + number(v.latency_us.p99) + "</td><td>" + number(v.latency_us.p999) + "</td><td>" +
           number(v.handshakes_per_request, 2) + "</td><td>" + number(v.cpu_us_per_request) + "</td><td>" +
           number(100 * v.tls_cpu_share) + "%</td><td>" + std::to_string(v.errors.total()) + "</td></tr>\n";
  }
  return out + "</table></section>\n";
}

std::string gate_section(const std::vector<HtmlGateRow>& rows) {
  size_t failed = 0;
  for (const auto& g : rows) failed += g.passed ? 0 : 1;
  std::string out = fmt::format(
      "<section id=\"gate\"><h2>Gate</h2>\n<p>{} of {} checks passed.</p>\n<table>\n<tr><th>verdict</th><th>budget</th><th>variant</th>"
      "<th>measured</th><th>limit</th><th>how</th></tr>\n",
      rows.size() - failed, rows.size());
  for (const auto& g : rows)
    out += std::string("<tr class=\"") + (g.passed ? "pass" : "fail") + "\"><td>" + (g.passed ? "pass" : "FAIL") + "</td><td>" +
           escape(g.budget) + "</td><td>" + escape(g.variant) + "</td><td>" + escape(g.measured) + "</td><td>" + escape(g.limit) +
           "</td><td>" + escape(g.note) + "</td></tr>\n";
  return out + "</table></section>\n";
}

constexpr std::string_view kStyle = R"(body{font-family:sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}th,td{border:1px solid #ddd;padding:.2em .5em;text-align:left}
td{font-variant-numeric:tabular-nums}table.kv th{background:#f6f6f6}tr.failed td,tr.fail td{background:#fdecea}
ul.warnings li{color:#8a4b00}figure{margin:1.2em 0}figcaption{font-size:.85em;color:#555;max-width:760px}
#status{font-size:.8em;color:#777})";

// Compiles each Vega-Lite specification and renders it as SVG; marks the page done.
constexpr std::string_view kRenderScript = R"(
(function () {
  var plots = JSON.parse(document.getElementById('hopcost-plots').textContent);
  var status = document.getElementById('status');
  if (typeof vega === 'undefined' || typeof vegaLite === 'undefined') {
    document.body.dataset.rendered = 'error: the Vega runtime is not in this page';
    status.textContent = 'The plots cannot be drawn: the Vega runtime is not in this page.';
    return;
  }
  Promise.all(plots.map(function (p) {
    var compiled = vegaLite.compile(p.spec).spec;
    var view = new vega.View(vega.parse(compiled), {renderer: 'svg', container: '#plot-' + p.id, hover: true});
    return view.runAsync();
  })).then(function () {
    document.body.dataset.rendered = 'ok';
    window.hopcostRendered = true;
    status.textContent = '';
  }).catch(function (e) {
    document.body.dataset.rendered = 'error: ' + e;
    status.textContent = 'A plot failed to render: ' + e;
    console.error(e);
  });
})();
)";

}  // namespace

std::string html_page(std::string_view title, std::string_view generator, std::string_view body, const J& plots,
                      bool omit_runtime) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"generator\" content=\"" + escape(generator) + "\">\n";
  out += "<title>" + escape(title) + "</title>\n<style>\n" + std::string(kStyle) + "\n</style>\n</head>\n";
  out += "<body data-rendered=\"pending\">\n<h1>" + escape(title) + "</h1>\n";
  out += "<p id=\"status\">Drawing the plots…</p>\n";
  out += body;
  out += "<section id=\"plots\"><h2>Plots</h2>\n";
  for (const auto& p : plots) {
    const std::string id = p["id"].get<std::string>();
    out += "<figure data-plot-title=\"" + escape(p["title"].get<std::string>()) + "\"><div id=\"plot-" + id +
           "\"></div><figcaption>" + escape(p["description"].get<std::string>()) + "</figcaption></figure>\n";
  }
  out += "</section>\n";
  out += "<p class=\"footer\">Every figure is explained in hopcost's docs/report-format.md; the plots in docs/html-report.md. "
         "Plots drawn by " + escape(omit_runtime ? std::string("Vega") : std::string(vega_versions())) + ".</p>\n";
  out += "<script type=\"application/json\" id=\"hopcost-plots\">\n" + json_in_script(plots.dump()) + "\n</script>\n";
  if (omit_runtime) {
    out += "<!-- the Vega runtime (third_party/vega/) goes here -->\n";
  } else {
    out += "<script>\n" + code_in_script(vega_js()) + "\n</script>\n";
    out += "<script>\n" + code_in_script(vega_lite_js()) + "\n</script>\n";
  }
  out += "<script>" + std::string(kRenderScript) + "</script>\n</body>\n</html>\n";
  return out;
}

std::string render_html(const Report& r, const HtmlOptions& options) {
  std::string body = context_section(r);
  if (options.gate) body += gate_section(*options.gate);
  body += headline_section(r);
  body += variants_section(r);
  return html_page("hopcost report: " + r.scenario.name, "hopcost " + r.context.hopcost_version, body, html_plots(r),
                   options.omit_runtime);
}

namespace {
class HtmlReporter final : public Reporter {
 public:
  std::string render(const Report& report) const override { return render_html(report); }
  std::string_view file_name() const override { return "report.html"; }
};
}  // namespace

std::unique_ptr<Reporter> make_html_reporter() { return std::make_unique<HtmlReporter>(); }

}  // namespace hopcost
