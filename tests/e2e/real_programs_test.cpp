// Real programs (HAProxy, Nginx, Varnish with Hitch and stunnel, stunnel) as relays of
// `hopcost run` (issue #11, "Tests" and "Bad input"): requests carried with verification
// on, certificate faults counted, handshakes per link following the upstream policy and
// resumption, residence times from the programs' logs adding up, a silent node leaving
// only its own shares unknown, nothing outliving the run, and bad input refused up front.
// Counts and ratios, never absolute times. Tagged [real] (ctest label e2e-real, run
// serially: the sums of shares are read against the end-to-end p50).
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace hopcost;
using namespace hopcost::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kBase = "run -q --no-floors --connections 2 --warmup 0.2 --tls 1.3 ";

struct Run {
  int code = -1;
  std::string output;
  json report;  // null when none was written
};

// `hopcost run` into TMP/out (removed first); reads report.json when there is one.
Run run(const TempDir& tmp, const std::string& args, const std::string& duration = "0.3") {
  const std::string out = tmp / "out";
  fs::remove_all(out);
  const auto r = run_hopcost(kBase + "--duration " + duration + " --out " + out + " " + args);
  Run result{r.code, r.output, nullptr};
  const fs::path report = fs::path(out) / "report.json";
  if (fs::exists(report)) result.report = json::parse(read_file(report));
  return result;
}

Run run_ok(const TempDir& tmp, const std::string& args, const std::string& duration = "0.3") {
  Run r = run(tmp, args, duration);
  INFO(r.output);
  REQUIRE(r.code == 0);
  REQUIRE(r.report.is_object());
  return r;
}

const json& variant_of(const json& report, const std::string& relay,
                       const std::string& topology = "", const std::string& key = "",
                       const std::string& value = "") {
  for (const auto& v : report["variants"])
    if (v["relay"] == relay && (topology.empty() || v["topology"] == topology) &&
        (key.empty() || v[key].get<std::string>() == value))
      return v;
  FAIL("no variant with relay " << relay << " " << topology << " " << key << "=" << value);
  static const json none;
  return none;
}

double per_request(const json& hop, const char* field) {
  return hop[field].get<double>();
}
double handshakes(const json& hop) {
  return per_request(hop, "handshakes_full") + per_request(hop, "handshakes_resumed");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// No request failed, and no node counted an error. (HAProxy closes an idle plaintext
// server connection with a reset: hopcost's nodes read that, before any byte of a
// request, as the connection's end, not as an error: http/message_buffer.cpp.)
void check_no_errors(const json& v) {
  INFO(v["relay"] << " " << v["topology"] << ": errors " << v["errors"]
                  << ", nodes' first errors: " << [&] {
                       std::string s;
                       for (const auto& n : v["nodes"])
                         s += n["name"].get<std::string>() + " " + n["first_errors"].dump() + " ";
                       return s;
                     }());
  const auto& nodes = v["nodes"];
  CHECK(nodes[0]["errors"]["total"] == 0);  // the client: every request answered
  for (size_t i = 1; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    INFO(n["name"]);
    CHECK(n["errors"]["total"] == 0);
  }
}

// Every file the run kept for a variant's relay (OUT/programs/<variant>/<relay>/*), joined.
std::string kept_config(const TempDir& tmp, const std::string& variant_part,
                        const std::string& relay) {
  std::string all;
  const fs::path programs = fs::path(tmp / "out") / "programs";
  REQUIRE(fs::is_directory(programs));
  for (const auto& d : fs::directory_iterator(programs)) {
    const std::string name = d.path().filename().string();
    if (!contains(name, variant_part) || !fs::is_directory(d.path() / relay)) continue;
    for (const auto& f : fs::directory_iterator(d.path() / relay)) all += read_file(f.path());
  }
  return all;
}

// `hopcost run ARGS` as a child, its scratch directories (TMPDIR) under `tmpdir`.
std::unique_ptr<ChildProcess> start_run(const std::string& tmpdir, const std::string& args) {
  std::vector<std::string> argv{"TMPDIR=" + tmpdir, HOPCOST_BINARY};
  std::istringstream in(args);
  for (std::string a; in >> a;) argv.push_back(a);
  return std::make_unique<ChildProcess>("/usr/bin/env", argv);
}

bool wait_exit(ChildProcess& p, std::chrono::milliseconds limit) {
  return eventually([&] { return p.exited(); }, limit);
}

}  // namespace

// 1. -----------------------------------------------------------------------------------

