#include "gate/gate_report.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "gate/gate.hpp"
#include "report/reader.hpp"
#include "report/reporter.hpp"
#include "util/errors.hpp"
#include "util/output_file.hpp"

namespace hopcost {
namespace {

}  // namespace

GateInputs load_gate_inputs(const std::string& budgets_path,
                            const std::optional<std::string>& baseline_path,
                            const GateOutputs& outputs) {
  check_output_file("--junit", outputs.junit);
  check_output_file("--markdown", outputs.markdown);
  GateInputs in;
  in.budgets = gate::load_budgets(budgets_path);
  if (baseline_path) {
    in.baseline_file = report_file_path(*baseline_path);
    in.baseline = std::make_shared<const Report>(load_report_file(*baseline_path, "baseline"));
    return in;
  }
  for (const auto& b : in.budgets.budgets)
    if (b.kind == gate::LimitKind::relative)
      throw ConfigError(fmt::format(
          "{}:{}: key 'check': '{}' is relative to a baseline report; give one with --baseline",
          in.budgets.path, b.check_line, b.check));
  return in;
}

GateResult evaluate_gate(const Report& report, const std::string& report_name, const GateInputs& in) {
  GateResult result;
  result.checks = gate::evaluate(in.budgets, report, report_name, in.baseline.get(), in.baseline_file.value_or(""));
  result.sources = gate::GateSources{in.budgets.path, report_name, in.baseline_file, {}};
  if (in.baseline) result.sources.warnings = gate::comparability_warnings(report, *in.baseline);
  return result;
}

std::vector<HtmlGateRow> html_gate_rows(const GateResult& result) {
  std::vector<HtmlGateRow> rows;
  for (const auto& c : result.checks)
    rows.push_back({c.budget, c.variant, c.measured_text, c.limit, c.note, c.passed()});
  return rows;
}

int gate_report(const Report& report, const std::string& report_name, const GateInputs& in,
                const GateOutputs& outputs) {
  return finish_gate(evaluate_gate(report, report_name, in), outputs);
}

int finish_gate(const GateResult& result, const GateOutputs& outputs) {
  const auto& checks = result.checks;
  const auto& sources = result.sources;
  // Both outputs are rendered before either is written.
  const std::string junit = outputs.junit.empty() ? "" : gate::render_junit(checks, sources);
  const std::string markdown =
      outputs.markdown.empty() ? "" : gate::render_markdown(checks, sources);
  write_output_file("--junit", outputs.junit, junit);
  write_output_file("--markdown", outputs.markdown, markdown);
  if (outputs.print_table) {
    fmt::print("{}", gate::render_table(checks));
    std::fflush(stdout);
  }
  for (const auto& w : sources.warnings) fmt::print(stderr, "gate: warning: {}\n", w);
  return gate::count_failures(checks) == 0 ? kExitOk : kExitGateFailed;
}

int gate_report(const nlohmann::json& report, const std::string& report_name,
                const std::string& budgets_path, const std::optional<std::string>& baseline_path,
                const GateOutputs& outputs) {
  const GateInputs inputs = load_gate_inputs(budgets_path, baseline_path, outputs);
  return gate_report(read_report(report.dump(), report_name), report_name, inputs, outputs);
}

}  // namespace hopcost
