// The client's connection policy (DESIGN.md, "Words"). Plain data.
#pragma once

#include <optional>
#include <string_view>

#include "util/enum_table.hpp"

namespace hopcost {

enum class ConnPolicy {
  new_connection,  // "new": a new connection, and so a full handshake on each TLS link, per request
  keepalive,       // "keepalive": persistent connections
  resume,          // "resume": a new connection per request, resuming the last TLS session
  zero_rtt,        // "0rtt": as resume, with the request sent as TLS 1.3 early data
};

inline constexpr EnumTable<ConnPolicy, 4> kConnPolicies{{{{ConnPolicy::new_connection, "new"},
                                                          {ConnPolicy::keepalive, "keepalive"},
                                                          {ConnPolicy::resume, "resume"},
                                                          {ConnPolicy::zero_rtt, "0rtt"}}}};

inline std::string_view to_string(ConnPolicy p) { return kConnPolicies.text(p); }
inline std::optional<ConnPolicy> parse_conn_policy(std::string_view s) { return kConnPolicies.parse(s); }

// Whether each request opens its own connection (every policy but keepalive).
inline bool connection_per_request(ConnPolicy p) { return p != ConnPolicy::keepalive; }
// Whether the client offers its last session on each new connection.
inline bool resumes(ConnPolicy p) { return p == ConnPolicy::resume || p == ConnPolicy::zero_rtt; }

}  // namespace hopcost
