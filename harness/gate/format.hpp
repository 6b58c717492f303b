// How the gate writes numbers: report figures to 3 decimals (as report.json keeps them),
// changes as signed percentages, ratios with a ×; each with its unit where it has one.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace hopcost::gate {

inline std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "∞" : "-∞";
  if (std::isnan(v)) return "n/a";
  double r = std::round(v * 1000.0) / 1000.0;
  if (r == 0) r = 0;  // no "-0"
  return fmt::format("{}", r);
}

// "2500 µs", "1200 req/s", "0.5/req", "1.8×"; a count has no unit.
inline std::string format_value(double v, std::string_view unit) {
  if (unit.empty()) return format_number(v);
  if (unit.front() == '/' || unit == "×") return format_number(v) + std::string(unit);
  return format_number(v) + " " + std::string(unit);
}

// A fraction as a signed percentage: 0.031 -> "+3.1%".
inline std::string format_change(double fraction) {
  if (std::isinf(fraction)) return fraction > 0 ? "+∞%" : "-∞%";
  if (std::isnan(fraction)) return "n/a";
  double pct = std::round(fraction * 1000.0) / 10.0;
  if (pct == 0) pct = 0;
  return fmt::format("{:+.1f}%", pct);
}

inline std::string format_ratio(double v) {
  if (std::isinf(v)) return "∞×";
  if (std::isnan(v)) return "n/a";
  return fmt::format("{:.2f}×", v);
}

// Terminal cells of `s`: code points (every continuation byte, 10xxxxxx, belongs to the
// one before it).
inline size_t display_width(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Rows as left-aligned columns two spaces apart, one line each, no trailing blanks: the
// gate's table and compare's.
template <size_t N>
std::string aligned_columns(const std::vector<std::array<std::string, N>>& rows) {
  std::array<size_t, N> width{};
  for (const auto& row : rows)
    for (size_t i = 0; i < N; ++i) width[i] = std::max(width[i], display_width(row[i]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < N; ++i) {
      line += row[i];
      if (i + 1 < N) line += std::string(width[i] - display_width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace hopcost::gate
