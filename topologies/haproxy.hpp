// HAProxy: one frontend, one backend, one server (haproxy.cpp says how each setting maps).
#pragma once

#include "topologies/program.hpp"

namespace hopcost {

// Pure: what runs haproxy for `node`. Throws UnsupportedSetting for a setting it cannot do.
ProgramConfig haproxy_config(const ProgramNode& node);

}  // namespace hopcost
