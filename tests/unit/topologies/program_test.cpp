// The launchers' pure half (topologies/<program>.cpp): what each generates for a node's
// settings, what each refuses, and the one access-log reader. No program runs here
// (tests/interop/programs_test.cpp runs them).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "topologies/haproxy.hpp"
#include "topologies/launcher.hpp"
#include "topologies/nginx.hpp"
#include "topologies/stunnel.hpp"
#include "topologies/varnish.hpp"

using namespace hopcost;
using Catch::Contains;

namespace {

ProgramNode tls_node(LinkKind listen = LinkKind::tls, LinkKind upstream = LinkKind::tls) {
  ProgramNode n;
  n.name = "relay1";
  n.run_dir = "/run/x";
  n.listen.kind = listen;
  if (traits(listen).transport == Transport::uds) {
    n.listen.endpoint.transport = Transport::uds;
    n.listen.endpoint.path = "/run/x/in.sock";
  } else {
    n.listen.endpoint.port = 8443;
  }
  n.listen.cert = "/pki/relay1.pem";
  n.listen.key = "/pki/relay1.key";
  n.listen.ca = "/pki/ca.pem";
  n.upstream.kind = upstream;
  if (traits(upstream).transport == Transport::uds) {
    n.upstream.endpoint.transport = Transport::uds;
    n.upstream.endpoint.path = "/run/x/origin.sock";
  } else {
    n.upstream.endpoint.port = 9443;
  }
  n.upstream.ca = "/pki/ca.pem";
  n.upstream.peer_name = "origin";
  return n;
}

std::string text_of(const ProgramConfig& c) {
  std::string all;
  for (const auto& f : c.files) all += f.text;
  for (const auto& p : c.processes) all += p.command.text() + "\n";
  return all;
}

}  // namespace

TEST_CASE("every program kind has a generator, and every generator verifies its upstream") {
  for (const auto& [kind, name] : kProgramKinds.rows) {
    INFO(name);
    CHECK(parse_program_kind(name) == kind);
    const ProgramConfig c = program_config(kind, tls_node(LinkKind::tls, LinkKind::tls));
    CHECK(c.kind == kind);
    CHECK_FALSE(c.processes.empty());
    const std::string t = text_of(c);
    // Verification is always on: no generator can write it off.
    CHECK_THAT(t, !Contains("verify none") && !Contains("proxy_ssl_verify off") && !Contains("verifyChain = no"));
    CHECK_THAT(t, Contains("origin"));  // the upstream's name is checked
    for (const auto& p : c.processes) {
      CHECK_FALSE(p.command.package.empty());
      CHECK_FALSE(p.stderr_path.empty());
    }
  }
}

TEST_CASE("haproxy: verification, versions, policy and resumption on the server line") {
  ProgramNode n = tls_node();
  n.listen.group = TlsGroup::x25519;
  n.listen.mtls = true;
  n.workers = 2;
  auto t = text_of(haproxy_config(n));
  CHECK_THAT(t, Contains("bind 127.0.0.1:8443 ssl crt /run/x/relay1-haproxy-listen.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 "
                         "curves X25519 verify required ca-file /pki/ca.pem"));
  CHECK_THAT(t, Contains("server up 127.0.0.1:9443 ssl verify required ca-file /pki/ca.pem verifyhost origin sni str(origin)"));
  CHECK_THAT(t, Contains("http-reuse never") && Contains("nbthread 2") && !Contains("no-ssl-reuse"));
  CHECK_THAT(t, Contains("capture request header X-Hopcost-Id") && Contains("residence_ms=%Ta"));
  CHECK_THAT(t, Contains("haproxy -db -f /run/x/relay1-haproxy.cfg"));
  n.policy = UpstreamPolicy::pool;
  n.upstream_resumption = false;
  n.upstream.versions = {TlsVersion::v1_3};
  t = text_of(haproxy_config(n));
  CHECK_THAT(t, Contains("http-reuse always") && Contains("no-ssl-reuse") && Contains("ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3"));
  const ProgramConfig c = haproxy_config(n);
  CHECK(c.access_log.resolution == std::chrono::milliseconds(1));
  REQUIRE(c.bundles.size() == 1);  // certificate and key in one file, as HAProxy wants
  CHECK(c.bundles[0].parts == std::vector<std::string>{"/pki/relay1.pem", "/pki/relay1.key"});
  // Unix sockets on both ends.
  t = text_of(haproxy_config(tls_node(LinkKind::tls_uds, LinkKind::uds)));
  CHECK_THAT(t, Contains("bind unix@/run/x/in.sock") && Contains("server up unix@/run/x/origin.sock\n"));
  CHECK(haproxy_config(tls_node(LinkKind::tls_uds, LinkKind::uds)).sockets == std::vector<std::string>{"/run/x/in.sock"});
  // HAProxy 2.6 has no `curves` for servers.
  n.upstream.group = TlsGroup::p256;
  try {
    haproxy_config(n);
    FAIL("a group upstream was accepted");
  } catch (const UnsupportedSetting& e) {
    CHECK(e.program == "haproxy");
    CHECK_THAT(e.setting, Contains("p-256 on its upstream end"));
  }
}

