// The console table of `hopcost gate`: one row per check, columns aligned by display
// width (µ, × and ∞ are one column each but more than one byte).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "gate/format.hpp"
#include "gate/gate.hpp"

namespace hopcost::gate {

std::string render_table(const std::vector<Check>& checks) {
  constexpr size_t kColumns = 8;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows;
  rows.push_back(
      {"budget", "selector", "variant", "metric", "measured", "limit", "verdict", "note"});
  for (const auto& c : checks)
    rows.push_back({c.budget, c.selector, c.variant, c.metric, c.measured_text, c.limit,
                    c.passed() ? "pass" : "FAIL", c.note});
  std::string out = aligned_columns(rows);
  out += summary_line(checks) + "\n";
  return out;
}

}  // namespace hopcost::gate