TEST_CASE(
    "every real program carries requests through tls-everywhere and terminate-once chains, "
    "verified, "
    "named with its version",
    "[real]") {
  TempDir tmp;
  const std::string relays = "--relay haproxy,nginx,varnish,stunnel --conn keepalive ";
  SECTION(
      "tls-everywhere, 3 hops: both relays the program, the link between them TLS verified by it") {
    const auto r = run_ok(tmp, "--topology tls-everywhere --hops 3 " + relays);
    const json& report = r.report;
    REQUIRE(report["variants"].size() == 4);
    for (const auto& v : report["variants"]) {
      const std::string relay = v["relay"];
      INFO(relay << ": " << v["failure"] << " " << v["errors"] << " "
                 << v["nodes"][0]["first_errors"]);
      CHECK_FALSE(v["failed"].get<bool>());
      CHECK(v["errors"]["total"] == 0);
      CHECK(v["warmup_errors"]["total"] == 0);
      CHECK(v["requests"].get<int>() >= 50);
      // Both relays are the program, each named with the version it printed.
      const auto& nodes = v["nodes"];
      REQUIRE(nodes.size() == 4);
      CHECK(nodes[0]["implementation"] == "hopcost");
      CHECK(nodes[3]["implementation"] == "hopcost");
      for (int i : {1, 2}) {
        CHECK(nodes[i]["implementation"] == relay);
        REQUIRE(nodes[i]["version"].is_string());
        CHECK(contains(nodes[i]["version"], relay == "haproxy" ? "HAProxy version" : relay));
      }
      // Each link says which programs are its ends.
      const auto& hops = v["per_hop"];
      REQUIRE(hops.size() == 3);
      CHECK(hops[0]["client_end"] == "hopcost");
      CHECK(hops[0]["server_end"] == relay);
      CHECK(hops[1]["client_end"] == relay);
      CHECK(hops[1]["server_end"] == relay);
      CHECK(hops[2]["client_end"] == relay);
      CHECK(hops[2]["server_end"] == "hopcost");
      // Link 1 has a real program at both ends: no hopcost end counts it. Nginx's log
      // counts it (per request, its connections there are its own, 1:1); the others say why not.
      if (relay == "nginx") {
        CHECK(hops[1]["uncounted_reason"].is_null());
        CHECK(hops[1]["counted_at"] == "nginx's log (server end)");
      } else {
        CHECK(hops[1]["uncounted_reason"].is_string());
        CHECK(hops[1]["counted_at"].is_null());
      }
      CHECK(hops[0]["uncounted_reason"].is_null());
      CHECK(hops[2]["uncounted_reason"].is_null());
      // keep-alive: the client's link handshakes once per connection, not per request.
      CHECK(handshakes(hops[0]) < 0.05);
    }
    // context.programs: every program that ran, with its version line.
    const auto& programs = report["context"]["programs"];
    for (const char* p : {"haproxy", "nginx", "varnishd", "varnishncsa", "hitch", "stunnel"}) {
      INFO(p << " in " << programs.dump());
      REQUIRE(programs.contains(p));
      CHECK_FALSE(programs[p].get<std::string>().empty());
    }
    // Verification of the upstream is on in what ran (kept under OUT/programs/), with the
    // name checked: relay1 originates TLS to relay2.
    const std::string te = "tls-everywhere-3-hops-TLS-1.3-keepalive-inproc-relay-";
    const auto haproxy = kept_config(tmp, te + "haproxy", "relay1");
    CHECK(contains(haproxy, "verify required ca-file"));
    CHECK(contains(haproxy, "verifyhost relay2.hopcost.test"));
    const auto nginx = kept_config(tmp, te + "nginx", "relay1");
    CHECK(contains(nginx, "proxy_ssl_verify on;"));
    CHECK(contains(nginx, "proxy_ssl_name relay2.hopcost.test;"));
    for (const char* p : {"stunnel", "varnish"}) {
      const auto s = kept_config(tmp, te + p, "relay1");
      INFO(p);
      CHECK(contains(s, "verifyChain = yes"));
      CHECK(contains(s, "checkHost = relay2.hopcost.test"));
    }
  }
  SECTION("terminate-once, 2 hops: TLS in, plaintext to the origin") {
    // (3 hops would give relay2 plaintext on both ends, which stunnel cannot do: exit 2.)
    const auto r = run_ok(tmp, "--topology terminate-once --hops 2 " + relays);
    REQUIRE(r.report["variants"].size() == 4);
    for (const auto& v : r.report["variants"]) {
      const std::string relay = v["relay"];
      INFO(relay << ": " << v["failure"] << " " << v["errors"] << " "
                 << v["nodes"][0]["first_errors"]);
      CHECK_FALSE(v["failed"].get<bool>());
      check_no_errors(v);
      CHECK(v["requests"].get<int>() >= 50);
      CHECK(v["links"] == json::array({"tls", "tcp"}));
      CHECK(v["nodes"][1]["implementation"] == relay);
      CHECK(v["nodes"][1]["version"].is_string());
      CHECK(v["per_hop"][0]["server_end"] == relay);
      CHECK(v["per_hop"][1]["client_end"] == relay);
      CHECK(v["tls_version"] == "TLSv1.3");
    }
    for (const char* p : {"haproxy", "nginx", "varnishd", "hitch", "stunnel"})
      CHECK(r.report["context"]["programs"].contains(p));
  }
}

