#include "topologies/link_ends.hpp"

#include "tls/context.hpp"
#include "topologies/chain.hpp"

namespace hopcost {

LinkEnds plan_link_ends(const LinkSpec& link, const std::string& server_node, Endpoint endpoint, const Pki& pki,
                        Ends ends, std::vector<bssl::UniquePtr<SSL_CTX>>& contexts) {
  LinkEnds out;
  out.kind = link.kind;
  out.rtt = link.rtt;
  out.endpoint = std::move(endpoint);
  if (!traits(link.kind).tls) return out;
  const TlsSettings tls{link.tls, link.tickets};
  out.server_name = dns_name(server_node);
  if (ends == Ends::both) {
    contexts.push_back(make_server_ctx(tls, pki.issue(out.server_name)));
    out.server_ctx = contexts.back().get();
  }
  contexts.push_back(make_client_ctx(tls, pki.ca_cert()));
  out.client_ctx = contexts.back().get();
  return out;
}

}  // namespace hopcost
