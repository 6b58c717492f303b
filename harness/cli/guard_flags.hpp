// The flags of a node's guard (node/guard.hpp), shared by `hopcost origin` and `hopcost
// hop`; `hopcost run` takes --head-timeout and --idle-timeout as scenario keys.
#pragma once

#include <string>

#include "node/guard.hpp"

namespace CLI {
class App;
}

namespace hopcost {

struct GuardFlags {
  std::string head_timeout, idle_timeout, handshake_timeout, connect_timeout, response_timeout, max_body,
      max_connections;  // empty: the default
};

// Adds the flags to `app`; `relay` adds the upstream ones (--connect-timeout, --response-timeout).
void add_guard_flags(CLI::App& app, GuardFlags& flags, bool relay);

// The limits the flags give, with every default documented in --help. Throws ConfigError
// naming the flag for a value that is not a number, zero, negative or out of range.
// `fds_per_connection` sets the default --max-connections (default_max_connections).
NodeLimits parse_guard_flags(const GuardFlags& flags, int fds_per_connection);

// Seconds as a flag or scenario key gives them: above 0, at most an hour. Throws
// ConfigError without the flag's name (the caller adds it).
std::chrono::nanoseconds parse_timeout_seconds(const std::string& text);

}  // namespace hopcost