TEST_CASE("nginx: protocols set explicitly, verification, keepalive for pool only") {
  ProgramNode n = tls_node();
  n.listen.group = TlsGroup::p384;
  n.upstream.group = TlsGroup::x25519;
  n.user = "root";
  auto t = text_of(nginx_config(n));
  CHECK_THAT(t, Contains("daemon off;") && Contains("master_process on;") && Contains("worker_processes 1;") &&
                    Contains("user root;"));
  CHECK_THAT(t, Contains("listen 127.0.0.1:8443 ssl;") && Contains("ssl_protocols TLSv1.2 TLSv1.3;") &&
                    Contains("ssl_ecdh_curve P-384;"));
  CHECK_THAT(t, Contains("proxy_pass https://upstream;") && Contains("proxy_ssl_verify on;") &&
                    Contains("proxy_ssl_trusted_certificate /pki/ca.pem;") && Contains("proxy_ssl_name origin;") &&
                    Contains("proxy_ssl_server_name on;") && Contains("proxy_ssl_protocols TLSv1.2 TLSv1.3;") &&
                    Contains("proxy_ssl_session_reuse on;") && Contains("proxy_ssl_conf_command Groups X25519;"));
  CHECK_THAT(t, !Contains("keepalive 64;") && !Contains("proxy_set_header Connection"));
  CHECK_THAT(t, Contains("id=$http_x_hopcost_id residence_s=$request_time") && Contains("resumed=$ssl_session_reused"));
  n.policy = UpstreamPolicy::pool;
  n.upstream_resumption = false;
  n.listen.versions = {TlsVersion::v1_3};
  t = text_of(nginx_config(n));
  CHECK_THAT(t, Contains("keepalive 64;") && Contains("proxy_http_version 1.1;") && Contains("proxy_set_header Connection \"\";") &&
                    Contains("proxy_ssl_session_reuse off;") && Contains("ssl_protocols TLSv1.3;"));
  t = text_of(nginx_config(tls_node(LinkKind::uds, LinkKind::tcp)));
  CHECK_THAT(t, Contains("listen unix:/run/x/in.sock;") && Contains("proxy_pass http://upstream;") &&
                    !Contains("proxy_ssl_verify"));
  n.listen.mtls = true;
  n.listen.peer_name = "client";
  CHECK_THROWS_AS(nginx_config(n), UnsupportedSetting);
}

