#include <catch2/catch.hpp>

#include "run/runner.hpp"

using namespace hopcost;

TEST_CASE("summarize: handshakes per request count link handshakes at their server ends") {
  Scenario s;
  s.connections = 4;
  const Variant v{parse_topologies("tls,tls,tcp")[0], {LinkKind::tls, LinkKind::tls, LinkKind::tcp},
                  TlsVersion::v1_3, ConnPolicy::new_connection};
  LoadResult load;
  for (int i = 0; i < 100; ++i) load.latency_ns.record(1'000'000 + i * 1000);
  load.requests = 100;
  load.measured = std::chrono::seconds(2);
  load.errors[ErrorKind::timeout] = 3;

  auto node = [](std::string name, std::string role, uint64_t hs_server, uint64_t hs_client, uint64_t cpu_us) {
    NodeDelta d;
    d.name = std::move(name);
    d.role = std::move(role);
    d.counters.handshakes_server = hs_server;
    d.counters.handshakes_client = hs_client;
    d.counters.handshake_cpu_ns_server = hs_server * 200'000;  // 200 µs a server side
    d.counters.handshake_cpu_ns_client = hs_client * 400'000;  // 400 µs a client side
    d.cpu_ns = cpu_us * 1000;
    return d;
  };
  const std::vector<NodeDelta> nodes{node("client", "client", 0, 100, 50'000), node("relay1", "relay", 100, 100, 80'000),
                                     node("relay2", "relay", 100, 0, 30'000), node("origin", "origin", 0, 0, 10'000)};
  const auto r = summarize(v, s, load, nodes, Negotiated{"TLSv1.3", "TLS_AES_128_GCM_SHA256", "X25519"});
  CHECK(r.hops == 3);
  CHECK(r.links == std::vector<std::string>{"tls", "tls", "tcp"});
  CHECK(r.tls_version == "TLSv1.3");
  CHECK(r.throughput_rps == Approx(50));
  CHECK(r.errors.total() == 3);
  CHECK(r.handshakes_per_request == Approx(2.0));     // two TLS links
  CHECK(r.handshake_cpu_us == Approx(600.0));         // one link: 400 client + 200 server
  CHECK(r.cpu_us_per_request == Approx(1700.0));      // 170 ms over 100 requests
  REQUIRE(r.nodes.size() == 4);
  CHECK(r.nodes[1].handshakes == 200);
  CHECK(r.nodes[1].handshake_cpu_us == Approx(300.0));  // (100 x 200 + 100 x 400) / 200
  CHECK(r.nodes[3].handshake_cpu_us == 0);
  CHECK(r.latency_us.p50 == Approx(1049.0).epsilon(0.002));
  CHECK(r.latency_us.max == Approx(1099.0));
}

TEST_CASE("summarize: no successful request gives zeros, not infinities") {
  const Variant v{parse_topologies("tcp")[0], {LinkKind::tcp}, TlsVersion::v1_3, ConnPolicy::keepalive};
  LoadResult load;
  load.measured = std::chrono::seconds(1);
  load.errors[ErrorKind::connect] = 10;
  const auto r = summarize(v, Scenario{}, load, {NodeDelta{"client", "client", {}, 5000, {}}}, std::nullopt);
  CHECK(r.requests == 0);
  CHECK(r.throughput_rps == 0);
  CHECK(r.cpu_us_per_request == 0);
  CHECK(r.handshakes_per_request == 0);
  CHECK_FALSE(r.tls_version.has_value());
}
