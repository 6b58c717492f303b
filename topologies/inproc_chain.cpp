#include "topologies/inproc_chain.hpp"

#include <fmt/format.h>

#include "node/origin.hpp"
#include "node/relay.hpp"
#include "tls/context.hpp"
#include "util/check.hpp"

namespace hopcost {

InprocChain::InprocChain(const ChainPlan& plan, const Pki& pki) {
  const int hops = plan.hops();
  HOPCOST_CHECK(hops >= 1 && plan.nodes.size() == plan.links.size());
  for (const auto& l : plan.links)
    if (traits(l.kind).transport == Transport::uds && !sockets_) sockets_.emplace();

  // Link i ends at node i; its client end is the client (i = 0) or relay i.
  links_.reserve(plan.links.size());
  for (int i = 0; i < hops; ++i) {
    const LinkSpec& spec = plan.links[i];
    LinkEnds link;
    link.kind = spec.kind;
    link.rtt = spec.rtt;
    link.endpoint.transport = traits(link.kind).transport;
    if (link.endpoint.transport == Transport::uds) link.endpoint.path = fmt::format("{}/link{}.sock", sockets_->path(), i);
    if (traits(link.kind).tls) {
      const TlsSettings tls{spec.tls, spec.tickets};
      link.server_name = dns_name(plan.nodes[i].name);
      contexts_.push_back(make_server_ctx(tls, pki.issue(link.server_name)));
      link.server_ctx = contexts_.back().get();
      contexts_.push_back(make_client_ctx(tls, pki.ca_cert()));
      link.client_ctx = contexts_.back().get();
    }
    links_.push_back(std::move(link));
    cpus_.push_back(plan.nodes[i].cpu);
  }

  try {
    for (int i = 0; i < hops; ++i) {
      const NodeSpec& spec = plan.nodes[i];
      std::unique_ptr<Node> node;
      if (spec.role == Role::relay)
        node = std::make_unique<Relay>(spec.name, links_[i + 1], spec.upstream);
      else
        node = std::make_unique<Origin>(spec.name, spec.response_bytes);
      node->listen(links_[i]);
      nodes_.push_back(std::move(node));
    }
  } catch (...) {
    stop();
    throw;
  }
}

InprocChain::~InprocChain() { stop(); }

void InprocChain::start() {
  for (size_t i = 0; i < nodes_.size(); ++i) nodes_[i]->start(cpus_[i]);
}

std::vector<NodeSnapshot> InprocChain::snapshot() {
  std::vector<NodeSnapshot> out;
  for (const auto& n : nodes_) out.push_back(n->snapshot());
  return out;
}

void InprocChain::stop() {
  for (auto& n : nodes_) n->stop();
  for (auto& n : nodes_) residence_.push_back(n->take_residence());
  nodes_.clear();
  if (sockets_) sockets_->remove();
}

}  // namespace hopcost
