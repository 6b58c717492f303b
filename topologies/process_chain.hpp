// Placement process: every relay and the origin its own OS process, started from this
// same executable as `hopcost hop` / `hopcost origin`, connected across loopback (TCP or
// Unix sockets, as the link kinds say). The chain is built from the origin backwards: a
// relay starts once its upstream has printed the address it bound (its first line), so
// every node is ready when built, and no sleep is involved.
//
// Statistics come from the children themselves: SIGUSR1 makes each print one JSON line
// (its counters and its node thread's CPU), read from its stdout pipe. Children never
// outlive the run: they are terminated on stop() and on destruction, and get SIGKILL if
// the parent dies (PR_SET_PDEATHSIG).
#pragma once

#include <memory>
#include <vector>

#include "topologies/chain.hpp"
#include "util/child_process.hpp"

namespace hopcost {

class ProcessChain final : public Chain {
 public:
  // Started. The nodes run `executable` (this one, unless a test says otherwise).
  ProcessChain(const ChainPlan& plan, const Pki& pki, const std::string& executable = self_executable());
  ~ProcessChain() override;

  const LinkEnds& entry() const override { return entry_; }
  std::vector<NodeSnapshot> snapshot() override;
  void stop() override;
  void on_each_node_thread(const std::function<void(const std::string& node)>&) override;
  const std::vector<NodeResidence>& residence() const override { return residence_; }

 private:
  struct Child {
    std::string name;
    std::unique_ptr<ChildProcess> process;
  };
  // Throws RunError naming the child and saying how it ended.
  [[noreturn]] void child_failed(Child& child, std::string_view what);

  ScratchDir dir_;  // certificates, keys and Unix sockets
  std::vector<Child> children_;  // relays in order, then the origin
  std::vector<bssl::UniquePtr<SSL_CTX>> contexts_;  // the entry link's
  std::vector<NodeResidence> residence_;
  LinkEnds entry_;
};

}  // namespace hopcost
