// stunnel (Debian 12: 5.68, OpenSSL 3) as a relay. stunnel relays bytes: it does not parse
// HTTP, so it keeps no access log of requests (its residence is unknown) and cannot pool.
//
// - A service is either a TLS server (TLS accepted, plaintext connected) or a TLS client
//   (plaintext accepted, TLS connected). A link with TLS on both ends therefore runs two
//   services chained through a Unix socket in the run directory: a real cost of re-encrypting
//   with stunnel, and part of its hop. Plaintext on both ends is refused: there is nothing
//   for stunnel to do.
// - TLS out: `verifyChain = yes` with `CAfile`, `checkHost` (the upstream's name) and `sni`;
//   sslVersionMin/Max, `curves`; `sessionResume = no` turns resumption off (stunnel's
//   client keeps the last session of each service and offers it otherwise); cert/key with
//   mTLS.
// - TLS in: cert/key, versions, curves; with mTLS verifyChain + CAfile (+ checkHost on the
//   client's name when one is given).
// - Upstream policy: `1:1` is what stunnel is (one upstream connection per client
//   connection); `pool` is refused.
// - Threads: one per connection (stunnel's PTHREAD model); it has no worker count, so only
//   the default of 1 is accepted.
// - No configuration check: stunnel has no check mode. A bad configuration shows when it
//   starts: it exits with its reason on stderr, which the launcher reports.
#include "topologies/stunnel.hpp"

#include <fmt/format.h>

namespace hopcost {
namespace {

constexpr std::string_view kProgram = "stunnel";

std::string address(const Endpoint& e) {
  return e.transport == Transport::tcp ? fmt::format("{}:{}", e.host, e.port) : e.path;
}

std::string versions(const ProgramEnd& end) {
  return fmt::format("sslVersionMin = {}\nsslVersionMax = {}\n", openssl_protocol(min_version(end.versions)),
                     openssl_protocol(max_version(end.versions)));
}

std::string server_service(const ProgramNode& node, std::string_view service, const Endpoint& connect) {
  const ProgramEnd& in = node.listen;
  std::string s = fmt::format("[{}]\n; TLS in from the client, plaintext on\naccept = {}\nconnect = {}\ncert = {}\nkey = {}\n",
                              service, address(in.endpoint), address(connect), in.cert, in.key);
  s += versions(in);
  if (in.group) s += fmt::format("curves = {}\n", openssl_group(kProgram, *in.group, "listening"));
  if (in.mtls) {
    s += fmt::format("CAfile = {}\nverifyChain = yes\nrequireCert = yes\n", in.ca);
    if (!in.peer_name.empty()) s += fmt::format("checkHost = {}\n", in.peer_name);
  }
  s += "TIMEOUTclose = 0\n";
  return s;
}

}  // namespace

std::string stunnel_global_section(const ProgramNode& node, std::string_view comment) {
  return fmt::format(
      "; {}\n; stunnel has no configuration check: a bad setting shows as an exit with its reason on stderr.\n"
      "foreground = yes\npid = {}\nsyslog = no\ndebug = warning\n\n",
      comment, run_file(node, "stunnel.pid"));
}

std::string stunnel_client_service(const ProgramNode& node, std::string_view service, const Endpoint& accept,
                                   std::string_view program) {
  const ProgramEnd& up = node.upstream;
  std::string s = fmt::format(
      "[{}]\n; plaintext in, TLS out to the upstream, verified (chain and name)\nclient = yes\naccept = {}\nconnect = {}\n"
      "CAfile = {}\nverifyChain = yes\ncheckHost = {}\nsni = {}\n",
      service, address(accept), address(up.endpoint), up.ca, up.peer_name, up.peer_name);
  s += versions(up);
  if (up.group) s += fmt::format("curves = {}\n", openssl_group(program, *up.group, "upstream"));
  if (!node.upstream_resumption) s += "; upstream resumption off\nsessionResume = no\n";
  if (up.mtls) s += fmt::format("cert = {}\nkey = {}\n", up.cert, up.key);
  s += "TIMEOUTclose = 0\n";
  return s;
}

ProcessPlan stunnel_process(const ProgramNode& node, const std::string& conf, bool helper) {
  ProcessPlan p;
  p.name = "stunnel";
  p.command = {"stunnel", "stunnel4", {conf}};
  p.version = {"stunnel", "stunnel4", {"-version"}};
  p.helper = helper;
  p.stdout_path = run_file(node, "stunnel.stdout");
  p.stderr_path = run_file(node, "stunnel.stderr");
  return p;
}

ProgramConfig stunnel_config(const ProgramNode& node) {
  check_program_node(kProgram, node);
  const bool tls_in = traits(node.listen.kind).tls;
  const bool tls_out = traits(node.upstream.kind).tls;
  if (!tls_in && !tls_out) throw UnsupportedSetting(std::string(kProgram), "plaintext on both ends (it is a TLS wrapper)");
  if (node.policy == UpstreamPolicy::pool)
    throw UnsupportedSetting(std::string(kProgram), "upstream policy pool (it relays bytes: one upstream connection per client connection)");
  if (node.workers != 1)
    throw UnsupportedSetting(std::string(kProgram), fmt::format("{} workers (it runs a thread per connection, with no worker count)", node.workers));

  ProgramConfig c;
  c.kind = ProgramKind::stunnel;
  c.node = node.name;
  const std::string conf = run_file(node, "stunnel.conf");
  std::string text = stunnel_global_section(
      node, fmt::format("Generated by hopcost for node {} (topologies/stunnel.cpp). Run as: stunnel {}", node.name, conf));
  if (node.listen.endpoint.transport == Transport::uds) c.sockets.push_back(node.listen.endpoint.path);
  if (tls_in && tls_out) {
    // Two services: TLS is terminated, then originated again, through a socket in the run dir.
    Endpoint inner;
    inner.transport = Transport::uds;
    inner.path = run_socket(node, "stunnel-inner.sock");
    c.sockets.push_back(inner.path);
    text += "; TLS on both ends: a server service and a client service, chained through a Unix socket\n";
    text += server_service(node, node.name + "-in", inner) + "\n";
    text += stunnel_client_service(node, node.name + "-out", inner, kProgram);
  } else if (tls_in) {
    text += server_service(node, node.name, node.upstream.endpoint);
  } else {
    text += stunnel_client_service(node, node.name, node.listen.endpoint, kProgram);
  }
  c.files.push_back({conf, std::move(text)});
  c.processes.push_back(stunnel_process(node, conf, false));
  c.access_log = {"", std::chrono::nanoseconds(0), "none: stunnel relays bytes and logs no requests"};
  return c;
}

}  // namespace hopcost
