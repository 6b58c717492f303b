// End-to-end: real chains on loopback, driven by the real load driver. Assertions are on
// behaviour and counts (handshakes per request, negotiated version, errors by kind),
// never on absolute times.
#include <catch2/catch.hpp>
#include <dirent.h>

#include <filesystem>
#include <thread>

#include "run/runner.hpp"
#include "net/transport.hpp"
#include "tls/context.hpp"
#include "topologies/inproc_chain.hpp"

using namespace hopcost;
using namespace std::chrono_literals;

namespace {

Scenario quick(std::string_view conn) {
  Scenario s;
  s.duration = Seconds(0.4);
  s.warmup = Seconds(0.1);
  s.connections = 4;
  set_scenario_value(s, "conn", {std::string(conn)});
  return s;
}

Variant variant(std::string_view topology, int hops, TlsVersion tls, ConnPolicy conn) {
  const auto t = parse_topologies(topology).at(0);
  return Variant{t, t.links_for(hops), tls, conn};
}

size_t count_entries(const char* dir) {
  size_t n = 0;
  if (DIR* d = opendir(dir)) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

}  // namespace

TEST_CASE("every preset, and every link kind, carries requests end to end") {
  const Pki pki;
  for (std::string_view topology : {"tls-everywhere", "terminate-once", "unix-socket", "tls,tcp,tcp,uds,tcp"}) {
    for (auto conn : {ConnPolicy::keepalive, ConnPolicy::new_connection}) {
      const auto r = run_variant(variant(topology, 3, TlsVersion::v1_3, conn), quick(to_string(conn)), pki);
      INFO(topology << " " << to_string(conn));
      CHECK(r.requests > 10);
      CHECK(r.errors.total() == 0);
      CHECK(r.latency_us.p50 > 0);
      REQUIRE(r.nodes.size() == static_cast<size_t>(r.hops) + 1);
      // The whole body came back for every request, at the client.
      CHECK(r.nodes[0].bytes_per_request >= 1024);
      // Every relay and the origin handled each request.
      for (size_t i = 1; i < r.nodes.size(); ++i) CHECK(r.nodes[i].cpu_us > 0);
    }
  }
}

TEST_CASE("with new connections, handshakes per request equal the TLS links") {
  const Pki pki;
  const auto s = quick("new");
  struct Case {
    std::string_view topology;
    double expected;
  };
  for (const Case c : {Case{"tls-everywhere", 5}, Case{"terminate-once", 1}, Case{"unix-socket", 1}}) {
    const auto r = run_variant(variant(c.topology, 5, TlsVersion::v1_3, ConnPolicy::new_connection), s, pki);
    INFO(c.topology);
    REQUIRE(r.requests > 20);
    // Requests in flight at the edges of the interval blur this by a few per cent at most.
    CHECK(r.handshakes_per_request == Approx(c.expected).epsilon(0.1));
    CHECK(r.handshake_cpu_us > 0);
    // The client takes part in one handshake per request; relay1 in two when both its
    // links are TLS.
    CHECK(static_cast<double>(r.nodes[0].handshakes) / static_cast<double>(r.requests) == Approx(1).epsilon(0.1));
  }
}

TEST_CASE("with keep-alive, handshakes per request are near zero") {
  const Pki pki;
  const auto r = run_variant(variant("tls-everywhere", 5, TlsVersion::v1_3, ConnPolicy::keepalive), quick("keepalive"), pki);
  REQUIRE(r.requests > 100);
  CHECK(r.handshakes_per_request < 0.01);
}

TEST_CASE("the negotiated version and suite match --tls") {
  const Pki pki;
  auto r = run_variant(variant("tls-everywhere", 2, TlsVersion::v1_2, ConnPolicy::keepalive), quick("keepalive"), pki);
  CHECK(r.tls_version == "TLSv1.2");
  CHECK(r.tls_cipher == "ECDHE-ECDSA-AES128-GCM-SHA256");
  CHECK(r.tls_group == "X25519");
  r = run_variant(variant("tls-everywhere", 2, TlsVersion::v1_3, ConnPolicy::keepalive), quick("keepalive"), pki);
  CHECK(r.tls_version == "TLSv1.3");
  CHECK(r.tls_cipher == "TLS_AES_128_GCM_SHA256");
  r = run_variant(variant("tcp,uds", 2, TlsVersion::v1_3, ConnPolicy::keepalive), quick("keepalive"), pki);
  CHECK_FALSE(r.tls_version.has_value());
  CHECK(r.handshakes_per_request == 0);
}

TEST_CASE("a client that trusts another CA fails its handshakes, and they are counted") {
  const Pki pki, stranger;
  InprocChain chain(simple_plan({LinkKind::tls, LinkKind::tcp}, TlsVersion::v1_3, 1024), pki);
  chain.start();
  LinkEnds entry = chain.entry();
  const auto wrong_trust = make_client_ctx(TlsSettings{TlsVersion::v1_3}, stranger.ca_cert());
  entry.client_ctx = wrong_trust.get();
  NodeStats client;
  LoadSettings settings;
  settings.connections = 2;
  settings.duration = 300ms;
  const auto load = run_closed_loop(entry, settings, client, {});
  CHECK(load.requests == 0);
  CHECK(load.errors[ErrorKind::handshake] > 0);
  CHECK(load.errors.total() == load.errors[ErrorKind::handshake]);
  // The stranger's CA does not issue this chain: BoringSSL finds no trusted issuer (with
  // key identifiers in the certificates) or a signature that does not verify.
  CHECK_THAT(client.first_error(ErrorKind::handshake),
             Catch::Contains("certificate verify failed: unable to get local issuer certificate") ||
                 Catch::Contains("certificate verify failed: certificate signature failure"));
  // The relay saw the client give up: counted at its end too, with the alert.
  CHECK(chain.nodes()[0]->stats().snapshot().errors[ErrorKind::handshake] > 0);
  chain.stop();
}

TEST_CASE("a connection closed before its first byte is no failed handshake (a health check), one with a bad hello is") {
  const Pki pki;
  InprocChain chain(simple_plan({LinkKind::tls}, TlsVersion::v1_3, 1024), pki);
  chain.start();
  const std::string to = "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(chain.entry().endpoint.port) + "; ";
  auto errors = [&] { return chain.nodes()[0]->stats().snapshot().errors[ErrorKind::handshake]; };
  auto errors_become = [&](uint64_t n) {
    for (int i = 0; i < 500 && errors() < n; ++i) std::this_thread::sleep_for(10ms);
    return errors() == n;
  };
  const std::string bad_hello = "bash -c '" + to + "printf \"GET / HTTP/1.1\\r\\n\\r\\n\" >&3; exec 3>&-'";
  const std::string silent = "bash -c '" + to + "exec 3>&-'";
  REQUIRE(std::system(bad_hello.c_str()) == 0);
  CHECK(errors_become(1));
  REQUIRE(std::system(silent.c_str()) == 0);
  REQUIRE(std::system(bad_hello.c_str()) == 0);
  CHECK(errors_become(2));
  std::this_thread::sleep_for(50ms);
  CHECK(errors() == 2);  // the silent one in between was not counted
  chain.stop();
}

TEST_CASE("mutual TLS: a client certificate from another CA is refused, and counted on that link at both ends") {
  const Pki pki, stranger;
  auto plan = simple_plan({LinkKind::tls, LinkKind::tcp});
  plan.links[0].mtls = true;
  InprocChain chain(plan, pki);
  chain.start();
  LinkEnds entry = chain.entry();
  TlsSettings settings{TlsVersion::v1_3};
  settings.mtls = true;
  const Credential foreign = stranger.issue("client.hopcost.test");  // the right name, the wrong CA
  const auto ctx = make_client_ctx(settings, pki.ca_cert(), &foreign);
  entry.client_ctx = ctx.get();
  NodeStats client;
  LoadSettings load_settings;
  load_settings.connections = 2;
  load_settings.conn = ConnPolicy::new_connection;
  load_settings.duration = 300ms;
  const auto load = run_closed_loop(entry, load_settings, client, {});
  CHECK(load.requests == 0);
  CHECK(load.errors[ErrorKind::handshake] + load.errors[ErrorKind::read] > 0);
  const auto relay = chain.nodes()[0]->stats().snapshot();  // the server end of link 0
  CHECK(relay.errors[ErrorKind::handshake] > 0);
  CHECK_THAT(chain.nodes()[0]->stats().first_error(ErrorKind::handshake), Catch::Contains("certificate verify failed"));
  chain.stop();
}

TEST_CASE("an upstream that is gone gives 502s counted at the relay, and the run finishes") {
  const Pki pki;
  InprocChain chain(simple_plan({LinkKind::tls, LinkKind::tcp, LinkKind::tcp}, TlsVersion::v1_3, 1024), pki);
  chain.start();
  chain.nodes()[2]->stop();  // the origin goes away
  NodeStats client;
  LoadSettings settings;
  settings.connections = 2;
  settings.duration = 300ms;
  const auto load = run_closed_loop(chain.entry(), settings, client, {});
  CHECK(load.requests == 0);
  CHECK(load.errors[ErrorKind::status] > 0);
  CHECK_THAT(client.first_error(ErrorKind::status), Catch::Contains("502"));
  const auto relay2 = chain.nodes()[1]->stats().snapshot();
  // Warm-up included: keep-alive warm-up lasts until each connection has failed once.
  CHECK(relay2.errors[ErrorKind::connect] == client.snapshot().errors[ErrorKind::status]);
  CHECK(client.snapshot().errors[ErrorKind::status] > load.errors[ErrorKind::status]);
  chain.stop();
}

TEST_CASE("an origin that dies under load mid-interval: 502s and errors, no crash, an honest interval") {
  const Pki pki;
  InprocChain chain(simple_plan({LinkKind::tls, LinkKind::tcp, LinkKind::tcp}, TlsVersion::v1_3, 1024), pki);
  chain.start();
  NodeStats client;
  LoadSettings settings;
  settings.connections = 4;
  settings.warmup = 100ms;
  settings.duration = 400ms;
  // Every keep-alive connection is open through every hop when the origin goes.
  const auto load = run_closed_loop(chain.entry(), settings, client, {.opened = [&] { chain.nodes()[2]->stop(); }, .closed = {}});
  CHECK(load.errors[ErrorKind::status] > 0);
  // The interval runs to the end of the duration, failed requests included.
  CHECK(load.measured >= 400ms);
  const auto relay2 = chain.nodes()[1]->stats().snapshot();
  CHECK(relay2.errors[ErrorKind::connect] + relay2.errors[ErrorKind::read] > 0);
  chain.stop();
}

TEST_CASE("a request with no response in time is a timeout error, not a latency sample") {
  // A listener that accepts and never answers: the kernel completes the connection.
  const Pki pki;
  asio::io_context io(1);
  Endpoint silent;
  Acceptor acceptor = listen_on(io.get_executor(), silent);
  LinkEnds entry;
  entry.kind = LinkKind::tcp;
  entry.endpoint = silent;
  NodeStats client;
  LoadSettings settings;
  settings.connections = 1;
  settings.duration = 100ms;
  settings.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  const auto load = run_closed_loop(entry, settings, client, {});
  CHECK(load.requests == 0);
  CHECK(load.errors[ErrorKind::timeout] == 1);
  CHECK(load.latency_ns.count() == 0);
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // bounded by the timeout, not hung
}

TEST_CASE("teardown leaves no thread, socket or socket file behind") {
  // ThreadSanitizer's runtime starts a thread of its own at the first pthread_create and
  // keeps it to the end: have it start before counting.
  std::thread([] {}).join();
  const Pki pki;
  const size_t fds_before = count_entries("/proc/self/fd");
  const size_t threads_before = count_entries("/proc/self/task");
  std::string socket_dir;
  {
    InprocChain chain(simple_plan(parse_topologies("unix-socket")[0].links_for(4), TlsVersion::v1_3, 1024), pki);
    socket_dir = chain.socket_dir();
    REQUIRE(std::filesystem::exists(socket_dir + "/link1.sock"));
    chain.start();
    NodeStats client;
    LoadSettings settings;
    settings.connections = 3;
    settings.duration = 200ms;
    const auto load = run_closed_loop(chain.entry(), settings, client, {});
    CHECK(load.requests > 0);
    CHECK(count_entries("/proc/self/task") > threads_before);
  }
  CHECK_FALSE(std::filesystem::exists(socket_dir));
  CHECK(count_entries("/proc/self/fd") == fds_before);
  CHECK(count_entries("/proc/self/task") == threads_before);
}
