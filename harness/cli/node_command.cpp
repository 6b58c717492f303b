#include "cli/node_command.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "net/transport.hpp"
#include "net/url.hpp"
#include "node/origin.hpp"
#include "node/relay.hpp"
#include "node/upstream_policy.hpp"
#include "tls/context.hpp"
#include "tls/pem.hpp"
#include "cli/link_flags.hpp"
#include "tls/tickets.hpp"
#include "util/duration.hpp"
#include "topologies/cpu_policy.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

constexpr auto kProbeTimeout = std::chrono::seconds(2);

asio::awaitable<error_code> connect_once(Endpoint endpoint) {
  auto [ec, socket] = co_await connect_to(endpoint);
  co_return ec;
}

// Connects once to `endpoint` and closes: is anything listening there?
error_code probe(const Endpoint& endpoint) {
  asio::io_context io(1);
  error_code result = asio::error::timed_out;
  asio::co_spawn(io, connect_once(endpoint), [&](std::exception_ptr, error_code ec) { result = ec; });
  io.run_for(kProbeTimeout);
  return result;
}

// A Unix-socket path may be reused only if it is a socket nobody listens on any more.
void check_unix_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) throw ConfigError(fmt::format("--listen: '{}' exists and is not a socket", path));
  Endpoint e;
  e.transport = Transport::uds;
  e.path = path;
  if (!probe(e)) throw ConfigError(fmt::format("--listen: '{}' is in use: something accepts connections on it", path));
  ::unlink(path.c_str());  // a stale socket left by a process that is gone
}

// The key type of a loaded certificate key (what TLS 1.2's suite must sign with).
KeyType key_type_of(const EVP_PKEY* key) {
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_RSA:
      return EVP_PKEY_bits(key) > 2048 ? KeyType::rsa_4096 : KeyType::rsa_2048;
    case EVP_PKEY_ED25519:
      return KeyType::ed25519;
    case EVP_PKEY_EC:
      return EVP_PKEY_bits(key) > 256 ? KeyType::ecdsa_p384 : KeyType::ecdsa_p256;
  }
  throw ConfigError("--key: the private key is neither ECDSA, RSA nor Ed25519");
}

void print_snapshot(const Node& node) {
  std::cout << to_json(node.snapshot()).dump() << std::endl;  // one line, flushed
}

}  // namespace

