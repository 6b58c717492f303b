#include "topologies/real_node.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <set>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tls/pem.hpp"
#include "topologies/chain.hpp"
#include "topologies/launcher.hpp"
#include "topologies/link_ends.hpp"
#include "topologies/program.hpp"
#include "topologies/program_process.hpp"
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
  n.workers = spec.workers;
  n.cache_hits = spec.cache_hits;
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

// The node's configuration: generated, or the user's template filled in (--relay-config).
ProgramConfig node_config(Implementation implementation, const ProgramNode& node, const std::string& user_config) {
  const ProgramConfig generated = program_config(program_kind(implementation), node);
  if (user_config.empty()) return generated;
  return user_program_config(generated, node, user_config);
}

// The quoted argument after `directive` in a generated configuration, up to the end of
// its line (its trailing ';' left out): the log format hopcost reads.
std::string directive_argument(const std::string& text, std::string_view directive) {
  const size_t at = text.find(directive);
  HOPCOST_CHECK(at != std::string::npos);
  size_t begin = at + directive.size(), end = text.find('\n', begin);
  // Nginx's log_format continues on the next line while it is quoted parts.
  while (text[end - 1] != ';' && text[end - 1] != '"') end = text.find('\n', end + 1);
  // On one line, so that a filled file's line numbers are the template's.
  std::string arg;
  for (size_t i = begin; i < end; ++i) {
    if (text[i] == '\n') {
      while (i + 1 < end && text[i + 1] == ' ') ++i;
      arg += ' ';
    } else {
      arg += text[i];
    }
  }
  if (!arg.empty() && arg.back() == ';') arg.pop_back();
  return arg;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::map<std::string, std::string> user_config_values(const ProgramConfig& generated, const ProgramNode& node) {
  HOPCOST_CHECK(generated.kind == ProgramKind::haproxy || generated.kind == ProgramKind::nginx);
  const bool haproxy = generated.kind == ProgramKind::haproxy;
  auto address = [&](const Endpoint& e) {
    return e.transport == Transport::tcp ? fmt::format("{}:{}", e.host, e.port) : (haproxy ? "unix@" : "unix:") + e.path;
  };
  const std::string& text = generated.files.front().text;
  std::map<std::string, std::string> v;
  v["node"] = node.name;
  v["listen"] = address(node.listen.endpoint);
  v["upstream"] = address(node.upstream.endpoint);
  v["cert"] = node.listen.cert;
  v["key"] = node.listen.key;
  v["ca"] = traits(node.upstream.kind).tls ? node.upstream.ca : node.listen.ca;
  v["upstream_name"] = node.upstream.peer_name;
  v["bundle"] = haproxy && traits(node.listen.kind).tls ? run_file(node, "haproxy-listen.pem") : std::string();
  v["workers"] = std::to_string(node.workers);
  v["request_id_header"] = node.request_id_header;
  v["run_dir"] = node.run_dir + "/";
  v["access_log"] = haproxy ? "stdout" : generated.access_log.path;
  v["log_format"] = haproxy ? directive_argument(text, "log-format ") : directive_argument(text, "log_format hopcost ");
  v["pid"] = haproxy ? std::string() : run_file(node, "nginx.pid");
  v["user_line"] = node.user.empty() || haproxy ? std::string() : fmt::format("user {};", node.user);
  return v;
}

std::string fill_user_config(const std::string& text, const std::map<std::string, std::string>& values,
                             const std::string& file, std::string_view program) {
  std::string out;
  std::set<std::string> used;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) throw ConfigError(fmt::format("--relay-config {}: '{{{{' without '}}}}'", file));
    const std::string name = text.substr(open + 2, close - open - 2);
    const auto it = values.find(name);
    if (it == values.end()) {
      std::string accepted;
      for (const auto& [k, _] : values) accepted += (accepted.empty() ? "{{" : ", {{") + k + "}}";
      throw ConfigError(fmt::format("--relay-config {}: unknown placeholder {{{{{}}}}}; accepted: {}", file, name, accepted));
    }
    out += text.substr(pos, open - pos) + it->second;
    used.insert(name);
    pos = close + 2;
  }
  out += text.substr(pos);
  std::vector<std::string> required{"listen", "upstream", "log_format"};
  if (program == "nginx") required.push_back("access_log");
  for (const auto& r : required)
    if (!used.count(r))
      throw ConfigError(fmt::format("--relay-config {}: the {} configuration must use {{{{{}}}}} (hopcost fills in {}; "
                                    "docs/real-programs.md)",
                                    file, program, r,
                                    r == "listen"     ? "the address the node before it connects to"
                                    : r == "upstream" ? "the address of the node after it"
                                                      : "hopcost's access log, which the readiness probe and the "
                                                        "residence times read"));
  return out;
}

