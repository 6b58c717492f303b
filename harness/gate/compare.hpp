// `hopcost compare A.json B.json` (docs/compare.md): pairs the variants of two reports by
// their VariantKey and shows each headline figure's change from A to B, with the gate's
// noise-aware interval (gate/noise.hpp: Welch t on the log repeat values). Not a gate:
// a "worse" figure never makes it exit non-zero. Reports are read with the typed reader
// (report/reader.hpp: load_report_file), which rejects what compare cannot read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gate/noise.hpp"
#include "report/result.hpp"
#include "report/variant_key.hpp"

namespace hopcost {
struct Report;
struct VariantResult;
}  // namespace hopcost

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

// The change of headline figure `metric` from variant `a` to variant `b`: its value as
// report.json writes it (null there: none), its repeat values.
FigureChange compare_figure(const VariantResult& a, const VariantResult& b, const std::string& metric);

// Pairs variants with equal keys (in order, each used once) and compares every headline
// figure; the contexts' differences come from the typed contexts and the configurations.
Comparison compare_reports(const Report& a, const Report& b, const std::string& name_a, const std::string& name_b);

// The console table (aligned as the gate's) and a Markdown rendering.
std::string render_compare_table(const Comparison& c);
std::string render_compare_markdown(const Comparison& c);
// `hopcost compare --json` (docs/compare.md): {"a", "b", "pairs": [{"key", "label", "note",
// "changes": [{"metric", "a", "b", "change" (B/A, a ratio), "ci95" (of the ratio, or
// null), "verdict" ("better", "worse", "within noise"; null where a side has no figure),
// "reason"}]}], "unmatched": [{"key", "label", "only_in"}], "context_differences"}.
nlohmann::ordered_json compare_to_json(const Comparison& c);
// `hopcost compare --html`: the comparison's table and the latency spectra of both
// reports' matched variants on one chart (report/html.hpp's page).
std::string render_compare_html(const Comparison& c, const Report& a, const Report& b);

}  // namespace hopcost::gate
