// `hopcost origin` and `hopcost hop`: one node each, standalone, in the foreground.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/guard_flags.hpp"
#include "node/snapshot.hpp"

namespace CLI {
class App;
}

namespace hopcost {

struct NodeCommand {
  CLI::App* app = nullptr;
  Role role = Role::origin;
  std::string listen, upstream, upstream_name, ca, cert, key, name, tls = "both", tickets = "on", residence_file;
  std::string rtt = "0", upstream_rtt = "0";
  std::string group;  // empty: the default groups
  std::string client_ca, client_name;       // mutual TLS on --listen: the clients' CA and name
  std::string upstream_cert, upstream_key;  // mutual TLS on --upstream: the certificate this node presents  // emulated round-trip times of the --listen and --upstream links
  std::string upstream_policy = "1:1";  // hop: 1:1 or pool (node/upstream_policy.hpp)
  std::string upstream_resume = "on";   // hop: offer the last upstream session on each new upstream connection
  std::string resume = "ticket";        // TLS 1.2 --listen: resume by tickets or session IDs
  std::string early_data = "off";       // TLS 1.3 --listen: accept 0-RTT early data
  uint64_t response_bytes = 1024;
  std::optional<int> cpu;
  GuardFlags guard{};  // timeouts and caps (cli/guard_flags.hpp)
};

void register_node_commands(CLI::App& parent, NodeCommand& origin, NodeCommand& hop);

// Runs the node until SIGINT or SIGTERM; returns the exit code. Throws ConfigError.
int execute_node_command(const NodeCommand& command);

}  // namespace hopcost
