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

// The ends of `link`, from the node named `client_node` to the node named `server_node`,
// which listens at `endpoint`: the server's certificate (of the link's key type, through
// its chain of intermediates) and, with mTLS, the client's, each issued by `pki` for the
// node's DNS name and verified, chain and name, by the other end. With
// Ends::connecting_only the server's context is left out (a node process makes its own
// from the certificate files it is given). The SSL contexts are kept in `contexts`,
// which must outlive the result.
LinkEnds plan_link_ends(const LinkSpec& link, const std::string& client_node, const std::string& server_node,
                        Endpoint endpoint, const Pki& pki, Ends ends, std::vector<bssl::UniquePtr<SSL_CTX>>& contexts);

// The name of link i's connecting node: "client" for link 0, else relay i.
std::string client_node_of(const ChainPlan& plan, size_t link);

}  // namespace hopcost
