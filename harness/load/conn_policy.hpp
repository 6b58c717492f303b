// The client's connection policy (DESIGN.md, "Words"). Plain data.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class ConnPolicy {
  new_connection,  // "new": a new connection, and so a handshake on each TLS link, per request
  keepalive,       // "keepalive": persistent connections
};

inline constexpr EnumTable<ConnPolicy, 2> kConnPolicies{
    {{{ConnPolicy::new_connection, "new"}, {ConnPolicy::keepalive, "keepalive"}}}};

inline std::string_view to_string(ConnPolicy p) { return kConnPolicies.text(p); }
inline std::optional<ConnPolicy> parse_conn_policy(std::string_view s) { return kConnPolicies.parse(s); }

}  // namespace hopcost
