// Nginx (Debian 12: 1.22) as a relay: one server block proxying to one upstream block.
//
// - Processes: `daemon off; master_process on; worker_processes N;` (a master and N
//   workers; CPU is read over all of them). `-e stderr` and `error_log stderr` send every
//   error to the stderr file the launcher keeps; `-p RUN` keeps every path in the run dir.
// - TLS in: ssl_certificate/ssl_certificate_key, `ssl_protocols` set explicitly (1.22
//   leaves TLSv1.3 out of its default), `ssl_ecdh_curve`, and with mTLS
//   ssl_client_certificate + `ssl_verify_client on`. Nginx cannot check the client
//   certificate's name by itself: asking for it is refused.
// - TLS out: `proxy_ssl_verify on`, `proxy_ssl_trusted_certificate`, `proxy_ssl_name` and
//   SNI (`proxy_ssl_server_name on`), `proxy_ssl_protocols`, the group through
//   `proxy_ssl_conf_command Groups` (there is no proxy_ssl_ecdh_curve),
//   `proxy_ssl_session_reuse on|off`, and with mTLS proxy_ssl_certificate/_key.
// - Upstream policy: `pool` is `upstream { keepalive N; }` with `proxy_http_version 1.1` and
//   an empty Connection header, so that idle upstream connections are kept and shared by
//   every client connection. `1:1` is the closest Nginx has: no keepalive, so each request
//   gets its own upstream connection, closed after the response. Nginx cannot tie an
//   upstream connection to one client connection: with one request per client connection
//   this is exactly 1:1; with keep-alive clients it opens one upstream connection per
//   request, more than 1:1 would.
// - keepalive_requests is raised on both sides (its default of 1000 would close
//   connections in the middle of a measurement).
// - Access log: `$request_time` is from the first byte read from the client to the log
//   write after the last byte sent, in seconds with millisecond resolution.
#include "topologies/nginx.hpp"

#include <fmt/format.h>

#include <cctype>

