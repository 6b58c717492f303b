// The client's connection policy (DESIGN.md, "Words"). Plain data.
#pragma once

#include <optional>
#include <string_view>

namespace hopcost {

enum class ConnPolicy {
  new_connection,  // "new": a new connection, and so a handshake on each TLS link, per request
  keepalive,       // "keepalive": persistent connections
};

inline std::string_view to_string(ConnPolicy p) { return p == ConnPolicy::new_connection ? "new" : "keepalive"; }
inline std::optional<ConnPolicy> parse_conn_policy(std::string_view s) {
  if (s == "new") return ConnPolicy::new_connection;
  if (s == "keepalive") return ConnPolicy::keepalive;
  return std::nullopt;
}

}  // namespace hopcost
