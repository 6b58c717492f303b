// Real clients against hopcost nodes: curl, openssl s_client, wrk and h2load (Debian's,
// installed by scripts/bootstrap). If hopcost speaks HTTP/1.1 and TLS as they do, its
// figures can be checked against theirs (docs/cross-check.md).
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "support/process.hpp"
#include "tls/pem.hpp"
#include "topologies/inproc_chain.hpp"
#include "topologies/process_chain.hpp"

using namespace hopcost::test;

namespace {

struct Pki {
  TempDir dir;
  Pki(const char* args) { REQUIRE(run_hopcost("pki --out " + dir.path.string() + " " + args).code == 0); }
  Pki() { REQUIRE(run_hopcost("pki --out " + dir.path.string() + " --name origin --name relay1 --name relay2").code == 0); }
  std::string operator/(const std::string& f) const { return dir / f; }
};

// client -tls-> relay1 -(link2)-> relay2 -(link3)-> origin; TLS links use the PKI.
struct Chain {
  Node origin, relay2, relay1;
  Chain(const Pki& pki, bool tls_everywhere, uint64_t body = 1024) {
    const std::string inner = tls_everywhere ? "tls" : "tcp";
    auto tls_args = [&](std::vector<std::string> args, const std::string& name, bool listen_tls, bool upstream_tls) {
      if (listen_tls) args.insert(args.end(), {"--cert", pki / (name + ".pem"), "--key", pki / (name + ".key")});
      if (upstream_tls) args.insert(args.end(), {"--ca", pki / "ca.pem"});
      return args;
    };
    origin = start_node(tls_args({"origin", "--listen", inner + "://127.0.0.1:0", "--response-bytes", std::to_string(body)},
                                 "origin", tls_everywhere, false));
    relay2 = start_node(tls_args({"hop", "--listen", inner + "://127.0.0.1:0", "--upstream", origin.url}, "relay2",
                                 tls_everywhere, tls_everywhere));
    relay1 = start_node(tls_args({"hop", "--listen", "tls://127.0.0.1:0", "--upstream", relay2.url}, "relay1", true,
                                 tls_everywhere));
  }
  std::string https() const { return "https://" + host_port(relay1.url) + "/"; }
};

}  // namespace

TEST_CASE("curl gets the origin's exact body through a 3-hop tls-everywhere chain, verifying with hopcost's CA") {
  const Pki pki;
  const Chain chain(pki, true, 4321);
  const auto r = run_command("curl -sS --fail --cacert " + pki / "ca.pem" + " -o /dev/null -w '%{http_code} %{size_download}' " + chain.https());
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output == "200 4321");
  // And without the CA, curl refuses: verification is real.
  CHECK(run_command("curl -sS -o /dev/null " + chain.https()).code != 0);
}

TEST_CASE("openssl s_client negotiates the version it asks for") {
  const Pki pki;
  auto node = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", pki / "origin.pem", "--key", pki / "origin.key"});
  for (const std::string version : {"1_2", "1_3"}) {
    const auto r = run_command("openssl s_client -brief -tls" + version + " -verify_return_error -CAfile " + pki / "ca.pem" +
                               " -connect " + host_port(node.url) + " </dev/null");
    INFO(r.output);
    CHECK_THAT(r.output, Catch::Contains("Protocol version: TLSv1." + version.substr(2)));
    CHECK_THAT(r.output, Catch::Contains("Verification: OK"));
  }
}

TEST_CASE("wrk for 2 s against a terminate-once chain reports no errors") {
  const Pki pki;
  const Chain chain(pki, false);
  const auto r = run_command("wrk -t1 -c4 -d2s " + chain.https());
  INFO(r.output);
  REQUIRE(r.code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex(R"((\d+) requests in)")));
  CHECK(std::stoul(m[1]) > 100);
  CHECK_THAT(r.output, !Catch::Contains("Socket errors") && !Catch::Contains("Non-2xx"));
}

TEST_CASE("h2load --h1 completes every request over new connections") {
  const Pki pki;
  const Chain chain(pki, true);
  // -c equal to -n: each client makes one connection for one request.
  const auto r = run_command("h2load --h1 -n 60 -c 60 " + chain.https());
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("60 succeeded, 0 failed, 0 errored"));
}