void register_node_commands(CLI::App& parent, NodeCommand& origin, NodeCommand& hop) {
  const std::string common_footer =
      "The first line on stdout is 'listening on URL' with the address bound (port 0 picks one). Each SIGUSR1 "
      "prints the node's statistics as one line of JSON, and so does SIGINT or SIGTERM, which then stop the node. "
      "docs/standalone-nodes.md documents the statistics.";
  auto add_common = [&](CLI::App* app, NodeCommand& c) {
    app->add_option("--listen", c.listen, "Where to listen: tls://127.0.0.1:8443, tcp://127.0.0.1:8080, unix:/PATH or tls+unix:/PATH (loopback only)")
        ->required()
        ->type_name("URL");
    app->add_option("--cert", c.cert, "Certificate (PEM) presented on a TLS --listen")->type_name("FILE");
    app->add_option("--key", c.key, "Private key (PEM) of --cert")->type_name("FILE");
    app->add_option("--tls", c.tls, "TLS versions accepted and offered: 1.2, 1.3 or both [default: both]")->type_name("VERSION");
    app->add_option("--group", c.group,
                    "The only TLS key-exchange group offered and accepted, on both links: x25519, p-256, p-384, cecpq2 "
                    "[default: x25519, then p-256]")
        ->type_name("GROUP");
    app->add_option("--tickets", c.tickets,
                    "On a TLS --listen: issue session tickets and keep a session cache (on), or not (off: clients "
                    "that reconnect do full handshakes) [default: on]")
        ->type_name("on|off");
    app->add_option("--resume", c.resume,
                    "On a TLS 1.2 --listen: let clients resume by session tickets (ticket) or by session IDs from "
                    "this node's session cache (id: no tickets are issued) [default: ticket]")
        ->type_name("ticket|id");
    app->add_option("--early-data", c.early_data,
                    "On a TLS 1.3 --listen: accept 0-RTT early data from resuming clients, and say so in the tickets "
                    "(on), or not (off). Early data can be replayed: accept it only where requests are idempotent "
                    "[default: off]")
        ->type_name("on|off");
    app->add_option("--rtt", c.rtt,
                    "Emulated round-trip time of the --listen link: what this node writes there is delivered rtt/2 "
                    "later (0, 200us, 1ms ... up to 1s) [default: 0]")
        ->type_name("TIME");
    app->add_option("--client-ca", c.client_ca,
                    "Mutual TLS on a TLS --listen: require a client certificate that chains to this CA (PEM)")
        ->type_name("FILE");
    app->add_option("--client-name", c.client_name, "With --client-ca: the name the client's certificate must carry")
        ->type_name("NAME");
    app->add_option("--name", c.name, "Name shown in statistics")->type_name("NAME");
    app->add_option("--cpu", c.cpu, "Pin the node to this CPU")->type_name("CPU");
    app->add_option("--residence-file", c.residence_file,
                    "On exit, write each request's residence time here, by request id (binary; for hopcost run)")
        ->type_name("FILE");
    add_guard_flags(*app, c.guard, c.role == Role::relay);
    app->footer(common_footer);
  };
  origin.role = Role::origin;
  hop.role = Role::relay;
  origin.name = "origin";
  origin.app = parent.add_subcommand("origin", "Run one origin node: answers every request with 200 and a body");
  add_common(origin.app, origin);
  origin.app->add_option("--response-bytes", origin.response_bytes, "Response body bytes [default: 1024]")->type_name("BYTES");

  hop.name = "hop";
  hop.app = parent.add_subcommand("hop", "Run one relay node: forwards each request to --upstream and the response back");
  add_common(hop.app, hop);
  hop.app->add_option("--upstream", hop.upstream, "Where to forward: a URL as for --listen")->required()->type_name("URL");
  hop.app->add_option("--upstream-rtt", hop.upstream_rtt,
                      "Emulated round-trip time of the --upstream link: what this node writes there is delivered "
                      "rtt/2 later, and a new connection's first bytes one rtt later still [default: 0]")
      ->type_name("TIME");
  hop.app->add_option("--upstream-cert", hop.upstream_cert,
                      "Mutual TLS on a TLS --upstream: the certificate (PEM, chain after it) this node presents")
      ->type_name("FILE");
  hop.app->add_option("--upstream-key", hop.upstream_key, "The private key (PEM) of --upstream-cert")->type_name("FILE");
  hop.app->add_option("--ca", hop.ca, "CA certificate (PEM) that a TLS upstream's certificate must chain to")->type_name("FILE");
  std::string policies;  // "1:1|pool", from the one table
  for (const auto& [value, text] : kUpstreamPolicies.rows) policies += (policies.empty() ? "" : "|") + std::string(text);
  hop.app->add_option("--upstream-policy", hop.upstream_policy,
                      fmt::format("How upstream connections are used, one of {}: 1:1 opens one per downstream "
                                  "connection and closes it with it; pool keeps them open and lends them to any "
                                  "downstream connection's requests, one exchange at a time [default: 1:1]",
                                  kUpstreamPolicies.accepted()))
      ->type_name(policies);
  hop.app->add_option("--upstream-resume", hop.upstream_resume,
                      "On a TLS --upstream: offer the last session on each new upstream connection (on: a resumed "
                      "handshake, as HAProxy and Nginx do), or never (off: full handshakes) [default: on]")
      ->type_name("on|off");
  hop.app->add_option("--upstream-name", hop.upstream_name,
                      "Name the upstream's certificate must carry [default: the upstream URL's host; localhost for "
                      "tls+unix]")
      ->type_name("NAME");
}

