#include "cli/compare_command.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "gate/compare.hpp"
#include "report/reader.hpp"
#include "report/reporter.hpp"
#include "util/errors.hpp"

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
  c.app->footer(
      "Verdicts need repeats (hopcost run --repeat K, K >= 2) in both reports; otherwise a change is 'within noise "
      "(too few repeats to tell)'.\nExit codes: 0 (also when a figure got worse: compare is not a gate), 2 bad input "
      "(a missing or unreadable file, not a hopcost report, an unknown schema_version).");
}

int execute_compare_command(const CompareCommand& c) {
  namespace fs = std::filesystem;
  if (!c.markdown.empty()) {
    std::error_code ec;
    if (fs::is_directory(c.markdown, ec))
      throw ConfigError(fmt::format("--markdown: cannot write '{}': it is a directory", c.markdown));
    const fs::path parent = fs::path(c.markdown).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
      throw ConfigError(fmt::format("--markdown: cannot write '{}': no directory '{}'", c.markdown, parent.string()));
  }
  const Report a = load_report_file(c.a, "A");
  const Report b = load_report_file(c.b, "B");
  const gate::Comparison comparison = gate::compare_reports(a, b, report_file_path(c.a), report_file_path(c.b));
  if (!c.markdown.empty()) {
    try {
      write_file_atomically(c.markdown, gate::render_compare_markdown(comparison));
    } catch (const RunError& e) {
      throw ConfigError(fmt::format("--markdown: {}", e.what()));
    }
  }
  fmt::print("{}", gate::render_compare_table(comparison));
  std::fflush(stdout);
  for (const auto& w : comparison.context_differences) fmt::print(stderr, "compare: warning: {}\n", w);
  return kExitOk;
}

}  // namespace hopcost
