// `--tickets on|off` (origin, hop, run): whether servers issue session tickets and keep a
// session cache. One table of (value, text), shared by every flag and scenario key that
// takes it. Plain data, no BoringSSL here.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace hopcost {

inline constexpr std::array<std::pair<bool, std::string_view>, 2> kTicketsValues{{{true, "on"}, {false, "off"}}};
inline constexpr std::string_view kTicketsAccepted = "on, off";

inline std::string_view tickets_text(bool tickets) {
  for (const auto& [value, text] : kTicketsValues)
    if (value == tickets) return text;
  return {};
}
inline std::optional<bool> parse_tickets(std::string_view s) {
  for (const auto& [value, text] : kTicketsValues)
    if (s == text) return value;
  return std::nullopt;
}

}  // namespace hopcost
