// hopcost run across TLS configurations per link (issue #10, keys, groups, chain depth,
// mutual TLS): what each negotiates and what it costs, as counts and ratios.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "support/process.hpp"

using namespace hopcost::test;

namespace {

nlohmann::json run_report(const TempDir& tmp, const std::string& args) {
  const std::string out = tmp / "out";
  std::filesystem::remove_all(out);
  const auto r = run_hopcost("run -q --no-floors --connections 2 --duration 0.5 --warmup 0.1 --tls 1.3 --conn new --out " +
                             out + " " + args);
  INFO(r.output);
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(read_file(std::filesystem::path(out) / "report.json"));
}

const nlohmann::json& variant_with(const nlohmann::json& report, const std::string& key, const std::string& value) {
  for (const auto& v : report["variants"])
    if (v[key] == value) return v;
  FAIL("no variant with " << key << " = " << value);
  return report;
}

}  // namespace

TEST_CASE("key types: each link's certificate key is reported, and RSA-2048 costs its server more than ECDSA P-256") {
  TempDir tmp;
  const auto report = run_report(tmp, "--topology tls --key ecdsa-p256,rsa-2048");
  REQUIRE(report["variants"].size() == 2);
  const auto& ecdsa = variant_with(report, "key", "ecdsa-p256");
  const auto& rsa = variant_with(report, "key", "rsa-2048");
  CHECK(ecdsa["per_hop"][0]["key_type"] == "ecdsa-p256");
  CHECK(rsa["per_hop"][0]["key_type"] == "rsa-2048");
  CHECK_THAT(rsa["nodes"][1]["name"].get<std::string>(), Catch::Equals("origin"));
  // The server signs: RSA-2048 signing is about 10x ECDSA P-256's here (FLOORS.md).
  CHECK(rsa["per_hop"][0]["handshake_cpu_us"]["server"].get<double>() >
        1.5 * ecdsa["per_hop"][0]["handshake_cpu_us"]["server"].get<double>());
}

TEST_CASE("every TLS configuration of a run has a handshake floor of its own, which its variants are read against") {
  TempDir tmp;
  const std::string out = tmp / "out";
  const auto r = run_hopcost("run -q --connections 2 --duration 0.5 --warmup 0.1 --tls 1.3 --conn new --topology tls "
                             "--key ecdsa-p256,rsa-2048 --out " + out);  // with floors
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(read_file(std::filesystem::path(out) / "report.json"));
  const auto& by_setup = report["floors"]["handshake_cpu_us_by_setup"];
  REQUIRE(by_setup.contains("1.3 rsa-2048"));
  CHECK(by_setup.size() == 1);  // ECDSA P-256 is the default floor's
  // RSA-2048's floor is an RSA handshake: about twice the ECDSA one here, not the same.
  CHECK(by_setup["1.3 rsa-2048"].get<double>() > 1.3 * report["floors"]["handshake_tls13_cpu_us"].get<double>());
  for (const auto& v : report["variants"]) {
    INFO(v["key"]);
    REQUIRE(v["handshake_cpu_vs_floor"].is_number());
    // Against its own floor a handshake in the chain costs about the floor, at least 0.8 of it.
    CHECK(v["handshake_cpu_vs_floor"].get<double>() > 0.8);
    CHECK(v["handshake_cpu_vs_floor"].get<double>() < 2.0);
  }
}

TEST_CASE("groups: each link negotiates the group asked for, and CECPQ2's handshake carries more bytes than X25519's") {
  TempDir tmp;
  const auto report = run_report(tmp, "--topology tls-everywhere --hops 2 --group x25519,cecpq2");
  const auto& x = variant_with(report, "group", "x25519");
  const auto& pq = variant_with(report, "group", "cecpq2");
  for (const auto& hop : x["per_hop"]) CHECK(hop["tls_group"] == "X25519");
  for (const auto& hop : pq["per_hop"]) CHECK(hop["tls_group"] == "CECPQ2");
  CHECK(pq["per_hop"][0]["handshake_bytes"].get<double>() > x["per_hop"][0]["handshake_bytes"].get<double>() + 1000);
}

