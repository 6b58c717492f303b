// `hopcost compare A.json B.json` (docs/compare.md): pairs the variants of two reports by
// their VariantKey and shows each headline figure's change from A to B, with the gate's
// noise-aware interval (gate/noise.hpp: Welch t on the log repeat values). Not a gate:
// a "worse" figure never makes it exit non-zero.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "gate/noise.hpp"
#include "report/variant_key.hpp"

namespace hopcost::gate {

// One headline figure of one matched variant: A, B (none where the report has null or
// no number), B/A − 1, the 95% interval of that change when both sides carry at least 2
// repeat values, and the verdict text: "better", "worse", "within noise", "within noise
// (too few repeats to tell)", "within noise (no interval: …)", or "-" when a side is null.
struct FigureChange {
  std::string metric;
  std::optional<double> a, b;
  std::optional<double> change;
  std::optional<ChangeInterval> ci;
  std::string verdict;
  int repeats_a = 0, repeats_b = 0;  // repeat values found (0: none)
};

struct ComparedPair {
  VariantKey key;
  std::vector<FigureChange> changes;  // kHeadlineFigures, in order
  std::string note{};                 // set when a side's variant failed
};

struct UnmatchedVariant {
  VariantKey key;
  std::string only_in;  // "A" or "B"
};

struct Comparison {
  std::string name_a, name_b;
  std::vector<ComparedPair> pairs;
  std::vector<UnmatchedVariant> unmatched;
  std::vector<std::string> context_differences;  // as the gate words them, A being the baseline
};

// Whether a smaller value of a headline figure is the better one (all but throughput_rps).
bool lower_is_better(const std::string& metric);

// The change of `metric` from variant object `a` to variant object `b`.
FigureChange compare_figure(const nlohmann::json& a, const nlohmann::json& b, const std::string& metric);

// Throws ConfigError naming `name` unless `doc` is a hopcost report of a schema_version
// this build reads (1 or 2) with variants that have their identity.
void check_compare_input(const nlohmann::json& doc, const std::string& name);

// Reads a report.json (or the results directory holding it) for compare; `role` ("A",
// "B") names it in messages. Throws ConfigError.
nlohmann::json load_compare_report(const std::string& path, const std::string& role);

// Pairs variants with equal keys (in order, each used once) and compares every headline
// figure. Checks both documents first (check_compare_input).
Comparison compare_reports(const nlohmann::json& a, const nlohmann::json& b, const std::string& name_a,
                           const std::string& name_b);

// The console table (aligned as the gate's) and a Markdown rendering.
std::string render_compare_table(const Comparison& c);
std::string render_compare_markdown(const Comparison& c);

}  // namespace hopcost::gate
