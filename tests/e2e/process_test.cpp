// Placement process: every node its own process of the hopcost binary.
#include <catch2/catch.hpp>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "load/driver.hpp"
#include "support/process.hpp"
#include "topologies/process_chain.hpp"
#include "topologies/topology.hpp"
#include "util/errors.hpp"

using namespace hopcost;
using namespace hopcost::test;
using namespace std::chrono_literals;

TEST_CASE("a process chain of every preset carries requests, and its nodes report their counters") {
  const Pki pki;
  for (std::string_view topology : {"tls-everywhere", "terminate-once", "unix-socket", "tls,tls+uds,tcp"}) {
    INFO(topology);
    const auto links = parse_topologies(topology).at(0).links_for(3);
    ProcessChain chain(simple_plan(links, TlsVersion::v1_3, 1024), pki, HOPCOST_BINARY);
    NodeStats client;
    LoadSettings settings;
    settings.conn = ConnPolicy::new_connection;
    settings.connections = 2;
    settings.duration = 300ms;
    std::vector<NodeSnapshot> before;
    const auto load = run_closed_loop(chain.entry(), settings, client, {.opened = [&] { before = chain.snapshot(); }, .closed = {}});
    const auto after = chain.snapshot();
    CHECK(load.requests > 5);
    CHECK(load.errors.total() == 0);
    REQUIRE(after.size() == 3);
    CHECK(after[0].name == "relay1");
    CHECK(after[2].role == Role::origin);
    // Each node served every request. A relay counts a request once it has written the
    // response, so up to one per connection may still be uncounted when the client is done.
    for (const auto& n : after) CHECK(n.counters.messages + 2 >= load.requests);
    for (const auto& n : after) CHECK(n.cpu_ns > 0);
    uint64_t link_handshakes = 0;
    for (const auto& n : after) link_handshakes += n.counters.server.handshakes;
    size_t tls_links = 0;
    for (auto k : links) tls_links += traits(k).tls;
    CHECK(link_handshakes >= tls_links * load.requests);
    chain.stop();
  }
}

TEST_CASE("hopcost run --placement process gives the same kind of report as inproc") {
  TempDir tmp;
  const auto r = run_hopcost("run -q --no-floors --placement inproc,process --topology terminate-once,tls-everywhere --hops 3 "
                         "--tls 1.2 --conn new --duration 0.3 --warmup 0.1 --connections 2 --out " + tmp / "out");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  REQUIRE(report["variants"].size() == 4);
  for (const auto& v : report["variants"]) {
    CHECK(v["requests"].get<int>() > 0);
    CHECK(v["errors"]["total"] == 0);
    CHECK(v["tls_version"] == "TLSv1.2");
    CHECK(v["nodes"].size() == 4);
    CHECK(v["failure"].is_null());
    const double expected = v["topology"] == "tls-everywhere" ? 3.0 : 1.0;
    CHECK(v["handshakes_per_request"].get<double>() == Approx(expected).epsilon(0.15));
  }
  CHECK(report["variants"][0]["placement"] == "inproc");
  CHECK(report["variants"][2]["placement"] == "process");
}

TEST_CASE("a node process that dies mid-run is reported with its exit status, the run exits 3") {
  TempDir tmp;
  ChildProcess run(HOPCOST_BINARY, {"run", "-q", "--no-floors", "--placement", "process", "--topology", "terminate-once", "--hops",
                                    "3", "--tls", "1.3", "--conn", "keepalive", "--duration", "3", "--warmup", "0",
                                    "--connections", "2", "--out", tmp / "out"});
  std::vector<pid_t> nodes;
  REQUIRE(eventually([&] { return (nodes = children_of(run.pid())).size() == 3; }));
  // The chain starts from the origin: nodes[2] is relay1. Traffic flows once it holds
  // the driver's 2 connections and its 2 upstream ones besides its listener.
  REQUIRE(eventually([&] { return socket_count(nodes[2]) >= 5; }));
  REQUIRE(::kill(nodes[1], SIGKILL) == 0);  // relay2, mid-run
  REQUIRE(eventually([&] { return run.exited(); }, 20s));
  CHECK(run.exit_code() == 3);
  const auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  const auto& failure = report["variants"][0]["failure"];
  REQUIRE(failure.is_string());
  // relay2 is the one that died; relay1, whose upstream vanished, answered 502s and lived.
  CHECK_THAT(failure.get<std::string>(), Catch::StartsWith("relay2 ") && Catch::Contains("killed by signal 9"));
}

TEST_CASE("node processes never outlive the run, even when it is killed") {
  TempDir tmp;
  auto run = std::make_unique<ChildProcess>(
      HOPCOST_BINARY, std::vector<std::string>{"run", "-q", "--no-floors", "--placement", "process", "--topology", "unix-socket",
                                               "--hops", "4", "--duration", "10", "--out", tmp / "out"});
  std::vector<pid_t> nodes;
  REQUIRE(eventually([&] { return (nodes = children_of(run->pid())).size() == 4; }));
  run->signal(SIGKILL);
  REQUIRE(eventually([&] { return run->exited(); }));
  for (pid_t n : nodes) CHECK(eventually([&] { return !alive(n); }, 5s));
}
