// Where the nodes of a chain run (DESIGN.md, "Words"). Plain data.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class Placement {
  inproc,   // every node its own thread in this process
  process,  // every node its own OS process (`hopcost hop` / `hopcost origin`), across loopback
};

inline constexpr EnumTable<Placement, 2> kPlacements{{{{Placement::inproc, "inproc"}, {Placement::process, "process"}}}};

inline std::string_view to_string(Placement p) { return kPlacements.text(p); }
inline std::optional<Placement> parse_placement(std::string_view s) { return kPlacements.parse(s); }

}  // namespace hopcost
