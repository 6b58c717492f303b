// The one place a planned link's ends are assembled, for every placement: its kind, rtt,
// where it listens and, for TLS, the listening node's certificate (issued by the run's
// CA for its name) and the connecting end's trust in that CA.
#pragma once

#include <vector>

#include "net/link.hpp"
#include "tls/boringssl.hpp"
#include "tls/pki.hpp"
#include "topologies/plan.hpp"

namespace hopcost {

enum class Ends { both, connecting_only };

// The ends of `link`, whose server end is the node named `server_node` and listens at
// `endpoint`. With Ends::connecting_only the server's context is left out (a node
// process makes its own from the certificate files it is given). The SSL contexts are
// kept in `contexts`, which must outlive the result.
LinkEnds plan_link_ends(const LinkSpec& link, const std::string& server_node, Endpoint endpoint, const Pki& pki,
                        Ends ends, std::vector<bssl::UniquePtr<SSL_CTX>>& contexts);

}  // namespace hopcost
