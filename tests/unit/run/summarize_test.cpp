#include <catch2/catch.hpp>

#include <cerrno>
#include <system_error>

#include "run/runner.hpp"

using namespace hopcost;

namespace {

// A node's snapshot with `hs_server` / `hs_client` handshakes (200 µs a server side,
// 400 µs a client side) and `cpu_us` of CPU.
NodeSnapshot node(std::string name, Role role, uint64_t hs_server, uint64_t hs_client, uint64_t cpu_us) {
  NodeSnapshot s;
  s.name = std::move(name);
  s.role = role;
  s.counters.server.handshakes = hs_server;
  s.counters.client.handshakes = hs_client;
  s.counters.server.handshake_cpu_ns = hs_server * 200'000;
  s.counters.client.handshake_cpu_ns = hs_client * 400'000;
  s.counters.server.handshake_bytes = hs_server * 1300;
  s.counters.server.wire_bytes = hs_server * 5000;
  s.counters.server.app_bytes = hs_server * 4000;
  s.counters.server.record_cpu_ns = hs_server * 10'000;
  s.cpu_ns = cpu_us * 1000;
  return s;
}

}  // namespace

TEST_CASE("summarize: figures are differences over the measured interval, per request") {
  Scenario s;
  s.connections = 4;
  Variant v{parse_topologies("tls,tls,tcp")[0], {LinkKind::tls, LinkKind::tls, LinkKind::tcp}, TlsVersion::v1_3,
            ConnPolicy::new_connection};
  v.placement = Placement::process;
  LoadResult load;
  for (int i = 0; i < 100; ++i) load.latency_ns.record(1'000'000 + i * 1000);
  load.requests = 100;
  load.measured = std::chrono::seconds(7);     // a timed-out request stretched the CPU window...
  load.rate_window = std::chrono::seconds(2);  // ...but not the one throughput divides by
  load.errors[ErrorKind::timeout] = 3;

  // Warm-up left counts behind: 7 handshakes and some CPU everywhere, which must not count.
  std::vector<NodeSnapshot> before{node("client", Role::client, 0, 7, 9'000), node("relay1", Role::relay, 7, 7, 9'000),
                                         node("relay2", Role::relay, 7, 0, 9'000), node("origin", Role::origin, 0, 0, 9'000)};
  std::vector<NodeSnapshot> after{node("client", Role::client, 0, 107, 59'000), node("relay1", Role::relay, 107, 107, 89'000),
                                  node("relay2", Role::relay, 107, 0, 39'000), node("origin", Role::origin, 0, 0, 19'000)};
  after[2].negotiated = Negotiated{"TLSv1.3", "TLS_AES_128_GCM_SHA256", "X25519"};
  after[3].counters.errors[ErrorKind::read] = 2;
  after[3].first_errors[static_cast<int>(ErrorKind::read)] = "bad request";
  // The client's timeouts inside the window; a relay's failed connect during warm-up.
  after[0].counters.errors[ErrorKind::timeout] = 3;
  after[0].first_errors[static_cast<int>(ErrorKind::timeout)] = "no response within 5000 ms";
  before[1].counters.errors[ErrorKind::connect] = 1;
  after[1].counters.errors[ErrorKind::connect] = 1;
  Attribution attribution;
  attribution.added_us = {{300, 900}, {200, 500}, {100, 150}};
  attribution.origin_us = {40, 60};
  attribution.samples = 100;
  const FloorFigures floors{500, 550, 10, 5};
  const auto r = summarize(v, s, load, before, after, attribution, floors);
  CHECK(r.hops == 3);
  CHECK(r.links == std::vector<std::string>{"tls", "tls", "tcp"});
  CHECK(r.placement == "process");
  CHECK(r.tls_version == "TLSv1.3");
  CHECK(r.tls_cipher == "TLS_AES_128_GCM_SHA256");
  CHECK(r.throughput_rps == Approx(50));
  // Every failure any node counted inside the window: the client's 3, the origin's 2.
  CHECK(r.errors.total() == 5);
  CHECK(r.errors[ErrorKind::timeout] == 3);
  CHECK(r.errors[ErrorKind::read] == 2);
  CHECK(r.warmup_errors.total() == 1);
  CHECK(r.warmup_errors[ErrorKind::connect] == 1);
  CHECK(r.exhausted == 0);
  CHECK_FALSE(r.first_exhausted);
  CHECK(r.handshakes_per_request == Approx(2.0));     // two TLS links
  CHECK(r.handshake_cpu_us == Approx(600.0));         // one link: 400 client + 200 server
  CHECK(r.cpu_us_per_request == Approx(1700.0));      // 170 ms over 100 requests
  REQUIRE(r.nodes.size() == 4);
  CHECK(r.nodes[1].handshakes == 200);
  CHECK(r.nodes[1].handshake_cpu_us == Approx(300.0));  // (100 x 200 + 100 x 400) / 200
  CHECK(r.nodes[1].role == "relay");
  CHECK(r.nodes[3].handshake_cpu_us == 0);
  CHECK(r.nodes[3].first_errors == std::map<std::string, std::string>{{"read", "bad request"}});
  CHECK(r.nodes[0].first_errors == std::map<std::string, std::string>{{"timeout", "no response within 5000 ms"}});
  CHECK(r.nodes[2].first_errors.empty());
  CHECK(r.latency_us.p50 == Approx(1049.0).epsilon(0.002));
  CHECK(r.latency_us.max == Approx(1099.0));
  CHECK_FALSE(r.failure);
  // 100 handshakes at 600 µs on each of the 2 TLS links and 2 × 100 × 10 ms of record
  // layer (scaled fakes), of 170 ms of CPU.
  CHECK(r.tls_cpu_share == Approx((120'000.0 + 2'000.0) / 170'000.0));
  CHECK(r.handshake_cpu_vs_floor == Approx(600.0 / 550.0));
  REQUIRE(r.per_hop.size() == 3);
  CHECK(r.per_hop[0].kind == "tls");
  CHECK(r.per_hop[0].handshake_cpu_us_client == Approx(400.0));  // the client's side
  CHECK(r.per_hop[0].handshake_cpu_us_server == Approx(200.0));  // relay1's downstream side
  CHECK(r.per_hop[0].handshake_bytes == Approx(1300.0));
  CHECK(r.per_hop[0].bytes_per_request == Approx(5000.0));
  CHECK(r.per_hop[0].overhead_bytes_per_request == Approx(1000.0));
  CHECK(r.per_hop[0].added_latency_us.p99 == Approx(900.0));
  CHECK_FALSE(r.per_hop[0].added_latency_vs_floor);           // a TLS link: no plaintext floor
  CHECK(r.per_hop[2].kind == "tcp");
  CHECK(r.per_hop[2].added_latency_vs_floor == Approx(100.0 / 10.0));  // p50 over the TCP round trip
  CHECK(r.origin_us.p50 == Approx(40.0));
  CHECK(r.attribution_samples == 100);
}

TEST_CASE("summarize: no successful request gives zeros, not infinities, and a failed variant") {
  const Variant v{parse_topologies("tcp")[0], {LinkKind::tcp}, TlsVersion::v1_3, ConnPolicy::keepalive};
  LoadResult load;
  load.measured = std::chrono::seconds(1);
  load.errors[ErrorKind::connect] = 10;
  const std::vector<NodeSnapshot> before{node("client", Role::client, 0, 0, 0)};
  const std::vector<NodeSnapshot> after{node("client", Role::client, 0, 0, 5000)};
  const auto r = summarize(v, Scenario{}, load, before, after, Attribution{});
  CHECK(r.requests == 0);
  CHECK(r.throughput_rps == 0);
  CHECK(r.cpu_us_per_request == 0);
  CHECK(r.handshakes_per_request == 0);
  CHECK_FALSE(r.tls_version.has_value());
  REQUIRE(r.failure);
  CHECK(r.failed());
  CHECK_THAT(*r.failure, Catch::Contains("0 requests succeeded") && Catch::Contains("fewer than the minimum of 10"));
}

TEST_CASE("summarize: fewer requests than the minimum fail the variant, and --requests N lowers the minimum to N") {
  const Variant v{parse_topologies("tcp")[0], {LinkKind::tcp}, TlsVersion::v1_3, ConnPolicy::keepalive};
  LoadResult load;
  load.measured = std::chrono::seconds(1);
  load.requests = kMinMeasuredRequests - 1;
  const std::vector<NodeSnapshot> snapshots{node("client", Role::client, 0, 0, 0)};
  CHECK(summarize(v, Scenario{}, load, snapshots, snapshots, Attribution{}).failed());
  Scenario few;
  few.requests = kMinMeasuredRequests - 1;
  CHECK_FALSE(summarize(v, few, load, snapshots, snapshots, Attribution{}).failed());
  load.requests = kMinMeasuredRequests;
  CHECK_FALSE(summarize(v, Scenario{}, load, snapshots, snapshots, Attribution{}).failed());
  load.measured = {};  // a window of no length measured nothing
  CHECK(summarize(v, Scenario{}, load, snapshots, snapshots, Attribution{}).failed());
}

TEST_CASE("summarize: errors for want of file descriptors are counted, warm-up included, and named") {
  const Variant v{parse_topologies("tcp,tcp")[0], {LinkKind::tcp, LinkKind::tcp}, TlsVersion::v1_3, ConnPolicy::keepalive};
  LoadResult load;
  load.measured = std::chrono::seconds(1);
  load.requests = 100;
  std::vector<NodeSnapshot> before{node("client", Role::client, 0, 0, 0), node("relay1", Role::relay, 0, 0, 0),
                                   node("origin", Role::origin, 0, 0, 0)};
  before[1].counters.exhausted = 2;
  auto after = before;
  after[1].counters.exhausted = 5;
  after[1].first_exhausted = "accept: Too many open files";
  const auto r = summarize(v, Scenario{}, load, before, after, Attribution{});
  CHECK(r.exhausted == 5);
  CHECK(r.first_exhausted == "relay1: accept: Too many open files");
}

TEST_CASE("is_exhaustion knows the texts of EMFILE, ENFILE, ENOMEM and ENOBUFS") {
  for (int e : {EMFILE, ENFILE, ENOMEM, ENOBUFS}) CHECK(is_exhaustion("accept: " + std::error_code(e, std::system_category()).message()));
  CHECK_FALSE(is_exhaustion("Connection refused"));
}

namespace {

// A variant of `links` where every relay is `relay`, with new connections.
Variant real_variant(const std::string& topology, const std::string& relay, ConnPolicy conn = ConnPolicy::new_connection) {
  Variant v{parse_topologies(topology)[0], parse_topologies(topology)[0].links_for(0), TlsVersion::v1_3, conn};
  v.upstream = UpstreamPolicy::one_to_one;
  v.relay = relay;
  return v;
}

}  // namespace

TEST_CASE("summarize: a real node's helpers' CPU over the window, on their own and inside the node's") {
  Scenario s;
  Variant v = real_variant("tls,tls,tls", "varnish");
  LoadResult load;
  for (int i = 0; i < 100; ++i) load.latency_ns.record(1'000'000);
  load.requests = 100;
  load.measured = load.rate_window = std::chrono::seconds(1);
  std::vector<NodeSnapshot> before{node("client", Role::client, 0, 0, 0), node("relay1", Role::relay, 0, 0, 10'000),
                                   node("relay2", Role::relay, 0, 0, 10'000), node("origin", Role::origin, 0, 0, 0)};
  std::vector<NodeSnapshot> after{node("client", Role::client, 0, 100, 0), node("relay1", Role::relay, 0, 0, 60'000),
                                  node("relay2", Role::relay, 0, 0, 30'000), node("origin", Role::origin, 100, 0, 0)};
  for (size_t i : {1u, 2u}) before[i].implementation = after[i].implementation = "varnish";
  before[1].helper_cpu_ns = {{"varnishncsa", 1'000'000}, {"hitch", 2'000'000}};
  after[1].helper_cpu_ns = {{"varnishncsa", 3'000'000}, {"hitch", 12'000'000}, {"stunnel", 5'000'000}};
  const VariantResult r = summarize(v, s, load, before, after, {});
  REQUIRE(r.nodes[1].helpers);
  REQUIRE(r.nodes[1].helpers->size() == 3);
  CHECK((*r.nodes[1].helpers)[0].process == "varnishncsa");
  CHECK((*r.nodes[1].helpers)[0].cpu_us_per_request == Approx(20));
  CHECK((*r.nodes[1].helpers)[1].cpu_us_per_request == Approx(100));
  CHECK((*r.nodes[1].helpers)[2].cpu_us_per_request == Approx(50));  // not in the first snapshot: from 0
  CHECK(r.nodes[1].cpu_us_per_request == Approx(500));              // the node's, helpers included
  CHECK_FALSE(r.nodes[0].helpers);                                   // hopcost's client
  CHECK_FALSE(r.nodes[3].helpers);
  CHECK(r.nodes[2].helpers);  // a real node without helpers' CPU: an empty list
}

TEST_CASE("summarize: a link between two real programs is counted from a program's access log, or says why not") {
  Scenario s;
  LoadResult load;
  for (uint64_t i = 1; i <= 10; ++i) {
    load.latency_ns.record(1'000'000);
    load.samples.push_back({i, 1'000'000});
  }
  load.requests = 10;
  load.measured = load.rate_window = std::chrono::seconds(1);
  auto snapshots = [](const std::string& a, const std::string& b) {
    std::vector<NodeSnapshot> n{node("client", Role::client, 0, 10, 0), node("relay1", Role::relay, 0, 0, 0),
                                node("relay2", Role::relay, 0, 0, 0), node("origin", Role::origin, 10, 0, 0)};
    n[1].implementation = a;
    n[2].implementation = b;
    return n;
  };
  // relay2's listening end resumed 7 of 10 (ids 1-10), plus a warm-up request (99) not counted.
  std::vector<LoggedTls> logged(3);
  logged[0].program = "haproxy";
  logged[0].upstream_resumed.emplace();
  logged[1].program = "nginx";
  logged[1].listen_resumed.emplace();
  for (uint64_t i = 1; i <= 10; ++i) {
    (*logged[1].listen_resumed)[i] = i > 3;
    (*logged[0].upstream_resumed)[i] = true;
  }
  (*logged[1].listen_resumed)[99] = false;

  SECTION("the server end's log first") {
    const auto b = snapshots("haproxy", "nginx");
    const VariantResult r = summarize(real_variant("tls,tls,tls", "haproxy"), s, load, b, b, {}, {}, logged);
    REQUIRE(r.per_hop.size() == 3);
    CHECK(r.per_hop[0].counted_at == "client end");
    CHECK(r.per_hop[2].counted_at == "server end");
    CHECK(r.per_hop[1].counted_at == "nginx's log (server end)");
    CHECK_FALSE(r.per_hop[1].uncounted_reason);
    CHECK(r.per_hop[1].handshakes_full == Approx(0.3));
    CHECK(r.per_hop[1].handshakes_resumed == Approx(0.7));
    CHECK(r.handshakes_per_request == Approx(1.0));  // link 1 from the log (the hopcost ends counted none in between)
  }
  SECTION("the client end's log where the server end logs nothing") {
    logged[1].listen_resumed.reset();
    const auto b = snapshots("haproxy", "varnish");
    const VariantResult r = summarize(real_variant("tls,tls,tls", "haproxy"), s, load, b, b, {}, {}, logged);
    CHECK(r.per_hop[1].counted_at == "haproxy's log (client end)");
    CHECK(r.per_hop[1].handshakes_resumed == Approx(1.0));
    CHECK(r.per_hop[1].handshakes_full == Approx(0.0));
  }
  SECTION("neither end logs its sessions: uncounted, and why") {
    logged[0].upstream_resumed.reset();
    logged[1].listen_resumed.reset();
    const auto b = snapshots("varnish", "varnish");
    const VariantResult r = summarize(real_variant("tls,tls,tls", "varnish"), s, load, b, b, {}, {}, logged);
    CHECK_FALSE(r.per_hop[1].counted_at);
    REQUIRE(r.per_hop[1].uncounted_reason);
    CHECK_THAT(*r.per_hop[1].uncounted_reason, Catch::Contains("neither logs its TLS sessions"));
  }
  SECTION("requests share connections (keep-alive through HAProxy): a log per request counts no handshakes") {
    const auto b = snapshots("haproxy", "nginx");
    const VariantResult r =
        summarize(real_variant("tls,tls,tls", "haproxy", ConnPolicy::keepalive), s, load, b, b, {}, {}, logged);
    CHECK_FALSE(r.per_hop[1].counted_at);
    REQUIRE(r.per_hop[1].uncounted_reason);
    CHECK_THAT(*r.per_hop[1].uncounted_reason, Catch::Contains("the client keeps its connections alive"));
    CHECK(r.per_hop[1].handshakes_full == 0);
  }
}
