// Where the nodes of a chain run (DESIGN.md, "Words"). Plain data.
#pragma once

#include <optional>
#include <string_view>

namespace hopcost {

enum class Placement {
  inproc,   // every node its own thread in this process
  process,  // every node its own OS process (`hopcost hop` / `hopcost origin`), across loopback
};

inline std::string_view to_string(Placement p) { return p == Placement::inproc ? "inproc" : "process"; }
inline std::optional<Placement> parse_placement(std::string_view s) {
  if (s == "inproc") return Placement::inproc;
  if (s == "process") return Placement::process;
  return std::nullopt;
}

}  // namespace hopcost
