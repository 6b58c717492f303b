// The HTML report (docs/html-report.md): one self-contained page, offline from file://,
// with the context, the warnings, the headline, the variants and their plots. The plots
// (report/html_plots.hpp) are Vega-Lite specifications with their data inline, rendered
// in the page by the Vega runtime that is embedded in it (third_party/vega/,
// report/vega_runtime.hpp).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "report/html_plots.hpp"
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

std::string render_html(const Report& report, const HtmlOptions& options = {});

// Text for HTML: & < > " escaped.
std::string html_escape(std::string_view s);

// A page as render_html() makes it: `body` is static HTML after the <h1>, then the plots
// (the html_plots() form), each in a <figure data-plot-title=…>, then the runtime.
std::string html_page(std::string_view title, std::string_view generator, std::string_view body,
                      const nlohmann::ordered_json& plots, bool omit_runtime);

}  // namespace hopcost