namespace hopcost {
namespace {

constexpr std::string_view kProgram = "nginx";

std::string protocols(const ProgramEnd& end) {
  std::string out;
  for (TlsVersion v : {TlsVersion::v1_2, TlsVersion::v1_3})
    for (TlsVersion w : end.versions)
      if (v == w) {
        if (!out.empty()) out += ' ';
        out += openssl_protocol(v);
        break;
      }
  return out;
}

// X-Hopcost-Id -> $http_x_hopcost_id
std::string header_variable(std::string_view header) {
  std::string out = "$http_";
  for (char ch : header) out += ch == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace

ProgramConfig nginx_config(const ProgramNode& node) {
  check_program_node(kProgram, node);
  const bool tls_in = traits(node.listen.kind).tls;
  const bool tls_out = traits(node.upstream.kind).tls;
  if (tls_in && node.listen.mtls && !node.listen.peer_name.empty())
    throw UnsupportedSetting(std::string(kProgram), "checking the client certificate's name (mutual TLS checks the chain only)");

  ProgramConfig c;
  c.kind = ProgramKind::nginx;
  c.node = node.name;
  if (node.listen.endpoint.transport == Transport::uds) c.sockets.push_back(node.listen.endpoint.path);
  const std::string conf = run_file(node, "nginx.conf");
  const std::string log = run_file(node, "nginx.access.log");
  const std::string& pool_note = node.policy == UpstreamPolicy::pool
                                     ? "pool: idle upstream connections kept (keepalive) and shared by every client connection"
                                     : "1:1 (closest): no keepalive, one upstream connection per request, closed after it";

  const Endpoint& in = node.listen.endpoint;
  std::string listen = in.transport == Transport::tcp ? fmt::format("{}:{}", in.host, in.port) : "unix:" + in.path;
  std::string server_tls;
  if (tls_in) {
    listen += " ssl";
    server_tls += fmt::format("    ssl_certificate {};\n    ssl_certificate_key {};\n    ssl_protocols {};\n", node.listen.cert,
                              node.listen.key, protocols(node.listen));
    if (node.listen.group)
      server_tls += fmt::format("    ssl_ecdh_curve {};\n", openssl_group(kProgram, *node.listen.group, "listening"));
    if (node.listen.mtls)
      server_tls += fmt::format("    ssl_client_certificate {};\n    ssl_verify_client on;\n    ssl_verify_depth 8;\n",
                                node.listen.ca);
  }

  const Endpoint& up = node.upstream.endpoint;
  const std::string upstream_server = up.transport == Transport::tcp ? fmt::format("{}:{}", up.host, up.port) : "unix:" + up.path;
  std::string proxy = fmt::format("      proxy_pass {}://upstream;\n      proxy_http_version 1.1;\n", tls_out ? "https" : "http");
  if (node.policy == UpstreamPolicy::pool) proxy += "      proxy_set_header Connection \"\";\n";
  if (tls_out) {
    proxy += fmt::format(
        "      proxy_ssl_verify on;\n      proxy_ssl_verify_depth 8;\n      proxy_ssl_trusted_certificate {};\n"
        "      proxy_ssl_name {};\n      proxy_ssl_server_name on;\n      proxy_ssl_protocols {};\n"
        "      proxy_ssl_session_reuse {};\n",
        node.upstream.ca, node.upstream.peer_name, protocols(node.upstream), node.upstream_resumption ? "on" : "off");
    if (node.upstream.group)
      proxy += fmt::format("      proxy_ssl_conf_command Groups {};\n", openssl_group(kProgram, *node.upstream.group, "upstream"));
    if (node.upstream.mtls)
      proxy += fmt::format("      proxy_ssl_certificate {};\n      proxy_ssl_certificate_key {};\n", node.upstream.cert,
                           node.upstream.key);
  }

  std::string text = fmt::format(
      R"(# Generated by hopcost for node {node} (topologies/nginx.cpp). Run as: nginx -e stderr -p {run} -c {conf}
daemon off;
master_process on;
worker_processes {workers};
pid {pid};
error_log stderr notice;
{user}
events {{
  worker_connections 4096;
}}

http {{
  # One line per request: hopcost's request id and the residence time ($request_time: first
  # byte read from the client to the last byte sent, seconds with millisecond resolution).
  log_format hopcost 'hopcost id={id_var} residence_s=$request_time upstream_connect_s=$upstream_connect_time '
                     'upstream_s=$upstream_response_time status=$status resumed=$ssl_session_reused tls=$ssl_protocol';
  access_log {log} hopcost;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path {tmp}client;
  proxy_temp_path {tmp}proxy;
  fastcgi_temp_path {tmp}fastcgi;
  uwsgi_temp_path {tmp}uwsgi;
  scgi_temp_path {tmp}scgi;

  # Upstream policy {policy_note}
  upstream upstream {{
    server {upstream_server};
{keepalive}  }}

  server {{
    listen {listen};
{server_tls}
    location / {{
{proxy}    }}
  }}
}}
)",
      fmt::arg("node", node.name), fmt::arg("run", node.run_dir + "/"), fmt::arg("conf", conf), fmt::arg("workers", node.workers),
      fmt::arg("pid", run_file(node, "nginx.pid")),
      fmt::arg("user", node.user.empty() ? std::string()
                                          : fmt::format("# The workers' user (launcher.hpp, worker_user: as root, root, so that they "
                                                        "reach hopcost's Unix sockets).\nuser {};\n",
                                                        node.user)),
      fmt::arg("id_var", header_variable(node.request_id_header)), fmt::arg("log", log),
      fmt::arg("tmp", run_file(node, "nginx-")), fmt::arg("policy_note", pool_note),
      fmt::arg("upstream_server", upstream_server),
      fmt::arg("keepalive", node.policy == UpstreamPolicy::pool
                                ? "    keepalive 64;\n    keepalive_requests 1000000;\n    keepalive_timeout 60s;\n"
                                : ""),
      fmt::arg("listen", listen), fmt::arg("server_tls", server_tls), fmt::arg("proxy", proxy));
  c.files.push_back({conf, std::move(text)});

  ProcessPlan p;
  p.name = "nginx";
  p.command = {"nginx", "nginx", {"-e", "stderr", "-p", node.run_dir + "/", "-c", conf}};
  p.check = ProgramCommand{"nginx", "nginx", {"-q", "-t", "-e", "stderr", "-p", node.run_dir + "/", "-c", conf}};
  p.version = {"nginx", "nginx", {"-v"}};
  p.stdout_path = run_file(node, "nginx.stdout");
  p.stderr_path = run_file(node, "nginx.stderr");
  c.processes.push_back(std::move(p));
  c.access_log = {log, std::chrono::milliseconds(1),
                  "Nginx $request_time: the first byte read from the client to the last byte of the response sent"};
  return c;
}

}  // namespace hopcost