// 2. -----------------------------------------------------------------------------------

TEST_CASE(
    "an expired certificate behind or in front of a real program is counted on its link, and the "
    "run fails",
    "[real]") {
  TempDir tmp;
  SECTION("a real program is the client of the link: its verification refuses the hopcost server") {
    // HAProxy is left out: it retries a refused server 3 times, 1 s apart, per request.
    const auto r = run(tmp,
                       "--topology tls-everywhere --hops 2 --conn keepalive --expired-cert 1 "
                       "--relay nginx,varnish,stunnel");
    INFO(r.output);
    CHECK(r.code == 3);
    REQUIRE(r.report.is_object());
    CHECK(r.report["context"]["configuration"]["expired_cert"] == 1);
    for (const char* relay : {"nginx", "varnish", "stunnel"}) {
      const auto& v = variant_of(r.report, relay);
      INFO(relay << ": " << v["failure"] << " " << v["errors"]);
      CHECK(v["failed"].get<bool>());
      CHECK(v["requests"] == 0);
      const auto& e = v["errors"];
      CHECK(e["total"].get<int>() >= 10);
      const auto& link1 = v["per_hop"][1];
      CHECK(link1["client_end"] == relay);
      CHECK(link1["server_end"] == "hopcost");
      // Nothing fails on the client's own link; its server end, the program, counts
      // nothing of its own (null, not 0).
      CHECK(v["per_hop"][0]["handshake_errors"]["client"] == 0);
      CHECK(v["per_hop"][0]["handshake_errors"]["server"].is_null());
      if (std::string(relay) == "stunnel") {
        // It relays bytes: it closes the client's connection, and the hopcost server
        // counts the refused handshakes.
        CHECK(e["read"].get<int>() > 0);
      } else {
        // An HTTP proxy answers 502 (Nginx) or 503 (Varnish) for each request.
        CHECK(e["status"].get<int>() == e["total"].get<int>() - e["handshake"].get<int>());
        CHECK(e["status"].get<int>() > 0);
        const auto& first = v["nodes"][0]["first_errors"];
        REQUIRE(first.contains("status"));
        CHECK(contains(first["status"], std::string(relay) == "nginx" ? "502" : "503"));
      }
      if (std::string(relay) != "nginx") {
        // The OpenSSL client's alert reaches the hopcost server, which counts it on link 1.
        // (Nginx completes the TLS 1.3 handshake and closes afterwards: nothing to count.)
        CHECK(link1["handshake_errors"]["server"].get<int>() > 0);
        CHECK(link1["handshake_errors"]["server"] == e["handshake"]);
        CHECK(link1["handshake_error"].is_string());
        CHECK(contains(v["failure"], "link 1"));
      }
    }
  }
  SECTION(
      "a real program is the server of the link: the hopcost client's verification refuses it") {
    const auto r = run(tmp,
                       "--topology tls-everywhere --hops 2 --conn keepalive --expired-cert 0 "
                       "--relay haproxy,nginx,varnish,stunnel");
    INFO(r.output);
    CHECK(r.code == 3);
    REQUIRE(r.report.is_object());
    for (const char* relay : {"haproxy", "nginx", "varnish", "stunnel"}) {
      const auto& v = variant_of(r.report, relay);
      INFO(relay << ": " << v["failure"] << " " << v["errors"]);
      CHECK(v["failed"].get<bool>());
      CHECK(v["requests"] == 0);
      const auto& link0 = v["per_hop"][0];
      CHECK(link0["server_end"] == relay);
      const int failed = link0["handshake_errors"]["client"];
      CHECK(failed >= 10);
      // Every error is that handshake, counted on link 0 and attributed to it.
      CHECK(v["errors"]["handshake"] == failed);
      CHECK(v["errors"]["total"] == failed);
      CHECK(v["per_hop"][1]["handshake_errors"]["client"].is_null());  // the program's end
      CHECK(v["per_hop"][1]["handshake_errors"]["server"] == 0);
      REQUIRE(link0["handshake_error"].is_string());
      CHECK(contains(link0["handshake_error"], "expired"));
      CHECK(contains(v["failure"], "link 0"));
    }
  }
}