namespace {

// Two connections with openssl s_client, each sending one GET with Connection: close
// and reading to the end: the first saves its session (if the server gave one), the
// second offers it. Returns the second's "New, ..." or "Reused, ..." line, or "no
// session" when the first got none to save.
std::string second_connection(const std::string& ca, const std::string& host_port, const std::string& name,
                              const std::string& version, const TempDir& dir) {
  const std::string sess = dir / ("session" + version);
  std::filesystem::remove(sess);
  const std::string s_client = "printf 'GET / HTTP/1.1\\r\\nHost: " + name +
                               "\\r\\nConnection: close\\r\\n\\r\\n' | openssl s_client -tls" + version +
                               " -ign_eof -verify_return_error -CAfile " + ca + " -servername " + name +
                               " -verify_hostname " + name + " -connect " + host_port;
  const auto first = run_command(s_client + " -sess_out " + sess);
  INFO(first.output);
  REQUIRE_THAT(first.output, Catch::Contains("Verify return code: 0 (ok)") && Catch::Contains("HTTP/1.1 200"));
  if (!std::filesystem::exists(sess) || std::filesystem::file_size(sess) == 0) return "no session";
  const auto second = run_command(s_client + " -sess_in " + sess);
  INFO(second.output);
  REQUIRE_THAT(second.output, Catch::Contains("HTTP/1.1 200"));
  std::smatch m;
  REQUIRE(std::regex_search(second.output, m, std::regex(R"(\n((New|Reused), TLSv1\.\d))")));
  return m[1];
}

}  // namespace

// Issue #8: BoringSSL holds a TLS 1.3 server's tickets until its first write; a client
// with Nagle on then waits for the server's delayed ACK (~44 ms) before its request
// leaves. hopcost's servers send the tickets (or, with none, the ACK) at once.
TEST_CASE("a client without TCP_NODELAY makes 20 new TLS 1.3 connections at a p50 below 10 ms") {
  const Pki pki("");
  const std::string tickets = GENERATE("on", "off");
  INFO("--tickets " << tickets);
  auto node = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--tickets", tickets, "--cert",
                          pki / "localhost.pem", "--key", pki / "localhost.key"});
  const std::string hp = host_port(node.url);
  const auto r = run_command("python3 " HOPCOST_SOURCE_DIR "/tests/interop/nagle_client.py " + hp.substr(0, hp.rfind(':')) +
                             " " + hp.substr(hp.rfind(':') + 1) + " " + pki / "ca.pem" + " 20 1.3");
  INFO(r.output);
  REQUIRE(r.code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex(R"(p50_ms ([0-9.]+))")));
  CHECK(std::stod(m[1]) < 10.0);
}

TEST_CASE("openssl s_client resumes against hopcost origin --tickets on, and cannot with --tickets off") {
  const Pki pki("");
  for (const std::string tickets : {"on", "off"}) {
    auto node = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--tickets", tickets, "--cert",
                            pki / "localhost.pem", "--key", pki / "localhost.key"});
    for (const std::string version : {"1_2", "1_3"}) {
      INFO("--tickets " << tickets << ", TLS " << version);
      const std::string outcome = second_connection(pki / "ca.pem", host_port(node.url), "localhost", version, pki.dir);
      if (tickets == "on")
        CHECK(outcome == "Reused, TLSv1." + version.substr(2));
      else
        CHECK((outcome == "no session" || outcome == "New, TLSv1." + version.substr(2)));
    }
  }
}

TEST_CASE("a chain built with tickets off, in either placement, gives a real client no session to resume") {
  const hopcost::Pki pki;
  const TempDir dir;
  hopcost::write_certificate(dir / "ca.pem", pki.ca_cert());
  const auto placement = GENERATE(hopcost::Placement::inproc, hopcost::Placement::process);
  INFO(hopcost::to_string(placement));
  auto spec = hopcost::simple_plan({hopcost::LinkKind::tls, hopcost::LinkKind::tls});
  for (auto& link : spec.links) link.tickets = false;
  std::unique_ptr<hopcost::Chain> chain;
  if (placement == hopcost::Placement::process) {
    chain = std::make_unique<hopcost::ProcessChain>(spec, pki, HOPCOST_BINARY);  // children get --tickets off
  } else {
    auto inproc = std::make_unique<hopcost::InprocChain>(spec, pki);
    inproc->start();
    chain = std::move(inproc);
  }
  const auto& entry = chain->entry();
  const std::string outcome =
      second_connection(dir / "ca.pem", entry.endpoint.to_string(), entry.server_name, "1_3", dir);
  CHECK((outcome == "no session" || outcome == "New, TLSv1.3"));
  chain->stop();
}

TEST_CASE("a bad tickets value exits 2 naming the flag and the accepted values, for origin, hop and run") {
  const Pki pki("");
  for (const std::string& args : {"origin --listen tls://127.0.0.1:0 --cert " + pki / "localhost.pem" + " --key " +
                                     pki / "localhost.key" + " --tickets maybe",
                                 std::string("hop --listen tcp://127.0.0.1:0 --upstream tcp://127.0.0.1:1 --tickets maybe"),
                                 std::string("run --tickets maybe --duration 0.1")}) {
    INFO(args);
    const auto r = run_hopcost(args);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains("--tickets: unknown value 'maybe'; accepted: on, off"));
  }
}
