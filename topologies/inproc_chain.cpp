#include "topologies/inproc_chain.hpp"

#include <fmt/format.h>

#include "node/origin.hpp"
#include "node/relay.hpp"
#include "tls/context.hpp"
#include "util/check.hpp"

namespace hopcost {

InprocChain::InprocChain(const ChainSpec& spec, const Pki& pki) : cpus_(spec.cpus) {
  const int hops = static_cast<int>(spec.links.size());
  cpus_.resize(spec.links.size());
  HOPCOST_CHECK(hops >= 1);
  const TlsSettings tls{spec.tls, spec.tickets};
  const auto names = node_names(hops);
  for (auto kind : spec.links)
    if (traits(kind).transport == Transport::uds && !sockets_) sockets_.emplace();

  // Link i ends at node i (names[i]); its client end is the client (i = 0) or relay i.
  links_.reserve(spec.links.size());
  for (int i = 0; i < hops; ++i) {
    LinkEnds link;
    link.kind = spec.links[i];
    link.endpoint.transport = traits(link.kind).transport;
    if (link.endpoint.transport == Transport::uds) link.endpoint.path = fmt::format("{}/link{}.sock", sockets_->path(), i);
    if (traits(link.kind).tls) {
      link.server_name = dns_name(names[i]);
      contexts_.push_back(make_server_ctx(tls, pki.issue(link.server_name)));
      link.server_ctx = contexts_.back().get();
      contexts_.push_back(make_client_ctx(tls, pki.ca_cert()));
      link.client_ctx = contexts_.back().get();
    }
    links_.push_back(std::move(link));
  }

  try {
    for (int i = 0; i < hops; ++i) {
      std::unique_ptr<Node> node;
      if (i + 1 < hops)
        node = std::make_unique<Relay>(names[i], links_[i + 1]);
      else
        node = std::make_unique<Origin>(names[i], spec.response_bytes);
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
