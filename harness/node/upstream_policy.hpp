// A relay's upstream connection policy (DESIGN.md, "Words"): `1:1`, one upstream
// connection per downstream one (an L4 proxy, the article's worst case), or `pool`,
// idle upstream connections kept and reused by any downstream connection (HAProxy
// `http-reuse`, Nginx upstream `keepalive`). One table of (value, text) for parsing,
// printing and --help. Plain data.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace hopcost {

enum class UpstreamPolicy { one_to_one, pool };

inline constexpr std::array<std::pair<UpstreamPolicy, std::string_view>, 2> kUpstreamPolicies{
    {{UpstreamPolicy::one_to_one, "1:1"}, {UpstreamPolicy::pool, "pool"}}};
inline constexpr std::string_view kUpstreamPoliciesAccepted = "1:1, pool";

inline std::string_view to_string(UpstreamPolicy p) {
  for (const auto& [value, text] : kUpstreamPolicies)
    if (value == p) return text;
  return {};
}
inline std::optional<UpstreamPolicy> parse_upstream_policy(std::string_view s) {
  for (const auto& [value, text] : kUpstreamPolicies)
    if (s == text) return value;
  return std::nullopt;
}

}  // namespace hopcost
