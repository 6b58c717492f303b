// `--tickets on|off` (origin, hop, run): whether servers issue session tickets and keep a
// session cache. One table of (value, text), shared by every flag and scenario key that
// takes it. Plain data, no BoringSSL here.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

inline constexpr EnumTable<bool, 2> kTickets{{{{true, "on"}, {false, "off"}}}};

inline std::string_view tickets_text(bool tickets) { return kTickets.text(tickets); }
inline std::optional<bool> parse_tickets(std::string_view s) { return kTickets.parse(s); }

}  // namespace hopcost
