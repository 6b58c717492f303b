#include "topologies/inproc_chain.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "node/origin.hpp"
#include "node/relay.hpp"
#include "topologies/link_ends.hpp"
#include "util/check.hpp"

namespace hopcost {

InprocChain::InprocChain(const ChainPlan& plan, const Pki& pki, const std::string& keep_dir) {
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
    // Real programs first: each picks the endpoint it will listen on, which the node
    // before it connects to.
    real_.resize(static_cast<size_t>(hops));
    for (int i = 0; i < hops; ++i) {
      const NodeSpec& spec = plan.nodes[i];
      if (spec.implementation == Implementation::hopcost) continue;
      if (!programs_dir_) {
        programs_dir_.emplace();
        // A program's workers may run as another user (Hitch's as nobody): they must be
        // able to pass through to its own directory (search, not listing).
        std::filesystem::permissions(programs_dir_->path(), std::filesystem::perms::others_exec,
                                     std::filesystem::perm_options::add);
      }
      // It has no delay line: the hopcost ends of its links carry their whole rtt.
      links_[i].real_server = true;
      links_[i + 1].real_client = true;
      real_[i] = std::make_unique<RealNode>(plan, static_cast<size_t>(i), links_[i], links_[i + 1], pki,
                                            programs_dir_->path() + "/" + spec.name,
                                            keep_dir.empty() ? std::string() : keep_dir + "/" + spec.name);
    }
    for (int i = 0; i < hops; ++i) {
      const NodeSpec& spec = plan.nodes[i];
      std::unique_ptr<Node> node;
      if (real_[i]) {
        nodes_.push_back(nullptr);
        continue;
      }
      if (spec.role == Role::relay) {
        node = std::make_unique<Relay>(spec.name, links_[i + 1], spec.upstream);
      } else if (plan.db) {
        // The app, once its database answers: PostgreSQL (and PgBouncer) first.
        db_dir_.emplace();
        // The programs' user must pass through to their files.
        std::filesystem::permissions(db_dir_->path(), std::filesystem::perms::others_exec,
                                     std::filesystem::perm_options::add);
        db_ = std::make_unique<DbChain>(*plan.db, plan.links.back().tls, pki, db_dir_->path(),
                                        keep_dir.empty() ? std::string() : keep_dir + "/database");
        auto app = std::make_unique<App>(spec.name, db_->target(), plan.db->policy, kDbQuery, plan.db_timeout);
        app_ = app.get();
        node = std::move(app);
      } else {
        node = std::make_unique<Origin>(spec.name, spec.response_bytes);
      }
      node->set_limits(plan.limits);
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
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i]) nodes_[i]->start(cpus_[i]);
  try {
    for (size_t i = real_.size(); i-- > 0;)
      if (real_[i]) real_[i]->launch();
  } catch (...) {
    stop();
    throw;
  }
}

std::vector<NodeSnapshot> InprocChain::snapshot() {
  // A database program that died fails the variant, by name (RunError: exit 3).
  if (db_) db_->check_running();
  std::vector<NodeSnapshot> out;
  for (size_t i = 0; i < nodes_.size(); ++i) out.push_back(nodes_[i] ? nodes_[i]->snapshot() : real_[i]->snapshot());
  return out;
}

std::map<std::string, std::string> InprocChain::programs() const {
  std::map<std::string, std::string> out;
  for (const auto& r : real_)
    if (r)
      for (const auto& [program, version] : r->versions()) out[program] = version;
  if (db_)
    for (const auto& [program, version] : db_->versions()) out[program] = version;
  return out;
}

void InprocChain::stop() {
  for (auto& n : nodes_)
    if (n) n->stop();
  for (auto& r : real_)
    if (r) r->stop();
  app_ = nullptr;
  if (db_) db_->stop();
  if (residence_.empty())
    for (size_t i = 0; i < nodes_.size(); ++i) {
      residence_.push_back(nodes_[i] ? NodeResidence{nodes_[i]->take_residence(), std::nullopt} : real_[i]->residence());
      logged_.push_back(nodes_[i] ? LoggedTls{} : real_[i]->logged_tls());
    }
  nodes_.clear();
  real_.clear();
  db_.reset();
  if (db_dir_) db_dir_->remove();
  if (sockets_) sockets_->remove();
  if (programs_dir_) programs_dir_->remove();
}

}  // namespace hopcost