ProgramConfig user_program_config(const ProgramConfig& generated, const ProgramNode& node, const std::string& file) {
  if (generated.kind != ProgramKind::haproxy && generated.kind != ProgramKind::nginx)
    throw ConfigError(fmt::format("--relay-config {}={}: node {} is {}; a configuration of one's own is for haproxy or "
                                  "nginx nodes",
                                  node.name, file, node.name, to_string(generated.kind)));
  ProgramConfig c = generated;
  ProgramFile& main = c.files.front();
  // The note goes last, so that the checker's line numbers are the user's file's.
  main.text = fill_user_config(read_text(file), user_config_values(generated, node), node.name + "=" + file,
                               to_string(c.kind));
  if (!main.text.empty() && main.text.back() != '\n') main.text += '\n';
  main.text += fmt::format("# {} (--relay-config) for node {}, filled in by hopcost.\n", file, node.name);
  return c;
}

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
    // The delay line lives in hopcost's link ends: a link between two real programs has
    // none to emulate its round-trip time.
    if (i + 1 < plan.nodes.size() &&
        plan.nodes[i + 1].implementation != Implementation::hopcost && plan.links[i + 1].rtt.count() > 0)
      throw ConfigError(fmt::format("--rtt: link {} joins two real programs, {} ({}) and {} ({}), and the emulated "
                                    "network lives in hopcost's link ends; give that link rtt=0 "
                                    "(--topology '…,tcp/rtt=0,…') or a hopcost relay at one end",
                                    i + 1, spec.name, program, plan.nodes[i + 1].name,
                                    to_string(plan.nodes[i + 1].implementation)));
    // TLS 1.2 with an ECDSA certificate needs the certificate's curve in the group list
    // too; hopcost's ends add it (tls/context.cpp), the programs' configurations do not.
    for (const size_t l : {i, i + 1}) {
      const LinkSpec& link = plan.links[l];
      const bool ecdsa = link.key == KeyType::ecdsa_p256 || link.key == KeyType::ecdsa_p384;
      if (traits(link.kind).tls && link.tls == TlsVersion::v1_2 && link.group && ecdsa)
        throw ConfigError(fmt::format("--group {} with --tls 1.2 and an ECDSA certificate on link {}: {} would offer "
                                      "that group alone, and TLS 1.2 also needs the certificate's curve there; use "
                                      "--tls 1.3, no --group, or --key rsa-2048",
                                      to_string(*link.group), l, program));
    }
    // Endpoints and paths as they will be; nothing is written or started.
    Endpoint listen, upstream;
    listen.transport = traits(plan.links[i].kind).transport;
    upstream.transport = traits(plan.links[i + 1].kind).transport;
    listen.port = upstream.port = 1;
    listen.path = "/tmp/hopcost-check/listen.sock";
    upstream.path = "/tmp/hopcost-check/upstream.sock";
    if (!spec.user_config.empty() && spec.implementation != Implementation::haproxy &&
        spec.implementation != Implementation::nginx)
      throw ConfigError(fmt::format("--relay-config {}={}: node {} is {}; a configuration of one's own is for haproxy or "
                                    "nginx nodes",
                                    spec.name, spec.user_config, spec.name, program));
    const ProgramConfig config = program_config(program_kind(spec.implementation),
                                                program_node(plan, i, listen, upstream, "/tmp/hopcost-check"));
    for (const auto& p : config.processes) resolve_binary(p.command);
    if (!spec.user_config.empty()) check_user_config(plan, i);
  }
}

