#include "cli/gate_command.hpp"

#include <CLI/CLI.hpp>
#include <optional>

#include "gate/gate.hpp"
#include "report/reader.hpp"

namespace hopcost {

void register_gate_command(CLI::App& parent, GateCommand& c) {
  c.app = parent.add_subcommand(
      "gate", "Check a report against latency budgets; exit code 1 when one fails");
  c.app
      ->add_option("report", c.report,
                   "The report to check: report.json, or the results directory holding it")
      ->required()
      ->type_name("REPORT.json");
  c.app->add_option("--budgets", c.budgets, "Budgets file: [[budget]] tables (docs/gate.md)")
      ->required()
      ->type_name("FILE");
  c.app
      ->add_option("--baseline", c.baseline,
                   "Report to compare with, for relative budgets such as 'latency_us.p50 <= +10%' "
                   "(a report.json "
                   "or its results directory)")
      ->type_name("BASE.json");
  c.app
      ->add_option("--junit", c.junit, "Also write the checks as JUnit XML, one testcase per check")
      ->type_name("FILE");
  c.app
      ->add_option("--markdown", c.markdown,
                   "Also write the checks as a Markdown table, for a merge-request comment")
      ->type_name("FILE");
  c.app->footer(
      "Exit codes: 0 every check passed, 1 a check failed, 2 bad input (a missing or malformed "
      "file, an unknown "
      "metric, a selector matching no variant, a baseline without a selected variant).");
}

int execute_gate_command(const GateCommand& c) {
  const GateOutputs outputs{c.junit, c.markdown, true};
  const std::optional<std::string> baseline =
      c.baseline.empty() ? std::nullopt : std::optional(c.baseline);
  const GateInputs inputs = load_gate_inputs(c.budgets, baseline, outputs);
  const Report report = load_report_file(c.report, "report");
  return gate_report(report, report_file_path(c.report), inputs, outputs);
}

}  // namespace hopcost
