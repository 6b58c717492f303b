// End-to-end: relays that pool their upstream connections (upstream policy `pool`,
// node/relay.hpp), on chains built here by hand (relays constructed with their policy),
// driven by the real load driver. Counts, never times.
#include <catch2/catch.hpp>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "load/driver.hpp"
#include "node/origin.hpp"
#include "node/relay.hpp"
#include "tls/context.hpp"
#include "topologies/chain.hpp"
#include "support/process.hpp"

using namespace hopcost;
using namespace std::chrono_literals;

namespace {

// client ──link 0──▶ relay1 ──▶ … ──link N-1──▶ origin, every link of `kind` on loopback,
// every relay with `policy`.
class HandChain {
 public:
  HandChain(const Pki& pki, std::vector<LinkKind> kinds, UpstreamPolicy policy) : pki_(pki) {
    const int hops = static_cast<int>(kinds.size());
    const auto names = node_names(hops);
    links_.reserve(kinds.size());  // never resized: nodes point into it
    for (int i = 0; i < hops; ++i) {
      LinkEnds link;
      link.kind = kinds[i];
      link.endpoint.transport = traits(link.kind).transport;
      if (traits(link.kind).tls) {
        link.server_name = dns_name(names[i]);
        contexts_.push_back(make_server_ctx(TlsSettings{}, pki.issue(link.server_name)));
        link.server_ctx = contexts_.back().get();
        contexts_.push_back(make_client_ctx(TlsSettings{}, pki.ca_cert()));
        link.client_ctx = contexts_.back().get();
      }
      links_.push_back(std::move(link));
    }
    for (int i = 0; i + 1 < hops; ++i) {
      relays_.push_back(std::make_unique<Relay>(names[i], links_[i + 1], policy));
      relays_.back()->listen(links_[i]);
    }
    start_origin();
    for (auto& r : relays_) r->start();
  }
  ~HandChain() {
    for (auto& r : relays_) r->stop();
    if (origin_) origin_->stop();
  }

  const LinkEnds& entry() const { return links_.front(); }
  std::vector<std::unique_ptr<Relay>>& relays() { return relays_; }
  Origin& origin() { return *origin_; }

  // Every node's counters, relays in order then the origin.
  std::vector<NodeCounters> counters() const {
    std::vector<NodeCounters> out;
    for (const auto& r : relays_) out.push_back(r->stats().snapshot());
    out.push_back(origin_->stats().snapshot());
    return out;
  }

  // Stops the origin (its connections close: the relays' pooled ones go stale while
  // idle) and starts a new one on the same address.
  void restart_origin() {
    origin_->stop();
    origin_.reset();
    start_origin();
  }

 private:
  void start_origin() {
    origin_ = std::make_unique<Origin>("origin", 1024);
    origin_->listen(links_.back());  // the port is kept after the first bind
    origin_->start();
  }

  const Pki& pki_;
  std::vector<bssl::UniquePtr<SSL_CTX>> contexts_;
  std::vector<LinkEnds> links_;
  std::vector<std::unique_ptr<Relay>> relays_;
  std::unique_ptr<Origin> origin_;
};

struct Measured {
  LoadResult load;
  std::vector<NodeCounters> nodes;  // over the measured window, relays then the origin
  NodeCounters client;
  uint64_t server_handshakes = 0;   // at every link's server end
};

Measured measure(HandChain& chain, const LoadSettings& settings) {
  std::vector<NodeCounters> at_open, at_close;
  NodeStats client;
  WindowEdges edges{[&] { at_open = chain.counters(); }, [&] { at_close = chain.counters(); }};
  Measured m;
  m.load = run_closed_loop(chain.entry(), settings, client, edges);
  m.client = client.snapshot();
  REQUIRE(at_open.size() == at_close.size());
  for (size_t i = 0; i < at_close.size(); ++i) {
    m.nodes.push_back(at_close[i] - at_open[i]);
    m.server_handshakes += m.nodes.back().server.handshakes;
  }
  return m;
}

double per_request(uint64_t n, const Measured& m) { return static_cast<double>(n) / static_cast<double>(m.load.requests); }

}  // namespace