int execute_node_command(const NodeCommand& c) {
  const NodeLimits limits = parse_guard_flags(c.guard, c.role == Role::relay ? 2 : 1);
  TlsSettings tls = parse_flag_tls(c.tls);
  if (!c.group.empty()) {
    tls.group = parse_tls_group(c.group);
    if (!tls.group) throw ConfigError(fmt::format("--group: unknown group '{}'; accepted: {}", c.group, kTlsGroups.accepted()));
  }
  const auto tickets = parse_tickets(c.tickets);
  if (!tickets) throw ConfigError(fmt::format("--tickets: unknown value '{}'; accepted: {}", c.tickets, kTickets.accepted()));
  tls.tickets = *tickets;
  const auto resume_by = parse_resume_by(c.resume);
  if (!resume_by) throw ConfigError(fmt::format("--resume: unknown value '{}'; accepted: {}", c.resume, kResumeBy.accepted()));
  if (*resume_by == ResumeBy::id && tls.version != TlsVersion::v1_2)
    throw ConfigError("--resume id needs --tls 1.2: TLS 1.3 resumes by tickets only");
  tls.resume_by = *resume_by;
  const auto early = kOnOff.parse(c.early_data);
  if (!early) throw ConfigError(fmt::format("--early-data: unknown value '{}'; accepted: {}", c.early_data, kOnOff.accepted()));
  if (*early && tls.version == TlsVersion::v1_2) throw ConfigError("--early-data on needs TLS 1.3 (--tls 1.3 or both)");
  const auto upstream_resume = kOnOff.parse(c.upstream_resume);
  if (!upstream_resume)
    throw ConfigError(fmt::format("--upstream-resume: unknown value '{}'; accepted: {}", c.upstream_resume, kOnOff.accepted()));
  const NodeUrl listen = parse_flag_url("--listen", c.listen);
  if (listen.endpoint.transport == Transport::tcp && !is_loopback_host(listen.endpoint.host))
    throw ConfigError(fmt::format("--listen: {} is not a loopback address; hopcost listens on 127.0.0.0/8, ::1 or a "
                                  "Unix socket only", listen.endpoint.host));
  LinkEnds down{listen.kind, listen.endpoint, nullptr, nullptr, ""};
  down.rtt = parse_flag_rtt("--rtt", c.rtt);
  bssl::UniquePtr<SSL_CTX> server_ctx, client_ctx;
  if (traits(listen.kind).tls) {
    if (c.cert.empty() || c.key.empty())
      throw ConfigError(fmt::format("--listen {} is TLS: give --cert and --key ('hopcost pki --out DIR' writes them)", c.listen));
    const Credential identity = load_credential(c.cert, c.key);
    tls.key = key_type_of(identity.key.get());  // TLS 1.2 offers the suite that signs with it
    TlsSettings listen_tls = tls;
    listen_tls.early_data = *early;
    bssl::UniquePtr<X509> client_ca;
    if (!c.client_ca.empty()) {
      if (c.client_name.empty()) throw ConfigError("--client-ca: give --client-name, the name clients' certificates carry");
      client_ca = load_certificate(c.client_ca);
      listen_tls.mtls = true;
    }
    server_ctx = make_server_ctx(listen_tls, identity, client_ca.get(), c.client_name);
    down.server_ctx = server_ctx.get();
  } else if (!c.cert.empty() || !c.key.empty() || !c.client_ca.empty()) {
    throw ConfigError(fmt::format("--cert/--key/--client-ca: --listen {} is not TLS", c.listen));
  }

  const auto upstream_policy = parse_upstream_policy(c.upstream_policy);
  if (c.role == Role::relay && !upstream_policy)
    throw ConfigError(fmt::format("--upstream-policy: unknown value '{}'; accepted: {}", c.upstream_policy,
                                  kUpstreamPolicies.accepted()));

  LinkEnds up;
  if (c.role == Role::relay) {
    std::optional<Credential> upstream_identity;
    if (!c.upstream_cert.empty() || !c.upstream_key.empty()) {
      if (c.upstream_cert.empty() || c.upstream_key.empty())
        throw ConfigError("--upstream-cert and --upstream-key go together");
      upstream_identity = load_credential(c.upstream_cert, c.upstream_key);
    }
    TlsSettings upstream_tls = tls;
    upstream_tls.resume = *upstream_resume;
    up = connecting_end("--upstream", c.upstream, c.ca, c.upstream_name, upstream_tls, parse_flag_rtt("--upstream-rtt", c.upstream_rtt),
                        client_ctx, upstream_identity ? &*upstream_identity : nullptr);
    if (const auto ec = probe(up.endpoint))
      throw ConfigError(fmt::format("--upstream: cannot connect to {}: {}", c.upstream, ec.message()));
  }
  if (listen.endpoint.transport == Transport::uds) check_unix_path(listen.endpoint.path);

  // Signals are taken by sigwait below, in this thread only: block them before the
  // node's thread starts, so that it inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  if (c.cpu) {
    const auto allowed = allowed_cpus();
    if (std::find(allowed.begin(), allowed.end(), *c.cpu) == allowed.end() || !pin_this_thread(*c.cpu))
      throw ConfigError(fmt::format("--cpu: CPU {} is not available to this process", *c.cpu));
  }
  std::unique_ptr<Node> node;  // its thread inherits this thread's CPU
  if (c.role == Role::origin)
    node = std::make_unique<Origin>(c.name, c.response_bytes);
  else
    node = std::make_unique<Relay>(c.name, up, *upstream_policy);
  node->set_limits(limits);
  node->keep_residence(!c.residence_file.empty());
  try {
    node->listen(down);
  } catch (const RunError& e) {
    throw ConfigError(fmt::format("--listen: {}", e.what()));
  }
  node->start();
  std::cout << "listening on " << to_url(listen.kind, down.endpoint) << std::endl;

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    print_snapshot(*node);
    if (sig != SIGUSR1) break;
  }
  node->stop();
  if (listen.endpoint.transport == Transport::uds) ::unlink(listen.endpoint.path.c_str());
  if (!c.residence_file.empty()) write_residence_file(c.residence_file, node->residence());
  return kExitOk;
}

}  // namespace hopcost
