#include "topologies/process_chain.hpp"

#include <signal.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "net/url.hpp"
#include "topologies/link_ends.hpp"
#include "tls/pem.hpp"
#include "tls/tickets.hpp"
#include "util/duration.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

// Seconds as the nodes' flags take them, exactly: "10", "0.25".
std::string seconds_text(std::chrono::nanoseconds d) { return fmt::format("{:g}", std::chrono::duration<double>(d).count()); }

constexpr std::chrono::seconds kStartTimeout{10};
constexpr std::chrono::seconds kStatsTimeout{5};
constexpr std::string_view kReadyPrefix = "listening on ";
}  // namespace

ProcessChain::ProcessChain(const ChainPlan& plan, const Pki& pki, const std::string& exe) {
  const int hops = plan.hops();
  const std::string dir = dir_.path();
  write_certificate(dir + "/ca.pem", pki.ca_cert());

  children_.resize(static_cast<size_t>(hops));
  std::string upstream_url;  // of node i + 1, once it is up
  for (int i = hops - 1; i >= 0; --i) {
    const LinkSpec& link = plan.links[i];
    const NodeSpec& node = plan.nodes[i];
    const bool origin = node.role == Role::origin;
    Endpoint listen;
    listen.transport = traits(link.kind).transport;
    listen.path = fmt::format("{}/link{}.sock", dir, i);
    std::vector<std::string> args{origin ? "origin" : "hop", "--name", node.name, "--listen", to_url(link.kind, listen),
                                  "--tls", std::string(to_string(link.tls)), "--tickets", std::string(tickets_text(link.tickets)),
                                  "--rtt", format_rtt(link.rtt), "--residence-file", dir + "/" + node.name + ".residence",
                                  "--head-timeout", seconds_text(plan.limits.head_timeout),
                                  "--idle-timeout", seconds_text(plan.limits.idle_timeout),
                                  // A run puts no cap on connections (the run checks its descriptors itself):
                                  // the most the flag takes, not a standalone node's default.
                                  "--max-connections", "10000000"};
    if (node.cpu) args.insert(args.end(), {"--cpu", std::to_string(*node.cpu)});
    if (link.group) args.insert(args.end(), {"--group", std::string(to_string(*link.group))});
    if (traits(link.kind).tls) {
      write_credential(dir, node.name, pki.issue(dns_name(node.name), link.key, link.chain_depth, link.expired));
      args.insert(args.end(), {"--cert", dir + "/" + node.name + ".pem", "--key", dir + "/" + node.name + ".key"});
      if (link.mtls)
        args.insert(args.end(), {"--client-ca", dir + "/ca.pem", "--client-name",
                                 dns_name(client_node_of(plan, static_cast<size_t>(i)))});
      // How its clients resume (TLS 1.2 session IDs), and 0-RTT on the client's link.
      if (link.tls == TlsVersion::v1_2) args.insert(args.end(), {"--resume", std::string(to_string(link.resume_by))});
      if (link.early_data) args.insert(args.end(), {"--early-data", "on"});
    }
    if (origin) {
      args.insert(args.end(), {"--response-bytes", std::to_string(node.response_bytes)});
    } else {
      const LinkSpec& up = plan.links[i + 1];
      args.insert(args.end(), {"--upstream", upstream_url, "--upstream-name", dns_name(plan.nodes[i + 1].name),
                               "--upstream-rtt", format_rtt(up.rtt), "--upstream-policy",
                               std::string(to_string(node.upstream)), "--upstream-resume", up.resume ? "on" : "off"});
      if (traits(up.kind).tls) args.insert(args.end(), {"--ca", dir + "/ca.pem"});
      if (traits(up.kind).tls && up.mtls) {  // this relay is the client of link i + 1: its own client identity
        const std::string stem = node.name + "-client";
        write_credential(dir, stem, pki.issue(dns_name(node.name), up.key, up.chain_depth));
        args.insert(args.end(), {"--upstream-cert", dir + "/" + stem + ".pem", "--upstream-key", dir + "/" + stem + ".key"});
      }
    }
    Child& child = children_[static_cast<size_t>(i)];
    child.name = node.name;
    child.process = std::make_unique<ChildProcess>(exe, args);
    const auto line = child.process->read_line(kStartTimeout);
    if (!line || line->rfind(kReadyPrefix, 0) != 0) child_failed(child, "did not start");
    upstream_url = line->substr(kReadyPrefix.size());
  }

  entry_ = plan_link_ends(plan.links.front(), client_node_of(plan, 0), plan.nodes.front().name,
                          parse_node_url(upstream_url).endpoint, pki, Ends::connecting_only, contexts_);
}

ProcessChain::~ProcessChain() { stop(); }

void ProcessChain::child_failed(Child& child, std::string_view what) {
  // A node that dies closes its stdout a moment before it can be waited for (the kernel
  // closes a process's files before it makes it a zombie): give it that moment, so that
  // the failure says how it ended. Seen under TSan on a busy machine: "no answer in
  // time" for a node killed by SIGKILL. Bounded; only on the way to a failure.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (!child.process->exited() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string status = child.process->status_text();
  throw RunError(fmt::format("{} (pid {}) {}: {}", child.name, child.process->pid(), what,
                             status == "running" ? "no answer in time" : status));
}

std::vector<NodeSnapshot> ProcessChain::snapshot() {
  // Ask all first, then read: the snapshots are as close together in time as they can be.
  for (auto& c : children_) c.process->signal(SIGUSR1);
  std::vector<NodeSnapshot> out;
  for (auto& c : children_) {
    const auto line = c.process->read_line(kStatsTimeout);
    if (!line) child_failed(c, "died during the run");
    try {
      out.push_back(snapshot_from_json(nlohmann::json::parse(*line)));
    } catch (const nlohmann::json::exception& e) {
      child_failed(c, fmt::format("sent statistics that do not parse ({})", e.what()));
    }
  }
  return out;
}

void ProcessChain::on_each_node_thread(const std::function<void(const std::string& node)>&) {
  throw RunError("per-thread work in the nodes (instruction counting) needs --placement inproc");
}

void ProcessChain::stop() {
  for (auto& c : children_) c.process->signal(SIGTERM);
  for (auto& c : children_) c.process->terminate(std::chrono::seconds(2));
  // Each node wrote its residence samples as it exited. A node that died wrote none:
  // its shares are then unknown (the others keep theirs), and its failure is reported.
  for (auto& c : children_) {
    try {
      residence_.push_back(NodeResidence{read_residence_file(dir_.path() + "/" + c.name + ".residence"), std::nullopt});
    } catch (const RunError&) {
      residence_.push_back(NodeResidence{{}, c.name + " wrote no residence times (its process did not exit cleanly)"});
    }
  }
  children_.clear();
  dir_.remove();
}

}  // namespace hopcost
