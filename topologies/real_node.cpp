#include "topologies/real_node.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tls/pem.hpp"
#include "topologies/chain.hpp"
#include "topologies/launcher.hpp"
#include "topologies/link_ends.hpp"
#include "topologies/program.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

namespace fs = std::filesystem;

ProgramKind program_kind(Implementation i) {
  switch (i) {
    case Implementation::haproxy:
      return ProgramKind::haproxy;
    case Implementation::nginx:
      return ProgramKind::nginx;
    case Implementation::varnish:
      return ProgramKind::varnish;
    case Implementation::stunnel:
      return ProgramKind::stunnel;
    case Implementation::hopcost:
      break;
  }
  HOPCOST_CHECK(false && "hopcost's own relay is not a real program");
}

ProgramEnd end_of(const LinkSpec& link, const Endpoint& endpoint) {
  ProgramEnd e;
  e.kind = link.kind;
  e.endpoint = endpoint;
  e.versions = {link.tls};
  e.group = link.group;
  e.mtls = link.mtls;
  return e;
}

// The node's spec for its launcher, with the files it names under `dir` (written by the
// caller when it runs, or not at all for the up-front check).
ProgramNode program_node(const ChainPlan& plan, size_t index, const Endpoint& listen, const Endpoint& upstream,
                         const std::string& dir) {
  const NodeSpec& spec = plan.nodes[index];
  HOPCOST_CHECK(spec.role == Role::relay && index + 1 < plan.links.size());
  const LinkSpec& in = plan.links[index];
  const LinkSpec& out = plan.links[index + 1];
  ProgramNode n;
  n.name = spec.name;
  n.run_dir = dir;
  n.policy = spec.upstream;
  n.upstream_resumption = out.resume;
  n.tls_name = dns_name(spec.name);
  n.user = worker_user(program_kind(spec.implementation), ::geteuid() == 0);
  n.listen = end_of(in, listen);
  n.upstream = end_of(out, upstream);
  if (traits(in.kind).tls) {
    n.listen.cert = dir + "/server.pem";
    n.listen.key = dir + "/server.key";
    n.listen.ca = dir + "/ca.pem";
    if (in.mtls) {
      n.listen.peer_name = dns_name(client_node_of(plan, index));
      n.probe_cert = dir + "/probe.pem";
      n.probe_key = dir + "/probe.key";
    }
  }
  if (traits(out.kind).tls) {
    n.upstream.ca = dir + "/ca.pem";
    n.upstream.peer_name = dns_name(plan.nodes[index + 1].name);
    if (out.mtls) {
      n.upstream.cert = dir + "/client.pem";
      n.upstream.key = dir + "/client.key";
    }
  }
  return n;
}

}  // namespace

bool has_real_nodes(const ChainPlan& plan) {
  for (const auto& n : plan.nodes)
    if (n.implementation != Implementation::hopcost) return true;
  return false;
}

void check_real_nodes(const ChainPlan& plan, Placement placement, bool count_instructions) {
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const NodeSpec& spec = plan.nodes[i];
    if (spec.implementation == Implementation::hopcost) continue;
    const std::string program(to_string(spec.implementation));
    if (placement != Placement::inproc)
      throw ConfigError(fmt::format("--relay {}: a real program runs beside hopcost's own nodes with --placement inproc "
                                    "(it is a process of its own either way); --placement {} is not supported with it",
                                    program, to_string(placement)));
    if (count_instructions)
      throw ConfigError(fmt::format("--count-instructions counts hopcost's own threads; {} would be left out: run it "
                                    "without real programs",
                                    program));
    // Endpoints and paths as they will be; nothing is written or started.
    Endpoint listen, upstream;
    listen.transport = traits(plan.links[i].kind).transport;
    upstream.transport = traits(plan.links[i + 1].kind).transport;
    listen.port = upstream.port = 1;
    listen.path = "/tmp/hopcost-check/listen.sock";
    upstream.path = "/tmp/hopcost-check/upstream.sock";
    const ProgramConfig config =
        program_config(program_kind(spec.implementation), program_node(plan, i, listen, upstream, "/tmp/hopcost-check"));
    for (const auto& p : config.processes) resolve_binary(p.command);
  }
}

