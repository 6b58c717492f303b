// How the gate writes numbers: report figures to 3 decimals (as report.json keeps them),
// changes as signed percentages, ratios with a ×; each with its unit where it has one.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <string_view>

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

}  // namespace hopcost::gate