TEST_CASE("TLS 1.2 groups: the key exchange is the group asked for, also with an ECDSA certificate, and cecpq2 is left to TLS 1.3") {
  TempDir tmp;
  const std::string out = tmp / "out12";
  const auto r = run_hopcost("run -q --no-floors --connections 2 --duration 0.3 --warmup 0.1 --conn new --topology tls "
                             "--tls 1.2,1.3 --group x25519,p-256,cecpq2 --out " + out);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(read_file(std::filesystem::path(out) / "report.json"));
  REQUIRE(report["variants"].size() == 5);  // TLS 1.2 x {x25519, p-256}, TLS 1.3 x all three
  for (const auto& v : report["variants"]) {
    INFO(v["tls"] << " " << v["group"]);
    CHECK(v["errors"]["total"] == 0);
    const std::string want = v["group"] == "x25519" ? "X25519" : v["group"] == "p-256" ? "P-256" : "CECPQ2";
    CHECK(v["per_hop"][0]["tls_group"] == want);
  }
}

TEST_CASE("chain depth 2: handshakes verify through the intermediates and carry more bytes than depth 0") {
  TempDir tmp;
  const double bytes0 = run_report(tmp, "--topology tls")["variants"][0]["per_hop"][0]["handshake_bytes"];
  const auto deep = run_report(tmp, "--topology tls --chain-depth 2")["variants"][0];
  CHECK(deep["errors"]["total"] == 0);
  CHECK(deep["chain_depth"] == 2);
  CHECK(deep["per_hop"][0]["handshake_bytes"].get<double>() > bytes0 + 400);
  CHECK(deep["certificates"]["intermediate"] == 2);
}

TEST_CASE("mutual TLS: the connecting node presents a certificate on every TLS link, which costs both sides, and the bill counts it") {
  TempDir tmp;
  const auto plain = run_report(tmp, "--topology tls,tcp,tls")["variants"][0];
  const auto mutual = run_report(tmp, "--topology tls,tcp,tls --mtls")["variants"][0];
  CHECK(mutual["errors"]["total"] == 0);
  CHECK(mutual["mtls"] == "on");
  CHECK(mutual["per_hop"][0]["mtls"] == true);
  CHECK(mutual["per_hop"][1]["mtls"] == false);  // a tcp link
  CHECK(mutual["per_hop"][2]["mtls"] == true);
  // The client now signs and the server verifies: both sides spend more.
  CHECK(mutual["per_hop"][0]["handshake_cpu_us"]["client"].get<double>() >
        plain["per_hop"][0]["handshake_cpu_us"]["client"].get<double>());
  CHECK(mutual["per_hop"][0]["handshake_cpu_us"]["server"].get<double>() >
        plain["per_hop"][0]["handshake_cpu_us"]["server"].get<double>());
  CHECK(mutual["per_hop"][0]["handshake_bytes"].get<double>() > plain["per_hop"][0]["handshake_bytes"].get<double>());
  CHECK(plain["certificates"]["server"] == 2);
  CHECK(plain["certificates"]["client"] == 0);
  CHECK(mutual["certificates"]["client"] == 2);
  CHECK(mutual["certificates"]["total"] == 5);  // 2 servers, 2 clients, the CA
  // Node processes too: each relay presents its own client certificate upstream.
  const auto processes = run_report(tmp, "--topology tls,tcp,tls --mtls --placement process")["variants"][0];
  CHECK(processes["errors"]["total"] == 0);
  CHECK(processes["per_hop"][2]["mtls"] == true);
  CHECK(processes["per_hop"][2]["handshake_bytes"].get<double>() > plain["per_hop"][2]["handshake_bytes"].get<double>());
  // Per link: only the second TLS link.
  const auto one = run_report(tmp, "--topology tls,tcp,tls/mtls=on")["variants"][0];
  CHECK(one["mtls"] == "mixed");
  CHECK(one["per_hop"][0]["mtls"] == false);
  CHECK(one["per_hop"][2]["mtls"] == true);
}

TEST_CASE("the certificate bill of the article's 5-hop chains, and handshakes per second") {
  TempDir tmp;
  const auto report = run_report(tmp, "--topology tls-everywhere,terminate-once --hops 5");
  const auto& everywhere = variant_with(report, "topology", "tls-everywhere");
  const auto& once = variant_with(report, "topology", "terminate-once");
  CHECK(everywhere["certificates"]["server"] == 5);
  CHECK(everywhere["certificates"]["total"] == 6);
  CHECK(once["certificates"]["server"] == 1);
  CHECK(once["certificates"]["total"] == 2);
  // Every link of tls-everywhere handshakes for every request.
  CHECK(everywhere["handshakes_per_second"].get<double>() ==
        Approx(everywhere["handshakes_per_request"].get<double>() * everywhere["requests"].get<double>() /
               everywhere["measured_s"].get<double>())
            .epsilon(0.01));
}

