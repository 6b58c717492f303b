// The gate: budgets evaluated against a JSON report (and, for relative budgets, a
// baseline report) into one Check per budget and variant. It reads only JSON reports, as
// DESIGN.md's flow has it, through the typed reader (report/reader.hpp), and runs nothing.
// A variant is picked and paired by its VariantKey; a budget's metric path is looked up in
// the variant's JSON form as report.json's writer makes it (report/json.hpp). Renderings of the checks: a console table,
// JUnit XML, Markdown for a merge-request comment. docs/gate.md has the rules.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gate/budgets.hpp"

namespace hopcost {
struct Report;
}

namespace hopcost::gate {

enum class Verdict { pass, fail };

struct Check {
  std::string budget;    // the budget's name, or "budget N"
  int budget_line = 0;   // where the budget starts in its file
  std::string selector;  // "hops=3 tls=1.3", or "all variants"
  std::string
      variant;  // "tls-everywhere 3 hops TLS 1.3 keepalive inproc"; a ratio names both topologies
  std::string check;   // the check string as written
  std::string metric;  // its metric path: "latency_us.p99"
  LimitKind kind = LimitKind::absolute;
  // absolute: the figure in its unit; relative: the change as a fraction (+0.03 is +3%);
  // ratio: the ratio. NaN when the variant failed and has no figure to compare.
  double measured = 0;
  std::string measured_text;  // with its unit: "2100 µs", "+3.0% (103 µs)", "2.75×"
  std::string limit;          // "<= 2500 µs", "<= +10% vs baseline", "<= 3×"
  Verdict verdict = Verdict::pass;
  std::string note;  // how the verdict was reached: point comparison, within noise, clear…

  bool passed() const { return verdict == Verdict::pass; }
};

// Where the checks came from, for the headers of the outputs.
struct GateSources {
  std::string budgets;
  std::string report;
  std::optional<std::string> baseline;
  std::vector<std::string> warnings;  // comparability_warnings(), shown under the summary
};

// Evaluates every budget. `baseline` is needed when a budget is relative. Throws
// ConfigError (naming the budgets file, line and key) for an unknown metric path, a
// selector that matches no variant, a ratio side that does not match exactly one
// variant, or a baseline without a variant that a relative budget selects.
// Reports are read with load_report_file() or read_report() (report/reader.hpp).
std::vector<Check> evaluate(const Budgets& budgets, const Report& report,
                            std::string_view report_name, const Report* baseline = nullptr,
                            std::string_view baseline_name = {});

// Every numeric figure of a variant's JSON form (variant_to_json) as a metric path
// ("latency_us.p99", "errors.total", "per_hop.1.added_latency_us.p50"), sorted by name;
// `nodes`, `repeats`, `repeat_values`, `ci95` and the histograms are left out, and so are
// figures that are null in this report.
std::vector<std::string> metric_paths(const nlohmann::json& variant);

// What makes a baseline a poor yardstick for relative budgets, one line each: another
// CPU model or core count, build type or TLS library, or a scenario that measured
// differently (duration, warm-up, connections, rate, message sizes, CPU policy). They do
// not change a verdict; they say why one may be misleading.
std::vector<std::string> comparability_warnings(const Report& report, const Report& baseline);

int count_failures(const std::vector<Check>& checks);
// "gate: 1 of 5 checks failed" / "gate: all 5 checks passed".
std::string summary_line(const std::vector<Check>& checks);

// table.cpp: aligned columns (budget, selector, variant, metric, measured, limit,
// verdict, note), then the summary line.
std::string render_table(const std::vector<Check>& checks);
// junit.cpp: one <testsuite> with one <testcase> per check, a <failure> for each failing one.
std::string render_junit(const std::vector<Check>& checks, const GateSources& sources);
// markdown.cpp: a one-line summary, then a table with ✅/❌ per check.
std::string render_markdown(const std::vector<Check>& checks, const GateSources& sources);

}  // namespace hopcost::gate