TEST_CASE("stunnel: one service per TLS end, verification, and what it refuses") {
  auto c = stunnel_config(tls_node(LinkKind::tls, LinkKind::tls));
  auto t = text_of(c);
  CHECK_THAT(t, Contains("[relay1-in]") && Contains("[relay1-out]") && Contains("accept = /run/x/relay1-stunnel-inner.sock"));
  CHECK_THAT(t, Contains("client = yes") && Contains("verifyChain = yes") && Contains("checkHost = origin") &&
                    Contains("sni = origin") && Contains("foreground = yes"));
  CHECK(c.access_log.path.empty());
  CHECK_FALSE(c.processes.front().check);  // stunnel has no check mode
  ProgramNode n = tls_node(LinkKind::tcp, LinkKind::tls_uds);
  n.upstream_resumption = false;
  t = text_of(stunnel_config(n));
  CHECK_THAT(t, Contains("accept = 127.0.0.1:8443") && Contains("connect = /run/x/origin.sock") && Contains("sessionResume = no") &&
                    !Contains("[relay1-in]"));
  CHECK_THROWS_WITH(stunnel_config(tls_node(LinkKind::tcp, LinkKind::tcp)), Contains("stunnel cannot do plaintext on both ends"));
  n.policy = UpstreamPolicy::pool;
  CHECK_THROWS_WITH(stunnel_config(n), Contains("stunnel cannot do upstream policy pool"));
}

TEST_CASE("varnish: caching off unless asked, Hitch in front and stunnel behind for TLS") {
  ProgramNode n = tls_node();
  n.user = "nobody";
  auto c = varnish_config(n);
  std::vector<std::string> names;
  for (const auto& p : c.processes) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"stunnel", "varnishd", "varnishncsa", "hitch"});
  auto t = text_of(c);
  CHECK_THAT(t, Contains("return (pass);") && Contains("set bereq.http.Connection = \"close\";"));
  CHECK_THAT(t, Contains(".path = \"/run/x/relay1-varnish-out.sock\";") && Contains("write-proxy-v2 = on") &&
                    Contains("user = \"nobody\"") && Contains("checkHost = origin"));
  CHECK_THAT(t, Contains("hopcost id=%{X-Hopcost-Id}i residence_us=%D"));
  CHECK(c.access_log.resolution == std::chrono::microseconds(1));
  CHECK(c.run_dir_searchable);
  n.cache_hits = true;
  n.policy = UpstreamPolicy::pool;
  t = text_of(varnish_config(n));
  CHECK_THAT(t, !Contains("return (pass);") && !Contains("bereq.http.Connection"));
  // Plaintext: varnishd alone.
  c = varnish_config(tls_node(LinkKind::tcp, LinkKind::uds));
  CHECK(c.processes.size() == 2);
  CHECK_THAT(text_of(c), Contains("-a 127.0.0.1:8443") && Contains(".path = \"/run/x/origin.sock\";"));
  // What it cannot do.
  n.tls_helpers = false;
  CHECK_THROWS_WITH(varnish_config(n), Contains("varnish cannot do TLS on its listening end without Hitch"));
  ProgramNode out_only = tls_node(LinkKind::tcp, LinkKind::tls);
  CHECK_NOTHROW(varnish_config(out_only));
  out_only.tls_helpers = false;
  CHECK_THROWS_WITH(varnish_config(out_only), Contains("varnish cannot do TLS to its upstream without a TLS helper"));
  try {
    varnish_config(tls_node(LinkKind::tls_uds, LinkKind::tcp));
    FAIL("Hitch on a Unix socket was accepted");
  } catch (const UnsupportedSetting& e) {
    CHECK(e.program == "varnish (hitch)");
  }
}

