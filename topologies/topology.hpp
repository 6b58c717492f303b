// The link-list grammar: a topology is either a preset, expanded for a number of hops,
// or an explicit list of link kinds, client first (DESIGN.md, "Words").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/link_kind.hpp"

namespace hopcost {

inline constexpr int kMinHops = 1;
inline constexpr int kMaxHops = 32;

enum class Preset { tls_everywhere, terminate_once, unix_socket };

struct Topology {
  std::optional<Preset> preset;  // set for presets
  std::vector<LinkKind> links;   // set for explicit lists

  // "tls-everywhere", or the explicit list as written: "tls,tcp,uds".
  std::string name() const;
  // The chain's links for `hops` (presets); an explicit list has its own length.
  std::vector<LinkKind> links_for(int hops) const;
  bool is_explicit() const { return !preset.has_value(); }
  bool operator==(const Topology&) const = default;
};

std::string_view to_string(Preset preset);
std::vector<std::string_view> preset_names();

// Parses one --topology value. Items are separated by commas; each preset stands alone,
// and each maximal run of link kinds forms one explicit chain:
//   "tls-everywhere,terminate-once"  -> two presets
//   "tls,tcp,tcp,uds,tcp"            -> one explicit 5-hop chain
//   "unix-socket,tls,tcp"            -> a preset and a 2-hop chain
// Throws ConfigError naming the bad item and the accepted words.
std::vector<Topology> parse_topologies(std::string_view text);

std::string join_links(const std::vector<LinkKind>& links);

}  // namespace hopcost
