// Gating a report from a command: read the budgets and the baseline, evaluate, print the
// table, write JUnit and Markdown, return the exit code. Shared by `hopcost gate` and
// `hopcost run --gate` (which gates the report it has just made).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "gate/budgets.hpp"
#include "gate/gate.hpp"
#include "report/html.hpp"

namespace hopcost {

struct Report;

// What the gate writes besides its console table. An empty path is not written. Files are
// written whether the checks pass or fail, never when the input is bad.
struct GateOutputs {
  std::string junit;
  std::string markdown;
  bool print_table = true;  // the table and its summary line on stdout
};

// The gate's inputs, read and checked before anything runs, so that `hopcost run --gate`
// can reject a bad budgets file or baseline before the run rather than after it.
struct GateInputs {
  gate::Budgets budgets;
  std::optional<std::string> baseline_file;  // the baseline's report.json, as named in messages
  std::shared_ptr<const Report> baseline;     // null when none was given (report/reader.hpp)
};

// Throws ConfigError: a missing or malformed budgets file or baseline (file and line), a
// relative budget without a baseline, an output whose directory does not exist.
GateInputs load_gate_inputs(const std::string& budgets_path,
                            const std::optional<std::string>& baseline_path,
                            const GateOutputs& outputs = {});

// Gates a report: evaluates every budget, prints the table, writes the outputs. Returns
// kExitOk (0) when every check passes, kExitGateFailed (1) when one fails. Throws
// ConfigError for bad input: an unknown metric path, a selector matching no variant, a
// ratio side not matching exactly one variant, a baseline without a selected variant, an
// output that cannot be written. `report_name` names the report in messages and outputs.
// `report` is as the typed reader read it (load_report_file, read_report): figures as
// report.json carries them.
int gate_report(const Report& report, const std::string& report_name, const GateInputs& inputs,
                const GateOutputs& outputs);

// gate_report() in two steps, for `hopcost run --gate`, whose HTML report shows the
// verdicts: evaluate (throws ConfigError for bad input, as above), then print and write.
struct GateResult {
  std::vector<gate::Check> checks;
  gate::GateSources sources;
};
GateResult evaluate_gate(const Report& report, const std::string& report_name, const GateInputs& inputs);
int finish_gate(const GateResult& result, const GateOutputs& outputs);  // kExitOk or kExitGateFailed
// The verdicts as the HTML report shows them.
std::vector<HtmlGateRow> html_gate_rows(const GateResult& result);
// The same in one call, for a report's JSON document (read through the typed reader first,
// as a file would be).
int gate_report(const nlohmann::json& report, const std::string& report_name,
                const std::string& budgets_path, const std::optional<std::string>& baseline_path,
                const GateOutputs& outputs);

}  // namespace hopcost
