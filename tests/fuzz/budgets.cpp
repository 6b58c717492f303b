// Budget files (gate/budgets.cpp: `hopcost gate --budgets FILE`, `run --gate FILE`):
// TOML [[budget]] tables and their check strings. Input: the file's text.
//
// Properties: a bad file is one ConfigError naming the file; an accepted one has at least
// one budget, each with a metric path, a finite limit (above 0 for a ratio, two different
// topologies), lines within the file, and texts for its name, limit and selector.
#include <cmath>
#include <string>

#include "fuzz.hpp"
#include "gate/budgets.hpp"
#include "util/errors.hpp"

using namespace hopcost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "budgets.toml";
  gate::Budgets budgets;
  try {
    budgets = gate::parse_budgets(fuzz::as_text(data, size), path);
  } catch (const ConfigError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with(path));
    return 0;
  }
  FUZZ_CHECK(budgets.path == path && !budgets.budgets.empty());
  for (const gate::Budget& b : budgets.budgets) {
    FUZZ_CHECK(!b.metric.empty() && !b.check.empty() && std::isfinite(b.limit));
    FUZZ_CHECK(b.line >= 1 && b.check_line >= 1 && b.line_of("check") == b.check_line);
    if (b.kind == gate::LimitKind::ratio) {
      FUZZ_CHECK(b.limit > 0 && !b.numerator.empty() && !b.denominator.empty() && b.numerator != b.denominator);
      FUZZ_CHECK(!b.selector.topology);
    }
    if (b.kind == gate::LimitKind::relative) FUZZ_CHECK(budgets.needs_baseline() && b.op != gate::Op::eq);
    FUZZ_CHECK(!b.display_name().empty() && !b.limit_text().empty() && !b.selector.text().empty());
    (void)gate::metric_unit(b.metric);
    (void)gate::holds(1.0, b.op, b.limit);
  }
  return 0;
}
