// stunnel: a TLS wrapper, one or two services (stunnel.cpp says how each setting maps).
// Its service writers are shared with varnish.cpp, where stunnel originates Varnish's
// upstream TLS.
#pragma once

#include "topologies/program.hpp"

namespace hopcost {

// Pure: what runs stunnel for `node`. Throws UnsupportedSetting for a setting it cannot do.
ProgramConfig stunnel_config(const ProgramNode& node);

// The global section: foreground, pid file, warnings to stderr.
std::string stunnel_global_section(const ProgramNode& node, std::string_view comment);
// A client-mode service: plaintext accepted on `accept`, TLS to node.upstream (verified).
std::string stunnel_client_service(const ProgramNode& node, std::string_view service, const Endpoint& accept,
                                   std::string_view program);
// The stunnel process that runs `conf`, with its logs named after `name`.
ProcessPlan stunnel_process(const ProgramNode& node, const std::string& conf, bool helper);

}  // namespace hopcost
