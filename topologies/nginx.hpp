// Nginx: one server block proxying to one upstream block (nginx.cpp says how each setting maps).
#pragma once

#include "topologies/program.hpp"

namespace hopcost {

// Pure: what runs nginx for `node`. Throws UnsupportedSetting for a setting it cannot do.
ProgramConfig nginx_config(const ProgramNode& node);

}  // namespace hopcost