void check_user_config(const ChainPlan& plan, size_t index) {
  const NodeSpec& spec = plan.nodes[index];
  // The user's file, filled in as it would be, with real certificates in a scratch
  // directory, through the program's own check; nothing is started, and nothing is left.
  ScratchDir scratch;
  const std::string dir = scratch.path();
  const Pki pki("hopcost check CA");
  const LinkSpec& in = plan.links[index];
  const LinkSpec& out = plan.links[index + 1];
  write_certificate(dir + "/ca.pem", pki.ca_cert());
  if (traits(in.kind).tls) {
    write_credential(dir, "server", pki.issue(dns_name(spec.name), in.key, in.chain_depth));
    if (in.mtls) write_credential(dir, "probe", pki.issue(dns_name(client_node_of(plan, index)), in.key, in.chain_depth));
  }
  if (traits(out.kind).tls && out.mtls) write_credential(dir, "client", pki.issue(dns_name(spec.name), out.key, out.chain_depth));
  Endpoint listen, upstream;
  listen.transport = traits(in.kind).transport;
  upstream.transport = traits(out.kind).transport;
  listen.port = upstream.port = 1;
  listen.path = dir + "/listen.sock";
  upstream.path = dir + "/upstream.sock";
  const ProgramConfig config = node_config(spec.implementation, program_node(plan, index, listen, upstream, dir), spec.user_config);
  try {
    write_program_files(config);
    check_program_config(config);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("--relay-config {}={}: {}", spec.name, spec.user_config, e.what()));
  } catch (const RunError& e) {
    throw ConfigError(fmt::format("--relay-config {}={}: {}", spec.name, spec.user_config, e.what()));
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
  ProgramConfig config = node_config(implementation_, *spec_, plan_.nodes[index_].user_config);
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
    // One pass over the processes: the node's CPU and each helper's, at the same instant.
    uint64_t total = 0;
    for (const auto& p : program_->pids()) {
      const auto cpu = process_cpu(p.pid);
      if (!cpu) continue;
      const auto ns = static_cast<uint64_t>(cpu->count());
      total += ns;
      if (!p.helper) continue;
      auto it = std::find_if(s.helper_cpu_ns.begin(), s.helper_cpu_ns.end(), [&](const auto& h) { return h.first == p.process; });
      if (it == s.helper_cpu_ns.end()) s.helper_cpu_ns.emplace_back(p.process, ns); else it->second += ns;
    }
    s.cpu_ns = total;
    // Every helper the node has, even one whose CPU could not be read this time.
    for (const auto& proc : program_->config().processes)
      if (proc.helper && std::none_of(s.helper_cpu_ns.begin(), s.helper_cpu_ns.end(), [&](const auto& h) { return h.first == proc.name; }))
        s.helper_cpu_ns.emplace_back(proc.name, 0);
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

LoggedTls RealNode::logged_tls() const {
  LoggedTls out;
  out.program = std::string(to_string(implementation_));
  if (!program_ || program_->config().access_log.path.empty()) return out;
  // What each generated log format carries: HAProxy both ends (resumed=, upstream_resumed=),
  // Nginx its listening end (resumed=$ssl_session_reused: "r" or "."); Varnish's
  // varnishncsa sees no TLS (Hitch and stunnel do it), stunnel keeps no log.
  const bool tls_in = traits(plan_.links[index_].kind).tls, tls_out = traits(plan_.links[index_ + 1].kind).tls;
  const bool haproxy = implementation_ == Implementation::haproxy, nginx = implementation_ == Implementation::nginx;
  if (!haproxy && !nginx) return out;
  std::vector<AccessRecord> records;
  try {
    records = read_access_log(program_->config().access_log.path);
  } catch (const RunError&) {
    return out;
  }
  if (tls_in) out.listen_resumed.emplace();
  if (tls_out && haproxy) out.upstream_resumed.emplace();
  auto flag = [](const std::optional<std::string>& v) -> std::optional<bool> {
    if (!v) return std::nullopt;
    if (*v == "1" || *v == "r") return true;
    if (*v == "0" || *v == ".") return false;
    return std::nullopt;  // "-": not a TLS connection, or not known
  };
  for (const auto& r : records) {
    uint64_t id = 0;
    const char* end = r.request_id.data() + r.request_id.size();
    const auto [p, ec] = std::from_chars(r.request_id.data(), end, id);
    if (ec != std::errc{} || p != end) continue;
    if (out.listen_resumed)
      if (const auto f = flag(r.field("resumed"))) (*out.listen_resumed)[id] = *f;
    if (out.upstream_resumed)
      if (const auto f = flag(r.field("upstream_resumed"))) (*out.upstream_resumed)[id] = *f;
  }
  return out;
}

}  // namespace hopcost