// 3. -----------------------------------------------------------------------------------

TEST_CASE(
    "handshakes per request on the link behind a real relay follow its upstream policy and "
    "resumption",
    "[real]") {
  TempDir tmp;
  SECTION("HAProxy and Nginx: 1:1 against pool, resumption on against off") {
    const auto r = run_ok(tmp,
                          "--topology tls-everywhere --hops 2 --conn new --upstream 1:1,pool "
                          "--upstream-resume on,off --relay haproxy,nginx");
    REQUIRE(r.report["variants"].size() == 8);
    for (const auto& v : r.report["variants"]) {
      const std::string label = v["relay"].get<std::string>() + " " +
                                v["upstream"].get<std::string>() + " resume " +
                                v["upstream_resume"].get<std::string>();
      INFO(label << " " << v["per_hop"].dump());
      CHECK(v["errors"]["total"] == 0);
      const auto& hops = v["per_hop"];
      // The client's link: a full handshake per request (conn new, no resumption).
      CHECK(std::abs(handshakes(hops[0]) - 1) < 0.05);
      CHECK(hops[1]["server_end"] == "hopcost");  // counted at the origin
      CHECK(hops[1]["uncounted_reason"].is_null());
      const double behind = handshakes(hops[1]);
      if (v["upstream"] == "pool") {
        // The connections the probe and the first requests opened carry the rest.
        CHECK(behind < 0.05);
      } else {
        CHECK(std::abs(behind - 1) < 0.1);
        if (v["upstream_resume"] == "on")
          CHECK(per_request(hops[1], "handshakes_resumed") > 0.8);
        else
          CHECK(per_request(hops[1], "handshakes_resumed") < 0.01);
      }
    }
  }
  SECTION("Varnish (its stunnel helper) and stunnel: resumption on against off") {
    const auto r = run_ok(tmp,
                          "--topology tls-everywhere --hops 2 --conn new --upstream 1:1 "
                          "--upstream-resume on,off --relay varnish,stunnel");
    REQUIRE(r.report["variants"].size() == 4);
    for (const auto& v : r.report["variants"]) {
      const std::string label =
          v["relay"].get<std::string>() + " resume " + v["upstream_resume"].get<std::string>();
      INFO(label << " " << v["per_hop"].dump());
      CHECK(v["errors"]["total"] == 0);
      const auto& link1 = v["per_hop"][1];
      CHECK(std::abs(handshakes(link1) - 1) < 0.1);
      if (v["upstream_resume"] == "on")
        CHECK(per_request(link1, "handshakes_resumed") > 0.8);
      else
        CHECK(per_request(link1, "handshakes_resumed") < 0.01);
    }
  }
}

// 4. -----------------------------------------------------------------------------------

TEST_CASE(
    "residence times from the programs' logs pair with the client's requests and the shares add up "
    "to the p50",
    "[real]") {
  TempDir tmp;
  // 2 ms per link, so that the 1 ms resolution of HAProxy's and Nginx's logs is small
  // against what each link adds; Varnish logs µs.
  const auto r = run_ok(
      tmp,
      "--topology tls-everywhere --hops 2 --conn keepalive --rtt 2ms --relay haproxy,nginx,varnish",
      "0.5");
  for (const char* relay : {"haproxy", "nginx", "varnish"}) {
    const auto& v = variant_of(r.report, relay);
    INFO(relay << " " << v["per_hop"].dump() << " origin " << v["origin_us"] << " p50 "
               << v["latency_us"]["p50"]);
    CHECK(v["errors"]["total"] == 0);
    const double requests = v["requests"].get<double>();
    CHECK(requests >= 40);
    // Every measured request's id is found in the program's log.
    CHECK(v["attribution_samples"].get<double>() >= 0.95 * requests);
    CHECK(v["attribution_samples"].get<double>() <= requests * 1.01 + 2);
    CHECK(v["origin_unknown_reason"].is_null());
    double sum = v["origin_us"]["p50"].get<double>();
    for (const auto& hop : v["per_hop"]) {
      CHECK(hop["unknown_reason"].is_null());
      REQUIRE(hop["added_latency_us"].is_object());
      const double share = hop["added_latency_us"]["p50"];
      // At least most of the link's emulated round trip (2 ms): a link with a real program
      // at one end gets its whole rtt from hopcost's end (net/delay_line.hpp).
      CHECK(share >= 0.75 * 2000);
      sum += share;
    }
    CHECK(v["per_hop"][0]["added_latency_resolution_us"] ==
          (std::string(relay) == "varnish" ? 1.0 : 1000.0));
    const double p50 = v["latency_us"]["p50"];
    CHECK(sum == Approx(p50).epsilon(0.15));
  }
}