TEST_CASE("tls-everywhere at 5 hops with new connections: about 5 handshakes per request with 1:1, about 1 with pool") {
  const Pki pki;
  LoadSettings settings;
  settings.conn = ConnPolicy::new_connection;
  settings.connections = 8;
  settings.warmup = 150ms;
  settings.duration = 500ms;
  const std::vector<LinkKind> kinds(5, LinkKind::tls);

  double one_to_one = 0, pooled = 0;
  {
    HandChain chain(pki, kinds, UpstreamPolicy::one_to_one);
    const auto m = measure(chain, settings);
    REQUIRE(m.load.requests > 20);
    CHECK(m.client.errors.total() == 0);
    one_to_one = per_request(m.server_handshakes, m);
    CHECK(one_to_one == Approx(5).epsilon(0.1));
    for (size_t i = 0; i + 1 < m.nodes.size(); ++i) {
      INFO("relay" << i + 1);
      // One upstream connection per downstream connection, each for one request.
      CHECK(per_request(m.nodes[i].upstream_opened, m) == Approx(1).epsilon(0.1));
      CHECK(m.nodes[i].upstream_reuses == 0);
      CHECK(m.nodes[i].upstream_retries == 0);
      CHECK(m.nodes[i].upstream_pool_peak == 0);
    }
  }
  {
    HandChain chain(pki, kinds, UpstreamPolicy::pool);
    const auto m = measure(chain, settings);
    REQUIRE(m.load.requests > 20);
    CHECK(m.client.errors.total() == 0);
    pooled = per_request(m.server_handshakes, m);
    // The first link's handshake per request, and nothing after warm-up on the others.
    CHECK(pooled >= 0.9);
    CHECK(pooled < 1.2);
    // Link by link: the first link one per request, the others almost none.
    CHECK(per_request(m.nodes[0].server.handshakes, m) == Approx(1).epsilon(0.1));
    for (size_t i = 1; i < m.nodes.size(); ++i) CHECK(per_request(m.nodes[i].server.handshakes, m) < 0.05);
    for (size_t i = 0; i + 1 < m.nodes.size(); ++i) {
      INFO("relay" << i + 1);
      const auto& r = m.nodes[i];
      CHECK(r.errors.total() == 0);
      CHECK(per_request(r.upstream_reuses, m) == Approx(1).epsilon(0.1));
      CHECK(r.upstream_retries == 0);
      // At most the client's 8 requests are ever in flight: the pool never needs more.
      CHECK(r.upstream_pool_peak >= 1);
      CHECK(r.upstream_pool_peak <= 8);
    }
    // Over the relays' whole life (warm-up included), few connections opened.
    const auto whole = chain.counters();
    for (size_t i = 0; i + 1 < whole.size(); ++i) CHECK(whole[i].upstream_opened <= 8);
  }
  WARN("handshakes per request at 5 TLS hops, --conn new: 1:1 " << one_to_one << ", pool " << pooled);
}

TEST_CASE("pooled upstream connections closed by the origin while idle are retried, and the client sees no error") {
  const Pki pki;
  for (auto kind : {LinkKind::tls, LinkKind::tcp}) {
    INFO(to_string(kind));
    HandChain chain(pki, {LinkKind::tls, kind}, UpstreamPolicy::pool);
    LoadSettings settings;
    settings.conn = ConnPolicy::keepalive;
    settings.connections = 4;
    settings.requests = 40;
    settings.duration = 5s;  // a bound: the interval ends with the 40 requests
    settings.warmup = 0ms;

    const auto first = measure(chain, settings);
    CHECK(first.load.requests == 40);
    CHECK(first.client.errors.total() == 0);
    const auto relay_after_first = chain.relays()[0]->stats().snapshot();
    REQUIRE(relay_after_first.upstream_opened >= 1);
    CHECK(relay_after_first.upstream_retries == 0);

    // Every pooled connection's upstream end closes while it is idle.
    chain.restart_origin();

    const auto second = measure(chain, settings);
    CHECK(second.load.requests == 40);
    CHECK(second.load.errors.total() == 0);
    CHECK(second.client.errors.total() == 0);
    const auto relay = chain.relays()[0]->stats().snapshot() - relay_after_first;
    CHECK(relay.errors.total() == 0);
    // Each stale connection met costs one retry on a new connection; at most the ones
    // that were idle, and at least one.
    CHECK(relay.upstream_retries >= 1);
    CHECK(relay.upstream_retries <= relay_after_first.upstream_opened);
    CHECK(relay.upstream_opened >= relay.upstream_retries);
    CHECK(chain.origin().stats().snapshot().errors.total() == 0);
    WARN(to_string(kind) << " upstream: " << relay.upstream_retries << " retries after the origin restarted, "
                         << relay_after_first.upstream_opened << " connections pooled before");
  }
}