TEST_CASE("bad TLS settings exit 2 naming the flag and what is accepted") {
  TempDir tmp;
  const std::string out = tmp / "out";
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"--key dsa", "--key: unknown key type 'dsa'; accepted: ecdsa-p256, ecdsa-p384, rsa-2048, rsa-4096, ed25519"},
      {"--group ml-kem", "this BoringSSL, API 17, has no ML-KEM: its post-quantum hybrid is cecpq2"},
      {"--chain-depth 9", "--chain-depth: 9 is out of range; accepted: 0 to 3"},
      {"--topology tcp --mtls", "--mtls: the chain 'tcp' has no TLS link"},
      {"--group cecpq2 --tls 1.2", "--group cecpq2 needs --tls 1.3"},
      {"--topology tls,tcp/mtls=on", "mtls= and resume= apply to TLS links only"},
      {"--topology tls/key=dsa", "key: unknown key type 'dsa'"},
      {"--conn 0rtt --tls 1.2", "--conn 0rtt needs --tls 1.3"},
      {"--resume id --tls 1.3", "--resume id needs --tls 1.2: TLS 1.3 resumes by tickets only"},
      {"--conn reuse", "accepted: new, keepalive, resume, 0rtt"},
      {"--upstream-resume maybe", "--upstream-resume: unknown value 'maybe'; accepted: on, off"},
      {"--topology tls/resume=off,tls", "resume= is set on a link whose client is a relay"},
  };
  for (const auto& c : cases) {
    const auto r = run_hopcost("run -q --no-floors --out " + out + " " + c.args);
    INFO(c.args << " -> " << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.expected));
    CHECK_FALSE(std::filesystem::exists(out));
  }
}

TEST_CASE("an expired certificate on one internal link: every handshake there fails, attributed to that link, and the run exits 3") {
  TempDir tmp;
  for (const std::string placement : {"inproc", "process"}) {
    INFO(placement);
    const std::string out = tmp / ("out-" + placement);
    const auto r = run_hopcost("run --no-floors --topology tls-everywhere --hops 3 --tls 1.3 --conn new --connections 2 "
                               "--duration 0.4 --warmup 0.1 --expired-cert 1 --placement " + placement + " --out " + out);
    INFO(r.output);
    CHECK(r.code == 3);
    CHECK_THAT(r.output, Catch::Contains("handshakes fail on link 1 (relay1 to relay2): certificate verify failed: "
                                         "certificate has expired"));
    const auto report = nlohmann::json::parse(read_file(std::filesystem::path(out) / "report.json"));
    const auto& v = report["variants"][0];
    CHECK(v["failed"] == true);
    CHECK(v["per_hop"][1]["handshake_errors"]["client"].get<uint64_t>() > 0);
    CHECK(v["per_hop"][1]["handshake_errors"]["server"].get<uint64_t>() > 0);
    CHECK(v["per_hop"][1]["handshake_error"] == "certificate verify failed: certificate has expired");
    CHECK(v["per_hop"][0]["handshake_errors"]["client"] == 0);
    CHECK(v["per_hop"][2]["handshake_error"].is_null());
  }
  // A link that is not TLS, or not in the chain, is bad input.
  const auto r = run_hopcost("run -q --no-floors --topology tls,tcp --expired-cert 1 --out " + (tmp / "bad"));
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--expired-cert 1: link 1 of 'tls,tcp' (2 links) is not a TLS link"));
}

TEST_CASE("the mesh preset has mutual TLS on exactly the sidecar-to-sidecar links, which pool their connections") {
  TempDir tmp;
  const auto v = run_report(tmp, "--topology mesh --hops 3")["variants"][0];
  CHECK(v["errors"]["total"] == 0);
  REQUIRE(v["per_hop"].size() == 8);
  for (size_t i = 0; i < 8; ++i) {
    INFO(i);
    CHECK(v["per_hop"][i]["mtls"] == (i % 3 == 0 && i > 0));
  }
  // New client connections handshake on the first link only: the sidecars reuse theirs.
  CHECK(v["handshakes_per_request"].get<double>() == Approx(1.0).epsilon(0.05));
  CHECK(v["nodes"][3]["name"] == "sidecar1-out");
  CHECK(v["nodes"][3]["upstream_reuses"].get<uint64_t>() > 0);
}
