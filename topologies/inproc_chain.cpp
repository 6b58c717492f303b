#include "topologies/inproc_chain.hpp"

#include <fmt/format.h>

#include "node/origin.hpp"
#include "node/relay.hpp"
#include "topologies/link_ends.hpp"
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
    Endpoint listen;
    listen.transport = traits(plan.links[i].kind).transport;
    if (listen.transport == Transport::uds) listen.path = fmt::format("{}/link{}.sock", sockets_->path(), i);
    links_.push_back(plan_link_ends(plan.links[i], client_node_of(plan, static_cast<size_t>(i)), plan.nodes[i].name,
                                    std::move(listen), pki, Ends::both, contexts_));
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
  for (auto& n : nodes_) residence_.push_back(NodeResidence{n->take_residence(), std::nullopt});
  nodes_.clear();
  if (sockets_) sockets_->remove();
}

}  // namespace hopcost
