// The console table of `hopcost gate`: one row per check, columns aligned by display
// width (µ, × and ∞ are one column each but more than one byte).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "gate/gate.hpp"

namespace hopcost::gate {
namespace {

size_t display_width(std::string_view s) {
  // Code points: every continuation byte (10xxxxxx) belongs to the one before it.
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string render_table(const std::vector<Check>& checks) {
  constexpr size_t kColumns = 8;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows;
  rows.push_back(
      {"budget", "selector", "variant", "metric", "measured", "limit", "verdict", "note"});
  for (const auto& c : checks)
    rows.push_back({c.budget, c.selector, c.variant, c.metric, c.measured_text, c.limit,
                    c.passed() ? "pass" : "FAIL", c.note});
  std::array<size_t, kColumns> width{};
  for (const auto& row : rows)
    for (size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], display_width(row[i]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < kColumns; ++i) {
      line += row[i];
      if (i + 1 < kColumns) line += std::string(width[i] - display_width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += summary_line(checks) + "\n";
  return out;
}

}  // namespace hopcost::gate
