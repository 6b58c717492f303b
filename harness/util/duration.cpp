#include "util/duration.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "util/errors.hpp"

namespace hopcost {

std::chrono::nanoseconds parse_rtt(std::string_view text) {
  constexpr std::string_view kAccepted = "a time from 0 to 1s with a unit: us (or µs), ms, s; e.g. 0, 200us, 0.5ms, 1ms";
  struct Unit {
    std::string_view suffix;
    double ns;
  };
  constexpr Unit kUnits[] = {{"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  double scale = 0;
  std::string_view number = text;
  for (const auto& u : kUnits)
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      number = text.substr(0, text.size() - u.suffix.size());
      scale = u.ns;
      break;
    }
  double value = 0;
  const auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || p != number.data() + number.size() || !std::isfinite(value))
    throw ConfigError(fmt::format("'{}' is not a round-trip time; accepted: {}", text, kAccepted));
  if (scale == 0 && value != 0)
    throw ConfigError(fmt::format("'{}' has no unit; accepted: {}", text, kAccepted));
  const double ns = value * scale;
  if (ns < 0 || ns > static_cast<double>(kMaxRtt.count()))
    throw ConfigError(fmt::format("{} is out of range; accepted: {}", text, kAccepted));
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

std::string format_rtt(std::chrono::nanoseconds rtt) {
  const int64_t ns = rtt.count();
  if (ns == 0) return "0";
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}us", static_cast<double>(ns) / 1e3);
}

}  // namespace hopcost
