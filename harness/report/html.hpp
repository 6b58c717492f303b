// The HTML report (docs/html-report.md): one self-contained page, offline from file://,
// with the context, the warnings, the headline, the variants and their plots. The plots
// are Vega-Lite specifications with their data inline, rendered in the page by the Vega
// runtime that is embedded in it (third_party/vega/, report/vega_runtime.hpp).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "report/result.hpp"

namespace hopcost {

// A gate verdict as the page shows it (the run was gated: `hopcost run --gate`).
struct HtmlGateRow {
  std::string budget, variant, measured, limit, note;
  bool passed = true;
};

struct HtmlOptions {
  std::optional<std::vector<HtmlGateRow>> gate{};
  // Leave the Vega runtime out (a placeholder comment instead): for the golden file,
  // which pins everything the page says but not the vendored library's bytes.
  bool omit_runtime = false;
};

// The plots of a report: [{"id", "title", "description", "spec"}], each spec a Vega-Lite
// specification with its data inline. A plot with nothing to show is left out.
nlohmann::ordered_json html_plots(const Report& report);
// The titles of every plot html_plots() can make, in page order (the browser test looks
// for the ones a report should have).
const std::vector<std::string>& html_plot_titles();

std::string render_html(const Report& report, const HtmlOptions& options = {});

// One line of a latency spectrum: its name in the legend, its dash ("" solid; lines with
// the same non-empty text share a dash, named in the legend under `dash_title`), and the
// histogram (not owned).
struct SpectrumLine {
  std::string name, dash;
  const HistogramBuckets* histogram = nullptr;
};
// The percentile spectrum of `lines` on one chart, as html_plots() makes it (x: 1/(1-p)
// on a log axis, ticks at 50%, 90%, 99% …); null when no line has a sample.
nlohmann::ordered_json latency_spectrum_plot(const std::vector<SpectrumLine>& lines, std::string_view id,
                                             std::string_view title, std::string_view description,
                                             std::string_view dash_title);

// Names for variants in a plot's legend: the parts of their labels that differ among
// `keys` (VariantKey::parts), or the whole label when none does.
std::vector<std::string> plot_names(const std::vector<VariantKey>& keys);

std::string html_escape(std::string_view s);

// A page as render_html() makes it: `body` is static HTML after the <h1>, then the plots
// (the html_plots() form), each in a <figure data-plot-title=…>, then the runtime.
std::string html_page(std::string_view title, std::string_view generator, std::string_view body,
                      const nlohmann::ordered_json& plots, bool omit_runtime);

}  // namespace hopcost
