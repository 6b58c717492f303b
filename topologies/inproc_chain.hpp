// Placement inproc: every node its own thread with its own io_context, in this process.
#pragma once

#include <optional>

#include "node/node.hpp"
#include "topologies/chain.hpp"
#include "topologies/real_node.hpp"

namespace hopcost {

class InprocChain final : public Chain {
 public:
  // Bound, not yet started. Real programs (topologies/real_node.hpp) are prepared, and
  // launched by start() once hopcost's own nodes run, the origin's side first (each is
  // ready only when a request through it is answered).
  InprocChain(const ChainPlan& plan, const Pki& pki, const std::string& keep_dir = {});
  ~InprocChain() override;

  void start();
  const LinkEnds& entry() const override { return links_.front(); }
  std::vector<NodeSnapshot> snapshot() override;
  void stop() override;
  void on_each_node_thread(const std::function<void(const std::string& node)>& f) override {
    for (auto& n : nodes_)
      if (n) n->run_on_thread([&] { f(n->name()); });
  }
  std::map<std::string, std::string> programs() const override;
  const std::vector<NodeResidence>& residence() const override { return residence_; }
  std::vector<LoggedTls> logged_tls() const override { return logged_; }
  std::optional<DbSnapshot> db_snapshot(DbChain::WindowEdge edge) const override {
    return db_ ? std::optional<DbSnapshot>(db_->snapshot(edge)) : std::nullopt;
  }
  std::optional<AppCounters> app_counters() const override {
    return app_ ? std::optional<AppCounters>(app_->counters()) : std::nullopt;
  }

  // Relays in order, then the origin (empty after stop()); null where a real program is.
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  // The directory of its Unix sockets; empty if it has none.
  std::string socket_dir() const { return sockets_ ? sockets_->path() : std::string(); }

 private:
  std::vector<bssl::UniquePtr<SSL_CTX>> contexts_;
  std::vector<LinkEnds> links_;  // never resized after construction: nodes point into it
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<RealNode>> real_;  // per node: set where a real program is
  std::optional<ScratchDir> programs_dir_;       // their files, logs and sockets
  std::optional<ScratchDir> sockets_;
  std::vector<std::optional<int>> cpus_;
  std::optional<ScratchDir> db_dir_;  // the database tail's certificates and files
  std::unique_ptr<DbChain> db_;       // --db: PostgreSQL (and PgBouncer), started before the app
  App* app_ = nullptr;                // the origin, when it is the app (owned by nodes_)
  std::vector<NodeResidence> residence_;
  std::vector<LoggedTls> logged_;
};

}  // namespace hopcost
