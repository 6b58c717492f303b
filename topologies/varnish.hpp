// Varnish: varnishd and varnishncsa, with Hitch in front for TLS in and stunnel behind for TLS out (varnish.cpp says why stunnel).
#pragma once

#include "topologies/program.hpp"

namespace hopcost {

// Pure: what runs varnish for `node`. Throws UnsupportedSetting for a setting it cannot do.
ProgramConfig varnish_config(const ProgramNode& node);

}  // namespace hopcost
