// The measured window at scale (issue #8): nothing begun outside it is counted in it, so
// handshakes per request are exact; a chain that fails in warm-up says so; a variant
// that measured nothing fails the run.
#include <catch2/catch.hpp>

#include <csignal>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

using namespace hopcost;
using namespace hopcost::test;
using namespace std::chrono_literals;

TEST_CASE("16 TLS links, 64 connections: handshakes per request are 16 within 1% with new, and about 0 with keep-alive") {
  TempDir tmp;
  const auto r = run_hopcost("run -q --no-floors --topology tls-everywhere --hops 16 --connections 64 --tls 1.3 "
                             "--conn new,keepalive --duration 1 --warmup 0.5 --out " + tmp / "out");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  REQUIRE(report["variants"].size() == 2);
  const auto& fresh = report["variants"][0];
  const auto& kept = report["variants"][1];
  REQUIRE(fresh["conn"] == "new");
  CHECK(fresh["errors"]["total"] == 0);
  CHECK(fresh["requests"].get<uint64_t>() >= 10);
  CHECK(fresh["handshakes_per_request"].get<double>() == Approx(16.0).epsilon(0.01));
  REQUIRE(kept["conn"] == "keepalive");
  CHECK(kept["errors"]["total"] == 0);
  CHECK(kept["handshakes_per_request"].get<double>() < 0.05);
  CHECK(kept["connections_established"] == 64);
  // Every connection was set up before the window: 64 × 16 handshakes, none in it.
  for (const auto& n : kept["nodes"]) CHECK(n["handshakes"] == 0);
}

TEST_CASE("an origin killed during warm-up: warm-up errors are reported, and the run exits 3") {
  TempDir tmp;
  ChildProcess run(HOPCOST_BINARY, {"run", "-q", "--no-floors", "--placement", "process", "--topology", "terminate-once",
                                    "--hops", "3", "--tls", "1.3", "--conn", "new", "--duration", "1", "--warmup", "4",
                                    "--connections", "2", "--out", tmp / "out"});
  std::vector<pid_t> nodes;
  REQUIRE(eventually([&] { return (nodes = children_of(run.pid())).size() == 3; }));
  // The chain starts from the origin: nodes[0]. Requests flow once relay1 holds sockets
  // besides its listener.
  REQUIRE(eventually([&] { return socket_count(nodes[2]) >= 2; }));
  std::this_thread::sleep_for(300ms);
  REQUIRE(::kill(nodes[0], SIGKILL) == 0);
  REQUIRE(eventually([&] { return run.exited(); }, 30s));
  CHECK(run.exit_code() == 3);
  const auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  const auto& v = report["variants"][0];
  CHECK(v["failed"] == true);
  REQUIRE(v["failure"].is_string());
  CHECK_THAT(v["failure"].get<std::string>(), Catch::StartsWith("origin ") && Catch::Contains("killed by signal 9"));
  // The client's requests through relays whose upstream vanished: 502s, counted in warm-up.
  CHECK(v["warmup_errors"]["total"].get<uint64_t>() > 0);
  bool warned = false;
  for (const auto& w : report["warnings"]) warned |= w.get<std::string>().find("errors during warm-up") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("a variant that measured no successful request fails the run with exit 3, and the console says so") {
  TempDir tmp;
  // A 10 µs timeout: no connection, let alone a handshake, finishes in time.
  const auto r = run_hopcost("run --no-floors --topology tls-everywhere --hops 2 --tls 1.3 --conn new --connections 2 "
                             "--duration 0.3 --warmup 0.1 --timeout 0.00001 --out " + tmp / "out");
  INFO(r.output);
  CHECK(r.code == 3);
  CHECK_THAT(r.output, Catch::Contains("FAILED") && Catch::Contains("0 requests succeeded"));
  const auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  const auto& v = report["variants"][0];
  CHECK(v["failed"] == true);
  CHECK(v["requests"] == 0);
  CHECK(v["errors"]["timeout"].get<uint64_t>() > 0);
  CHECK_THAT(v["failure"].get<std::string>(), Catch::Contains("fewer than the minimum of 10"));
}
