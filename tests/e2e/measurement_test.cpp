// The measurement contract on real chains: per-hop attribution adds up, repeats are
// interleaved, the open loop keeps its schedule, CPU policies pin.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "run/runner.hpp"
#include "support/process.hpp"

using namespace hopcost;
using namespace hopcost::test;

namespace {
Scenario quick() {
  Scenario s;
  s.duration = Seconds(0.5);
  s.warmup = Seconds(0.1);
  s.connections = 1;
  s.tls = {TlsVersion::v1_3};
  s.conn = {ConnPolicy::keepalive};
  return s;
}
Variant variant(std::string_view topology, int hops, ConnPolicy conn = ConnPolicy::keepalive) {
  const auto t = parse_topologies(topology).at(0);
  return Variant{t, t.links_for(hops), TlsVersion::v1_3, conn};
}
}  // namespace

TEST_CASE("the hops' shares plus the origin's time add up to the end-to-end latency, within 10% at p50") {
  const Pki pki;
  for (auto conn : {ConnPolicy::keepalive, ConnPolicy::new_connection}) {
    for (std::string_view topology : {"tls-everywhere", "terminate-once"}) {
      const auto r = run_variant(variant(topology, 4, conn), quick(), pki);
      INFO(topology << " " << to_string(conn));
      REQUIRE(r.requests > 20);
      // Every measured request was seen at every node, but for the last one per
      // connection, which a relay may not have recorded yet when the chain stops.
      CHECK(r.attribution_samples + 1 >= r.requests);
      REQUIRE(r.per_hop.size() == 4);
      double sum = r.origin_us.p50;
      for (const auto& hop : r.per_hop) sum += hop.added_latency_us.p50;
      CHECK(sum == Approx(r.latency_us.p50).epsilon(0.10));
      for (const auto& hop : r.per_hop) CHECK(hop.added_latency_us.p50 > 0);
      CHECK(r.origin_us.p50 > 0);
    }
  }
}

TEST_CASE("per link: handshake CPU by side, handshake bytes, and the record layer's overhead") {
  const Pki pki;
  const auto r = run_variant(variant("terminate-once", 2, ConnPolicy::new_connection), quick(), pki);
  REQUIRE(r.per_hop.size() == 2);
  const auto& tls = r.per_hop[0];
  const auto& tcp = r.per_hop[1];
  CHECK(tls.handshake_cpu_us_client > 0);
  CHECK(tls.handshake_cpu_us_server > 0);
  // A TLS 1.3 ECDSA P-256 full handshake is about 1.3 KB on the wire (FLOORS.md).
  CHECK(tls.handshake_bytes > 800);
  CHECK(tls.handshake_bytes < 3000);
  CHECK(tls.overhead_bytes_per_request > tls.handshake_bytes * 0.9);  // the handshake, tickets and records
  CHECK(tcp.handshake_cpu_us_client == 0);
  CHECK(tcp.overhead_bytes_per_request == 0);  // plaintext: the wire is the message
  CHECK(tcp.bytes_per_request > 1024);
  CHECK(r.tls_cpu_share > 0.05);
  CHECK(r.tls_cpu_share < 1.0);
}

TEST_CASE("repeats run interleaved, A B C A B C, and carry their values and intervals") {
  Scenario s = quick();
  s.duration = Seconds(0.2);
  s.warmup = Seconds(0);
  s.repeat = 3;
  set_scenario_value(s, "topology", {"terminate-once,unix-socket"});
  set_scenario_value(s, "hops", {"2"});
  std::vector<std::pair<size_t, int>> order;
  Progress progress;
  progress.started = [&](size_t i, size_t, int r, const Variant&) { order.emplace_back(i, r); };
  const Report report = run_scenario(s, progress);
  CHECK(order == std::vector<std::pair<size_t, int>>{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}});
  REQUIRE(report.variants.size() == 2);
  for (const auto& v : report.variants) {
    CHECK(v.repeats == 3);
    REQUIRE(v.repeat_values.count("latency_us.p50"));
    CHECK(v.repeat_values.at("latency_us.p50").size() == 3);
    CHECK(v.ci95.count("throughput_rps"));
  }
}

