// The Markdown report: the headline and one row per variant, for a merge request or a
// wiki page (`hopcost report REPORT.json --markdown FILE`, or `--format markdown`).
#include <fmt/format.h>

#include "report/reporter.hpp"

namespace hopcost {
namespace {

// Markdown table cells: '|' would split the cell, a newline the row.
std::string cell(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string render_markdown(const Report& r) {
  const auto& c = r.context;
  std::string out = fmt::format("# hopcost report: {}\n\n", r.scenario.name);
  out += fmt::format("- started {} on {} ({} cores), {}\n", c.started_at, c.cpu_model, c.cores, c.kernel);
  out += fmt::format("- hopcost {} ({}, {}, {}), {}\n", c.hopcost_version, c.git_revision, c.build_type, c.compiler, c.tls_library);
  for (const auto& [program, version] : c.programs) out += fmt::format("- {}: {}\n", program, version);
  if (!r.warnings.empty()) {
    out += "\n**Warnings**\n\n";
    for (const auto& w : r.warnings) out += "- " + w + "\n";
  }
  if (!r.marginal_tls_hop.empty()) {
    out += "\n## What one more TLS link costs\n\nLeast-squares slope over the number of TLS links, 95% interval.\n\n";
    out += "| group | p50 latency | p99 latency | CPU per request | handshake CPU per request |\n| --- | ---: | ---: | ---: | ---: |\n";
    for (const auto& m : r.marginal_tls_hop) {
      std::string group = marginal_group(m);
      if (m.confounded) group += " (TLS links grew only with hops)";
      out += fmt::format("| {} | {} | {} | {} | {} |\n", cell(group), marginal_figure_text(m.latency_us_p50, "µs"), marginal_figure_text(m.latency_us_p99, "µs"),
                         marginal_figure_text(m.cpu_us_per_request, "µs"), marginal_figure_text(m.handshake_cpu_us, "µs"));
    }
  }
  out += "\n## Variants\n\n| variant | req/s | p50 µs | p99 µs | p99.9 µs | hs/req | CPU µs/req | TLS CPU | errors |\n"
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& v : r.variants) {
    if (v.failure) {
      out += fmt::format("| {} | failed: {} | | | | | | | |\n", cell(v.label()), cell(*v.failure));
      continue;
    }
    out += fmt::format("| {} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.2f} | {:.0f} | {:.0f}% | {} |\n", cell(v.label()),
                       v.throughput_rps, v.latency_us.p50, v.latency_us.p99, v.latency_us.p999, v.handshakes_per_request,
                       v.cpu_us_per_request, 100 * v.tls_cpu_share, v.errors.total());
  }
  return out;
}

class MarkdownReporter final : public Reporter {
 public:
  std::string render(const Report& report) const override { return render_markdown(report); }
  std::string_view file_name() const override { return "report.md"; }
};

}  // namespace

std::unique_ptr<Reporter> make_markdown_reporter() { return std::make_unique<MarkdownReporter>(); }

}  // namespace hopcost
