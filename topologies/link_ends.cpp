#include "topologies/link_ends.hpp"

#include "tls/context.hpp"
#include "topologies/chain.hpp"

namespace hopcost {

LinkEnds plan_link_ends(const LinkSpec& link, const std::string& client_node, const std::string& server_node,
                        Endpoint endpoint, const Pki& pki, Ends ends, std::vector<bssl::UniquePtr<SSL_CTX>>& contexts) {
  LinkEnds out;
  out.kind = link.kind;
  out.rtt = link.rtt;
  out.endpoint = std::move(endpoint);
  if (!traits(link.kind).tls) return out;
  TlsSettings tls{link.tls, link.tickets};
  tls.key = link.key;
  tls.group = link.group;
  tls.mtls = link.mtls;
  tls.resume = link.resume;
  tls.resume_by = link.resume_by;
  tls.early_data = link.early_data;
  out.server_name = dns_name(server_node);
  const std::string client_name = dns_name(client_node);
  if (ends == Ends::both) {
    contexts.push_back(make_server_ctx(tls, pki.issue(out.server_name, link.key, link.chain_depth, link.expired),
                                       link.mtls ? pki.ca_cert() : nullptr, client_name));
    out.server_ctx = contexts.back().get();
  }
  if (link.mtls) {
    const Credential identity = pki.issue(client_name, link.key, link.chain_depth);
    contexts.push_back(make_client_ctx(tls, pki.ca_cert(), &identity));
  } else {
    contexts.push_back(make_client_ctx(tls, pki.ca_cert()));
  }
  out.client_ctx = contexts.back().get();
  return out;
}

std::string client_node_of(const ChainPlan& plan, size_t link) { return link == 0 ? "client" : plan.nodes[link - 1].name; }

}  // namespace hopcost
