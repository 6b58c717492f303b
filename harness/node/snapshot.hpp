// What a node has counted so far, at one instant, as plain data: taken from a live node
// in this process, or parsed from the JSON line a standalone node prints (SIGUSR1, exit).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "node/stats.hpp"
#include "util/enum_table.hpp"

namespace hopcost {

enum class Role { client, relay, origin };
inline constexpr EnumTable<Role, 3> kRoles{{{{Role::client, "client"}, {Role::relay, "relay"}, {Role::origin, "origin"}}}};
inline std::string_view to_string(Role role) { return kRoles.text(role); }

struct NodeSnapshot {
  std::string name;
  Role role = Role::relay;
  NodeCounters counters;
  uint64_t cpu_ns = 0;  // CPU of the thread that runs the node (all of its work)
  std::optional<Negotiated> negotiated;  // its server side's (relays, the origin)
  std::array<std::string, kErrorKinds> first_errors;
  std::string first_exhausted;  // the first error for want of file descriptors or memory
  // What program the node is ("hopcost", "haproxy" …) and, for a real one, its version line.
  std::string implementation = "hopcost";
  std::string version{};
  std::optional<Negotiated> negotiated_upstream{};  // its client side's (relays, the client)
  // A real node's helper processes (Hitch, stunnel and varnishncsa beside varnishd), each
  // one's CPU by process name, already inside cpu_ns; empty for hopcost's nodes.
  std::vector<std::pair<std::string, uint64_t>> helper_cpu_ns{};
};

// What a real program's access log says of its TLS sessions (after it stopped), per
// request id: whether the request's connection resumed, on its listening end (HAProxy
// %[ssl_fc_is_resumed], Nginx $ssl_session_reused) and on its upstream end (HAProxy
// %[ssl_bc_is_resumed]). Unset: the program does not log it. `program` names the source.
struct LoggedTls {
  std::string program{};
  std::optional<std::unordered_map<uint64_t, bool>> listen_resumed{}, upstream_resumed{};
};

NodeSnapshot snapshot_of(const NodeStats& stats, std::string name, Role role, uint64_t cpu_ns);

// One line of JSON; docs/standalone-nodes.md documents the keys.
nlohmann::ordered_json to_json(const NodeSnapshot& snapshot);
// Throws nlohmann::json::exception on a malformed object.
NodeSnapshot snapshot_from_json(const nlohmann::json& json);

}  // namespace hopcost
