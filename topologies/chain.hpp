// The topology builder, inproc placement: wires a chain of nodes for a list of link
// kinds, each node on its own thread, with its own certificate from the run's CA.
//
//   client ──link 0──▶ relay1 ──link 1──▶ relay2 … ──link N-1──▶ origin
//
// The client is the load driver (not built here); it connects to entry(). Listeners are
// bound when the chain is built, so no node ever waits for another to be ready.
// Teardown (stop() or the destructor) joins every thread, closes every socket and
// removes the Unix-socket directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/link.hpp"
#include "node/node.hpp"
#include "tls/pki.hpp"
#include "tls/version.hpp"

namespace hopcost {

struct ChainSpec {
  std::vector<LinkKind> links;   // client first; links.size() is the hop count
  TlsVersion tls = TlsVersion::v1_3;
  uint64_t response_bytes = 1024;
};

class Chain {
 public:
  // Throws RunError if a listener cannot be bound or the socket directory made.
  Chain(const ChainSpec& spec, const Pki& pki);
  ~Chain();
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  void start();
  void stop();

  // Link 0, as the client connects to it (its client context trusts the run's CA).
  const LinkEnds& entry() const { return links_.front(); }
  // Relays in order, then the origin.
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  // The directory holding the chain's Unix sockets; empty if it has none.
  const std::string& socket_dir() const { return socket_dir_; }

  // The DNS name a node is issued and verified under.
  static std::string dns_name(const std::string& node_name);

 private:
  std::vector<bssl::UniquePtr<SSL_CTX>> contexts_;
  std::vector<LinkEnds> links_;  // never resized after construction: nodes point into it
  std::vector<std::unique_ptr<Node>> nodes_;
  std::string socket_dir_;
};

// Node names in chain order for `hops` links: relay1 … relay{hops-1}, origin.
std::vector<std::string> node_names(int hops);

}  // namespace hopcost
