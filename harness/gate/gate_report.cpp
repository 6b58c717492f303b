#include "gate/gate_report.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "gate/gate.hpp"
#include "report/reader.hpp"
#include "report/reporter.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

// An output file must be writable where it is named: its directory has to exist.
void check_output(std::string_view flag, const std::string& path) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw ConfigError(fmt::format("{}: cannot write '{}': it is a directory", flag, path));
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw ConfigError(
        fmt::format("{}: cannot write '{}': no directory '{}'", flag, path, parent.string()));
}

void write_output(std::string_view flag, const std::string& path, std::string_view content) {
  if (path.empty()) return;
  try {
    write_file_atomically(path, content);
  } catch (const RunError& e) {
    throw ConfigError(fmt::format("{}: {}", flag, e.what()));
  }
}

}  // namespace

GateInputs load_gate_inputs(const std::string& budgets_path,
                            const std::optional<std::string>& baseline_path,
                            const GateOutputs& outputs) {
  check_output("--junit", outputs.junit);
  check_output("--markdown", outputs.markdown);
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

int gate_report(const Report& report, const std::string& report_name, const GateInputs& in,
                const GateOutputs& outputs) {
  const auto checks = gate::evaluate(in.budgets, report, report_name, in.baseline.get(),
                                     in.baseline_file.value_or(""));
  gate::GateSources sources{in.budgets.path, report_name, in.baseline_file, {}};
  if (in.baseline) sources.warnings = gate::comparability_warnings(report, *in.baseline);
  // Both outputs are rendered before either is written.
  const std::string junit = outputs.junit.empty() ? "" : gate::render_junit(checks, sources);
  const std::string markdown =
      outputs.markdown.empty() ? "" : gate::render_markdown(checks, sources);
  write_output("--junit", outputs.junit, junit);
  write_output("--markdown", outputs.markdown, markdown);
  if (outputs.print_table) {
    fmt::print("{}", gate::render_table(checks));
    std::fflush(stdout);
  }
  for (const auto& w : sources.warnings) fmt::print(stderr, "gate: warning: {}\n", w);
  return gate::count_failures(checks) == 0 ? kExitOk : kExitGateFailed;
}

int gate_report(const nlohmann::json& report, const std::string& report_name, const GateInputs& in,
                const GateOutputs& outputs) {
  return gate_report(read_report(report.dump(), report_name), report_name, in, outputs);
}

int gate_report(const nlohmann::json& report, const std::string& report_name,
                const std::string& budgets_path, const std::optional<std::string>& baseline_path,
                const GateOutputs& outputs) {
  return gate_report(report, report_name, load_gate_inputs(budgets_path, baseline_path, outputs),
                     outputs);
}

}  // namespace hopcost