TEST_CASE("a pooled relay drops the client's Connection: close upstream, so new client connections reuse one upstream connection") {
  const Pki pki;
  HandChain chain(pki, {LinkKind::tcp, LinkKind::tcp}, UpstreamPolicy::pool);
  LoadSettings settings;
  settings.conn = ConnPolicy::new_connection;  // every request says Connection: close
  settings.connections = 1;
  settings.requests = 30;
  settings.duration = 5s;
  const auto m = measure(chain, settings);
  CHECK(m.load.requests == 30);
  CHECK(m.client.errors.total() == 0);
  const auto relay = chain.relays()[0]->stats().snapshot();
  CHECK(relay.upstream_opened == 1);
  CHECK(relay.upstream_pool_peak == 1);
  CHECK(relay.upstream_reuses + 1 >= m.load.requests);
}

TEST_CASE("a pooled relay forwards request bodies larger than its buffer, over reused connections") {
  const Pki pki;
  HandChain chain(pki, {LinkKind::tls, LinkKind::tls}, UpstreamPolicy::pool);
  for (auto conn : {ConnPolicy::new_connection, ConnPolicy::keepalive}) {
    INFO(to_string(conn));
    LoadSettings settings;
    settings.conn = conn;
    settings.connections = 2;
    settings.requests = 20;
    settings.duration = 5s;
    settings.request_bytes = 100 * 1024;  // about 3 buffers: streamed, not held whole
    const auto before = chain.relays()[0]->stats().snapshot();
    const auto m = measure(chain, settings);
    CHECK(m.load.requests == 20);
    CHECK(m.client.errors.total() == 0);
    const auto relay = chain.relays()[0]->stats().snapshot() - before;
    CHECK(relay.errors.total() == 0);
    CHECK(relay.upstream_reuses + 2 >= relay.messages);
    // The origin read every body whole.
    CHECK(m.nodes.back().server.app_bytes > 20 * settings.request_bytes);
  }
}

TEST_CASE("hopcost hop --upstream-policy pool reuses one upstream connection for successive clients, and a bad value exits 2") {
  auto origin = test::start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  auto relay = test::start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", origin.url, "--upstream-policy", "pool"});
  const std::string curl = "curl -s -o /dev/null -w '%{http_code}' http://" + test::host_port(relay.url) + "/";
  for (int i = 0; i < 3; ++i) CHECK(test::run_command(curl).output == "200");  // three client connections, one after another
  relay.process->signal(SIGUSR1);
  const auto line = relay.process->read_line(5s);
  REQUIRE(line);
  const auto stats = nlohmann::json::parse(*line);
  CHECK(stats["messages"] == 3);
  CHECK(stats["upstream_opened"] == 1);
  CHECK(stats["upstream_reuses"] == 2);
  CHECK(stats["upstream_retries"] == 0);
  CHECK(stats["upstream_pool_peak"] == 1);

  const auto bad = test::run_hopcost("hop --listen tcp://127.0.0.1:0 --upstream " + origin.url + " --upstream-policy 2:1");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--upstream-policy") && Catch::Contains("'2:1'") && Catch::Contains("1:1, pool"));
  CHECK_THAT(test::run_hopcost("hop --help").output, Catch::Contains("--upstream-policy 1:1|pool"));
}
