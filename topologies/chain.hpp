// The topology builder: wires a chain of nodes for a list of link kinds, each node with
// its own certificate from the run's CA, in the placement asked for.
//
//   client ──link 0──▶ relay1 ──link 1──▶ relay2 … ──link N-1──▶ origin
//
// The client is the load driver (not built here); it connects to entry(). A chain is
// ready when built: every listener is bound, and nothing ever waits with a sleep.
// Teardown (stop() or the destructor) leaves no thread, process, socket or socket file.
#pragma once

#include "node/app.hpp"
#include "topologies/db_chain.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metrics/attribution.hpp"
#include "net/link.hpp"
#include "node/snapshot.hpp"
#include "tls/pki.hpp"
#include "tls/version.hpp"
#include "topologies/placement.hpp"
#include "topologies/plan.hpp"

namespace hopcost {

class Chain {
 public:
  virtual ~Chain() = default;
  // Link 0, as the client connects to it (its client context trusts the run's CA).
  virtual const LinkEnds& entry() const = 0;
  // What every node has counted so far, relays in order then the origin. Throws
  // RunError naming a node that has died, with its exit status.
  virtual std::vector<NodeSnapshot> snapshot() = 0;
  virtual void stop() = 0;
  // Runs `f` on every node's own thread in turn, with the node's name (for per-thread
  // instruction counters). Inproc placement only: throws RunError otherwise.
  virtual void on_each_node_thread(const std::function<void(const std::string& node)>& f) = 0;
  // The programs its real nodes run, each with its version line (empty: none).
  virtual std::map<std::string, std::string> programs() const { return {}; }
  // After stop(): each node's residence samples (metrics/attribution.hpp), chain order.
  virtual const std::vector<NodeResidence>& residence() const = 0;
  // After stop(): what each node's access log says of its TLS sessions, chain order (a
  // hopcost node's entry is empty: its links are counted by its own counters).
  virtual std::vector<LoggedTls> logged_tls() const { return {}; }
  // With a database tail (--db): what its programs and the app have counted so far (none
  // without one).
  virtual std::optional<DbSnapshot> db_snapshot(DbChain::WindowEdge) const { return std::nullopt; }
  virtual std::optional<AppCounters> app_counters() const { return std::nullopt; }
};

// A started chain, as `plan` says, in `placement`. Throws RunError if it cannot be built.
// `keep_dir`: where real programs' configurations are kept (topologies/real_node.hpp);
// empty: nowhere.
std::unique_ptr<Chain> build_chain(const ChainPlan& plan, Placement placement, const Pki& pki,
                                   const std::string& keep_dir = {});

// Node names in chain order for `hops` links: relay1 … relay{hops-1}, origin; and the
// DNS name each is issued a certificate for and verified under.
std::vector<std::string> node_names(int hops);
std::string dns_name(const std::string& node_name);

// A private directory for a chain's Unix sockets and files, removed with the object.
class ScratchDir {
 public:
  ScratchDir();  // throws RunError
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  void remove();

 private:
  std::string path_;
};

}  // namespace hopcost