// 5. -----------------------------------------------------------------------------------

TEST_CASE("a silent node (stunnel, no access log) leaves only its adjacent shares unknown",
          "[real]") {
  TempDir tmp;
  // client -> relay1 (hopcost) -> relay2 (nginx) -> relay3 (stunnel) -> origin; the
  // link between the two programs has no emulated network (no hopcost end to carry it).
  const auto r = run_ok(
      tmp, "--topology tls,tls/node=nginx,tls/node=stunnel/rtt=0,tls --conn keepalive --rtt 2ms", "0.5");
  REQUIRE(r.report["variants"].size() == 1);
  const auto& v = r.report["variants"][0];
  INFO(v["per_hop"].dump());
  CHECK(v["errors"]["total"] == 0);
  CHECK(v["relay"] == "hopcost,nginx,stunnel");
  const auto& nodes = v["nodes"];
  REQUIRE(nodes.size() == 5);
  CHECK(nodes[1]["implementation"] == "hopcost");
  CHECK(nodes[2]["implementation"] == "nginx");
  CHECK(nodes[3]["implementation"] == "stunnel");
  CHECK(contains(nodes[3]["version"], "stunnel"));
  const auto& hops = v["per_hop"];
  REQUIRE(hops.size() == 4);
  // Links 0 and 1 keep their numbers: the nodes at both of their ends report.
  double sum = v["origin_us"]["p50"].get<double>();
  for (int i : {0, 1}) {
    CHECK(hops[i]["unknown_reason"].is_null());
    REQUIRE(hops[i]["added_latency_us"].is_object());
    sum += hops[i]["added_latency_us"]["p50"].get<double>();
  }
  // Links 2 and 3 meet stunnel: unknown, with the reason, never 0.
  for (int i : {2, 3}) {
    CHECK(hops[i]["added_latency_us"].is_null());
    REQUIRE(hops[i]["unknown_reason"].is_string());
    CHECK(contains(hops[i]["unknown_reason"], "stunnel"));
  }
  // Together they are known.
  const json* joint = nullptr;
  for (const auto& h : hops)
    if (h["added_latency_joint_us"].is_object()) joint = &h["added_latency_joint_us"];
  REQUIRE(joint);
  CHECK((*joint)["last_link"] == 3);
  sum += (*joint)["p50"].get<double>();
  CHECK(sum == Approx(v["latency_us"]["p50"].get<double>()).epsilon(0.15));
  CHECK(v["attribution_samples"].get<double>() >= 0.95 * v["requests"].get<double>());
}

// 6. -----------------------------------------------------------------------------------

TEST_CASE("no real program outlives hopcost run when it is killed with SIGKILL", "[real]") {
  TempDir tmp;
  const std::string scratch = tmp / "scratch";
  fs::create_directories(scratch);
  auto hopcost =
      start_run(scratch,
                "run -q --no-floors --topology tls-everywhere --hops 2 --tls 1.3 --conn keepalive "
                "--relay nginx --duration 60 --warmup 0 --connections 2 --out " +
                    (tmp / "out"));
  // The Nginx master and its worker, running from the run's scratch directory.
  std::vector<pid_t> nginx;
  REQUIRE(eventually([&] { return (nginx = processes_under(scratch, "nginx")).size() >= 2; },
                     std::chrono::seconds(20)));
  INFO(describe(nginx));
  CHECK_FALSE(processes_under(tmp.path.string(), "hopcost").empty());  // hopcost and its guard
  hopcost->signal(SIGKILL);
  REQUIRE(wait_exit(*hopcost, std::chrono::seconds(5)));
  // Nothing of the run is left: no nginx, no guard.
  std::vector<pid_t> left;
  const bool gone = eventually([&] { return (left = processes_under(tmp.path.string())).empty(); },
                               std::chrono::seconds(10));
  INFO("left: " << describe(left));
  CHECK(gone);
  for (pid_t p : nginx) CHECK_FALSE(alive(p));
  for (pid_t p : left) ::kill(p, SIGKILL);  // not to leak them into the other tests
}