RealNode::RealNode(const ChainPlan& plan, size_t index, LinkEnds& listen, const LinkEnds& upstream, const Pki& pki,
                   std::string scratch_dir, std::string keep_dir)
    : name_(plan.nodes[index].name),
      implementation_(plan.nodes[index].implementation),
      plan_(plan),
      index_(index),
      listen_(&listen),
      upstream_(&upstream),
      scratch_dir_(std::move(scratch_dir)),
      keep_dir_(std::move(keep_dir)) {
  HOPCOST_CHECK(implementation_ != Implementation::hopcost);
  std::error_code ec;
  fs::create_directories(scratch_dir_, ec);
  if (ec) throw RunError(fmt::format("cannot create {}: {}", scratch_dir_, ec.message()));
  // The node before it connects here: the endpoint is fixed now.
  if (listen.endpoint.transport == Transport::tcp) listen.endpoint.port = free_loopback_port();
  const LinkSpec& in = plan.links[index];
  const LinkSpec& out = plan.links[index + 1];
  write_certificate(scratch_dir_ + "/ca.pem", pki.ca_cert());
  if (traits(in.kind).tls) {
    write_credential(scratch_dir_, "server", pki.issue(dns_name(name_), in.key, in.chain_depth, in.expired));
    if (in.mtls)
      write_credential(scratch_dir_, "probe", pki.issue(dns_name(client_node_of(plan, index)), in.key, in.chain_depth));
  }
  if (traits(out.kind).tls && out.mtls)
    write_credential(scratch_dir_, "client", pki.issue(dns_name(name_), out.key, out.chain_depth));
}

RealNode::~RealNode() { stop(); }

void RealNode::launch() {
  // Its upstream is bound by now (a hopcost node's port is the kernel's pick).
  spec_ = std::make_unique<ProgramNode>(program_node(plan_, index_, listen_->endpoint, upstream_->endpoint, scratch_dir_));
  ProgramConfig config = program_config(program_kind(implementation_), *spec_);
  access_log_ = config.access_log.path;
  // What ran, for the user to read: the generated files, as written.
  if (!keep_dir_.empty()) {
    std::error_code ec;
    fs::create_directories(keep_dir_, ec);
    for (const auto& f : config.files) {
      std::ofstream(fs::path(keep_dir_) / fs::path(f.path).filename()) << f.text;
    }
  }
  std::string main_process;
  for (const auto& p : config.processes)
    if (!p.helper && main_process.empty()) main_process = p.name;
  program_ = std::make_unique<LaunchedProgram>(config, probe_target(*spec_));
  versions_ = program_->versions();
  if (const auto it = versions_.find(main_process); it != versions_.end()) version_ = it->second;
}

NodeSnapshot RealNode::snapshot() const {
  NodeSnapshot s;
  s.name = name_;
  s.role = Role::relay;
  if (program_) {
    const_cast<LaunchedProgram&>(*program_).check_running();
    s.cpu_ns = static_cast<uint64_t>(program_->cpu().count());
  }
  s.implementation = std::string(to_string(implementation_));
  s.version = version_;
  return s;
}

void RealNode::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (program_) program_->stop();
}

NodeResidence RealNode::residence() const {
  if (!program_) return NodeResidence{{}, name_ + " (" + std::string(to_string(implementation_)) + ") did not start"};
  NodeResidence r = residence_from_access_log(program_->config().access_log);
  r.resolution_ns = std::max<uint64_t>(1, static_cast<uint64_t>(program_->config().access_log.resolution.count()));
  if (r.unknown_reason) *r.unknown_reason = name_ + " (" + std::string(to_string(implementation_)) + "): " + *r.unknown_reason;
  return r;
}

std::map<std::string, std::string> RealNode::versions() const { return versions_; }

}  // namespace hopcost