TEST_CASE("settings no OpenSSL program can do, and malformed nodes, are refused as bad input") {
  for (const auto& [kind, name] : kProgramKinds.rows) {
    INFO(name);
    ProgramNode n = tls_node();
    n.listen.group = TlsGroup::cecpq2;
    CHECK_THROWS_WITH(program_config(kind, n), Contains("cecpq2") && Contains("OpenSSL 3 has no CECPQ2"));
    n = tls_node();
    n.upstream.peer_name.clear();
    CHECK_THROWS_WITH(program_config(kind, n), Contains("without a name to verify"));
    n = tls_node();
    n.listen.endpoint.port = 0;
    CHECK_THROWS_AS(program_config(kind, n), UnsupportedSetting);
    n = tls_node();
    n.upstream.mtls = true;  // no client certificate given
    CHECK_THROWS_WITH(program_config(kind, n), Contains("mutual TLS upstream without a client certificate"));
  }
  // A run directory too deep for the sockets between a program and its helpers.
  ProgramNode deep = tls_node();
  deep.run_dir = "/" + std::string(120, 'd');
  CHECK_THROWS_WITH(varnish_config(deep), Contains("too long for a Unix socket"));
  CHECK_THROWS_WITH(haproxy_config(deep), Contains("too long for a Unix socket"));
  // A ConfigError: main maps it to exit 2.
  const UnsupportedSetting e("nginx", "x");
  const ConfigError& base = e;
  CHECK_THAT(base.what(), Contains("nginx cannot do x"));
  const MissingProgram m("hitch", "hitch");
  CHECK_THAT(static_cast<const ConfigError&>(m).what(), Contains("Debian package hitch"));
}

TEST_CASE("one reader for every program's access log, with each resolution") {
  auto r = parse_access_line("hopcost id=42 residence_ms=3 request_ms=0 status=200");
  CHECK(r.request_id == "42");
  CHECK(r.residence == std::chrono::milliseconds(3));
  CHECK(r.field("status") == std::optional<std::string>("200"));
  r = parse_access_line("hopcost id=43 residence_s=0.012 upstream_connect_s=- status=200 resumed=.");
  CHECK(r.residence == std::chrono::milliseconds(12));
  r = parse_access_line("hopcost id=44 residence_us=1234 status=200");
  CHECK(r.residence == std::chrono::microseconds(1234));
  r = parse_access_line("hopcost id=45 residence_ms=- status=503");  // no timer: unknown, not zero
  CHECK(r.request_id == "45");
  CHECK_FALSE(r.residence);
  CHECK(parse_access_line("[NOTICE] haproxy started").request_id.empty());
  CHECK(parse_access_line("hopcost residence_ms=3").request_id.empty());
}

TEST_CASE("residence times from an access log pair by the driver's numeric ids, and a silent program is unknown") {
  const std::string path = "/tmp/hopcost-program-test-" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream out(path);
    out << "hopcost id=probe-1 residence_ms=2 status=200\n"  // the launcher's probe: left out
        << "hopcost id=17 residence_ms=3 status=200\n"
        << "[WARNING] something else\n"
        << "hopcost id=18 residence_ms=- status=503\n"  // no timer: left out, not 0
        << "hopcost id=19 residence_ms=0 status=200\n";
  }
  const NodeResidence r = residence_from_access_log({path, std::chrono::milliseconds(1), "HAProxy %Ta"});
  std::remove(path.c_str());
  REQUIRE(r.samples.size() == 2);
  CHECK(r.samples[0].request_id == 17);
  CHECK(r.samples[0].ns == 3'000'000);
  CHECK(r.samples[1].request_id == 19);
  CHECK(r.samples[1].ns == 0);
  CHECK_FALSE(r.unknown_reason);
  const NodeResidence silent = residence_from_access_log(stunnel_config(tls_node()).access_log);
  CHECK(silent.samples.empty());
  REQUIRE(silent.unknown_reason);
  CHECK_THAT(*silent.unknown_reason, Contains("stunnel relays bytes"));
  CHECK(residence_from_access_log({"/nonexistent/log", std::chrono::milliseconds(1), "x"}).unknown_reason);
}

TEST_CASE("worker users: Nginx's reach hopcost's sockets as root, Hitch's are never root") {
  CHECK(worker_user(ProgramKind::nginx, true) == "root");
  CHECK(worker_user(ProgramKind::varnish, true) == "nobody");
  CHECK(worker_user(ProgramKind::haproxy, true).empty());
  for (const auto& [kind, name] : kProgramKinds.rows) CHECK(worker_user(kind, false).empty());
}
