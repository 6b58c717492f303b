// A relay's upstream connection policy (DESIGN.md, "Words"): `1:1`, one upstream
// connection per downstream one (an L4 proxy, the article's worst case), or `pool`,
// idle upstream connections kept and reused by any downstream connection (HAProxy
// `http-reuse`, Nginx upstream `keepalive`). One table of (value, text) for parsing,
// printing and --help. Plain data.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class UpstreamPolicy { one_to_one, pool };

inline constexpr EnumTable<UpstreamPolicy, 2> kUpstreamPolicies{
    {{{UpstreamPolicy::one_to_one, "1:1"}, {UpstreamPolicy::pool, "pool"}}}};

inline std::string_view to_string(UpstreamPolicy p) { return kUpstreamPolicies.text(p); }
inline std::optional<UpstreamPolicy> parse_upstream_policy(std::string_view s) { return kUpstreamPolicies.parse(s); }

}  // namespace hopcost
