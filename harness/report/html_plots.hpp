// The HTML report's plots (docs/html-report.md, "What the page shows"): each a Vega-Lite
// specification with its data inline, as plain JSON, for the page (report/html.hpp) and
// for compare's (gate/compare_html.cpp).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "report/result.hpp"

namespace hopcost {

// The plots of a report: [{"id", "title", "description", "spec"}], each spec a Vega-Lite
// specification with its data inline. A plot with nothing to show is left out.
nlohmann::ordered_json html_plots(const Report& report);
// The titles of every plot html_plots() can make, in page order (the browser test looks
// for the ones a report should have).
const std::vector<std::string>& html_plot_titles();

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

}  // namespace hopcost