TEST_CASE("open loop: the requested rate is achieved, and both latencies are reported") {
  const Pki pki;
  Scenario s = quick();
  s.connections = 4;
  s.duration = Seconds(1);
  auto v = variant("terminate-once", 2);
  v.rate = 400;
  const auto r = run_variant(v, s, pki);
  REQUIRE(r.requested_rps);
  CHECK(r.throughput_rps == Approx(400).epsilon(0.05));
  REQUIRE(r.uncorrected_latency_us);
  CHECK(r.uncorrected_latency_us->p50 <= r.latency_us.p50 + 1);
}

TEST_CASE("open loop: a rate the machine cannot sustain finishes on time, with a warning") {
  const Pki pki;
  Scenario s = quick();
  s.connections = 2;
  s.duration = Seconds(0.5);
  auto v = variant("tls-everywhere", 3);
  v.rate = 5'000'000;
  const auto start = std::chrono::steady_clock::now();
  Report report;
  report.context.build_type = "Release";
  report.variants.push_back(run_variant(v, s, pki));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  const auto& r = report.variants[0];
  CHECK(r.throughput_rps < 0.95 * 5'000'000);
  // Latency from the intended send time grows with the backlog; from the send, it does not.
  CHECK(r.latency_us.p99 > 10 * r.uncorrected_latency_us->p99);
  const auto w = report_warnings(report);
  CHECK(std::any_of(w.begin(), w.end(), [](const std::string& x) { return x.find("below 95%") != std::string::npos; }));
}

TEST_CASE("bad --rate and --repeat values exit 2") {
  for (const char* args : {"--rate 0", "--rate -5", "--rate fast", "--repeat 0", "--repeat 101", "--cpu-policy pin:999"}) {
    const auto r = run_hopcost(std::string("run -q --out /tmp/hopcost-never ") + args);
    INFO(args << " -> " << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(std::string(args).substr(0, std::string(args).find(' '))));
  }
  CHECK_FALSE(std::filesystem::exists("/tmp/hopcost-never"));
}

TEST_CASE("instructions under callgrind: per request and per handshake, for each node") {
  TempDir tmp;
  const auto r = run_hopcost("run -q --count-instructions --requests 12 --topology terminate-once --hops 2 --tls 1.3 "
                             "--conn new --warmup 0.1 --connections 1 --out " + tmp / "out");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  const auto& v = report["variants"][0];
  CHECK(v["requests"] == 12);  // exactly --requests
  CHECK(report["floors"].is_null());  // times under callgrind are no floors
  // A full TLS 1.3 ECDSA P-256 handshake is about 7.3 M instructions, both sides (FLOORS.md).
  CHECK(v["handshake_instructions"].get<double>() > 5e6);
  CHECK(v["handshake_instructions"].get<double>() < 10e6);
  double sum = 0;
  for (const auto& n : v["nodes"]) {
    CHECK(n["instructions_per_request"].get<double>() > 0);
    sum += n["instructions_per_request"].get<double>();
  }
  CHECK(v["instructions_per_request"].get<double>() == Approx(sum).epsilon(0.001));
  CHECK(v["nodes"][0]["instructions_per_handshake"].get<double>() > v["nodes"][1]["instructions_per_handshake"].get<double>() * 0.5);
  const auto w = report["warnings"].dump();
  CHECK_THAT(w, Catch::Contains("callgrind"));
}

TEST_CASE("instruction counting needs a request count and inproc placement") {
  auto r = run_hopcost("run -q --count-instructions --out /tmp/hopcost-never");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--count-instructions needs --requests N"));
  r = run_hopcost("run -q --count-instructions --requests 5 --placement process --out /tmp/hopcost-never");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("needs --placement inproc"));
  CHECK_FALSE(std::filesystem::exists("/tmp/hopcost-never"));
}

TEST_CASE("cpu policy pack puts every node on one CPU, in both placements, and the report says where") {
  TempDir tmp;
  const auto r = run_hopcost("run -q --no-floors --cpu-policy pack --placement inproc,process --topology terminate-once --hops 3 "
                             "--tls 1.3 --conn keepalive --duration 0.3 --warmup 0.1 --connections 2 --out " + tmp / "out");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  for (const auto& v : report["variants"]) {
    CHECK(v["cpu_policy"] == "pack");
    CHECK(v["requests"].get<int>() > 0);
    const auto cpu = v["nodes"][0]["cpu"];
    REQUIRE(cpu.is_number());
    for (const auto& n : v["nodes"]) CHECK(n["cpu"] == cpu);
  }
}
