#include "topologies/chain.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "node/origin.hpp"
#include "node/relay.hpp"
#include "tls/context.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {

std::string Chain::dns_name(const std::string& node_name) { return node_name + ".hopcost.test"; }

std::vector<std::string> node_names(int hops) {
  std::vector<std::string> names;
  for (int i = 1; i < hops; ++i) names.push_back(fmt::format("relay{}", i));
  names.push_back("origin");
  return names;
}

Chain::Chain(const ChainSpec& spec, const Pki& pki) {
  const int hops = static_cast<int>(spec.links.size());
  HOPCOST_CHECK(hops >= 1);
  const TlsSettings tls{spec.tls};
  const auto names = node_names(hops);

  bool any_uds = false;
  for (auto kind : spec.links) any_uds = any_uds || traits(kind).transport == Transport::uds;
  if (any_uds) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hopcost-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw RunError(fmt::format("cannot create a directory for Unix sockets in {}",
                                                           std::filesystem::temp_directory_path().string()));
    socket_dir_ = tmpl;
  }

  // Link i ends at node i (names[i]); its client end is the client (i = 0) or relay i.
  links_.reserve(spec.links.size());
  for (int i = 0; i < hops; ++i) {
    LinkEnds link;
    link.kind = spec.links[i];
    link.endpoint.transport = traits(link.kind).transport;
    if (link.endpoint.transport == Transport::uds) link.endpoint.path = fmt::format("{}/link{}.sock", socket_dir_, i);
    if (traits(link.kind).tls) {
      link.server_name = dns_name(names[i]);
      const Credential identity = pki.issue(link.server_name);
      contexts_.push_back(make_server_ctx(tls, identity));
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

Chain::~Chain() { stop(); }

void Chain::start() {
  for (auto& n : nodes_) n->start();
}

void Chain::stop() {
  for (auto& n : nodes_) n->stop();
  nodes_.clear();
  if (!socket_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(socket_dir_, ignored);
    socket_dir_.clear();
  }
}

}  // namespace hopcost