TEST_CASE("a real program killed mid-run fails its variant, naming the program and how it ended",
          "[real]") {
  TempDir tmp;
  const std::string scratch = tmp / "scratch";
  fs::create_directories(scratch);
  const std::string out = tmp / "out";
  auto hopcost =
      start_run(scratch,
                "run -q --no-floors --topology tls-everywhere --hops 2 --tls 1.3 --conn keepalive "
                "--relay nginx --duration 3 --warmup 0 --connections 2 --out " +
                    out);
  // Its master, once the client's requests go through it (the access log names them).
  pid_t master = 0;
  REQUIRE(eventually(
      [&] {
        for (pid_t p : processes_under(scratch, "nginx"))
          if (contains(proc_cmdline(p), "nginx: master")) master = p;
        if (!master) return false;
        std::error_code ec;
        for (const auto& f : fs::recursive_directory_iterator(scratch, ec))
          if (contains(f.path().filename().string(), "nginx.access.log") &&
              contains(read_file(f.path()), "id=5 "))
            return true;
        return false;
      },
      std::chrono::seconds(20)));
  REQUIRE(::kill(master, SIGKILL) == 0);
  REQUIRE(wait_exit(*hopcost, std::chrono::seconds(20)));
  CHECK(hopcost->exit_code() == 3);
  const fs::path report_path = fs::path(out) / "report.json";
  REQUIRE(fs::exists(report_path));
  const json report = json::parse(read_file(report_path));
  REQUIRE(report["variants"].size() == 1);
  const auto& v = report["variants"][0];
  CHECK(v["failed"].get<bool>());
  REQUIRE(v["failure"].is_string());
  const std::string failure = v["failure"];
  INFO(failure);
  CHECK(contains(failure, "nginx"));
  CHECK(contains(failure, std::to_string(master)));
  CHECK(contains(failure, "killed by signal 9"));
  // Its orphaned worker is stopped with the rest.
  std::vector<pid_t> left;
  const bool gone = eventually([&] { return (left = processes_under(tmp.path.string())).empty(); },
                               std::chrono::seconds(10));
  INFO("left: " << describe(left));
  CHECK(gone);
  for (pid_t p : left) ::kill(p, SIGKILL);
}

// 7. -----------------------------------------------------------------------------------

TEST_CASE("bad input for real programs exits 2 with one message and leaves no output directory",
          "[real]") {
  TempDir tmp;
  struct Case {
    std::string args;
    std::vector<std::string> names;  // what the message must name
  };
  const std::vector<Case> cases = {
      {"--relay squid", {"squid", "--relay"}},
      {"--relay article --hops 3", {"article", "--hops 5"}},
      {"--relay haproxy --group cecpq2", {"haproxy", "cecpq2"}},
      {"--relay stunnel --upstream pool", {"stunnel", "pool"}},
      {"--relay nginx --placement process", {"nginx", "--placement process"}},
      {"--topology tls,tcp/node=haproxy", {"node=", "origin"}},
      {"--relay stunnel --topology terminate-once --hops 3", {"stunnel", "plaintext on both ends"}},
      {"--relay article --topology tls-everywhere --hops 5 --rtt 1ms", {"--rtt", "two real programs", "haproxy", "varnish"}},
  };
  const std::string scratch = tmp / "scratch";
  fs::create_directories(scratch);
  for (const auto& c : cases) {
    const std::string out = tmp / "out";
    const auto r =
        run_command("TMPDIR=" + scratch + " " + HOPCOST_BINARY +
                    " run -q --no-floors --duration 0.3 --warmup 0.1 --connections 2 --out " + out +
                    " " + c.args);
    INFO(c.args << ": " << r.output);
    CHECK(r.code == 2);
    for (const auto& n : c.names) CHECK(contains(r.output, n));
    // One message: one line.
    std::string text = r.output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    CHECK(std::count(text.begin(), text.end(), '\n') == 0);
    CHECK_FALSE(fs::exists(out));
    CHECK(fs::is_empty(scratch));  // no scratch directory, no program started
  }
}
