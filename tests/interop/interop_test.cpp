// Real clients against hopcost nodes: curl, openssl s_client, wrk and h2load (Debian's,
// installed by scripts/bootstrap). If hopcost speaks HTTP/1.1 and TLS as they do, its
// figures can be checked against theirs (docs/cross-check.md).
#include <catch2/catch.hpp>

#include <regex>

#include "support/process.hpp"

using namespace hopcost::test;

namespace {

struct Pki {
  TempDir dir;
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
