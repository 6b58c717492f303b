// Placement inproc: every node its own thread with its own io_context, in this process.
#pragma once

#include <optional>

#include "node/node.hpp"
#include "topologies/chain.hpp"

namespace hopcost {

class InprocChain final : public Chain {
 public:
  InprocChain(const ChainPlan& plan, const Pki& pki);  // bound, not yet started
  ~InprocChain() override;

  void start();
  const LinkEnds& entry() const override { return links_.front(); }
  std::vector<NodeSnapshot> snapshot() override;
  void stop() override;
  void on_each_node_thread(const std::function<void(const std::string& node)>& f) override {
    for (auto& n : nodes_) n->run_on_thread([&] { f(n->name()); });
  }
  const std::vector<NodeResidence>& residence() const override { return residence_; }

  // Relays in order, then the origin (empty after stop()).
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  // The directory of its Unix sockets; empty if it has none.
  std::string socket_dir() const { return sockets_ ? sockets_->path() : std::string(); }

 private:
  std::vector<bssl::UniquePtr<SSL_CTX>> contexts_;
  std::vector<LinkEnds> links_;  // never resized after construction: nodes point into it
  std::vector<std::unique_ptr<Node>> nodes_;
  std::optional<ScratchDir> sockets_;
  std::vector<std::optional<int>> cpus_;
  std::vector<NodeResidence> residence_;
};

}  // namespace hopcost
