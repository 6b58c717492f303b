#include "cli/compare_command.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "gate/compare.hpp"
#include "report/reader.hpp"
#include "report/reporter.hpp"
#include "util/errors.hpp"
#include "util/output_file.hpp"

namespace hopcost {

void register_compare_command(CLI::App& parent, CompareCommand& c) {
  c.app = parent.add_subcommand(
      "compare", "Compare two reports variant by variant: each headline figure's change, better, worse or within noise");
  c.app->add_option("a", c.a, "The report before: report.json, or the results directory holding it")
      ->required()
      ->type_name("A.json");
  c.app->add_option("b", c.b, "The report after, compared with A")->required()->type_name("B.json");
  c.app->add_option("--markdown", c.markdown, "Also write the comparison as Markdown, for a merge-request comment")
      ->type_name("FILE");
  c.app->add_option("--html", c.html, "Also write the comparison as an HTML page, with both reports' latency spectra")
      ->type_name("FILE");
  c.app->add_flag("--json", c.json,
                  "Print the comparison as one JSON object (pairs[], unmatched, context_differences; docs/compare.md) "
                  "instead of the table");
  c.app->footer(
      "Verdicts need repeats (hopcost run --repeat K, K >= 2) in both reports; otherwise a change is 'within noise "
      "(too few repeats to tell)'.\nExit codes: 0 (also when a figure got worse: compare is not a gate), 2 bad input "
      "(a missing or unreadable file, not a hopcost report, an unknown schema_version).");
}

int execute_compare_command(const CompareCommand& c) {
  check_output_file("--markdown", c.markdown);
  check_output_file("--html", c.html);
  const Report a = load_report_file(c.a, "A");
  const Report b = load_report_file(c.b, "B");
  const gate::Comparison comparison = gate::compare_reports(a, b, report_file_path(c.a), report_file_path(c.b));
  // Everything is rendered before anything is written.
  const std::string markdown = c.markdown.empty() ? "" : gate::render_compare_markdown(comparison);
  const std::string html = c.html.empty() ? "" : gate::render_compare_html(comparison, a, b);
  write_output_file("--markdown", c.markdown, markdown);
  write_output_file("--html", c.html, html);
  if (c.json)
    fmt::print("{}\n", gate::compare_to_json(comparison).dump(2));
  else
    fmt::print("{}", gate::render_compare_table(comparison));
  std::fflush(stdout);
  for (const auto& w : comparison.context_differences) fmt::print(stderr, "compare: warning: {}\n", w);
  return kExitOk;
}

}  // namespace hopcost
