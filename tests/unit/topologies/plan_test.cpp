// The chain plan, the variant key and the network floor: pure data in, pure data out.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "run/network_floor.hpp"
#include "run/summarize.hpp"
#include "topologies/plan.hpp"
#include "topologies/program.hpp"
#include "topologies/real_node.hpp"
#include "util/duration.hpp"
#include "util/errors.hpp"

using namespace hopcost;
using namespace std::chrono_literals;

namespace {

Variant variant_of(std::string_view topology, int hops, ConnPolicy conn = ConnPolicy::new_connection,
                   std::optional<UpstreamPolicy> upstream = UpstreamPolicy::one_to_one, std::chrono::nanoseconds rtt = {}) {
  const Topology t = parse_topologies(topology).at(0);
  auto links = t.links_for(hops);
  if (links.size() == 1) upstream.reset();
  return Variant{t, std::move(links), TlsVersion::v1_3, conn, Placement::inproc, upstream, rtt};
}

}  // namespace

TEST_CASE("rtt: a unit is required, the cap is 1 s, and the shortest exact form prints back") {
  CHECK(parse_rtt("0") == 0ns);
  CHECK(parse_rtt("200us") == 200us);
  CHECK(parse_rtt("200µs") == 200us);
  CHECK(parse_rtt("0.2ms") == 200us);
  CHECK(parse_rtt("1s") == 1s);
  for (const char* bad : {"-1ms", "abc", "5", "2s", "1.5 ms", "ms"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_rtt(bad), ConfigError);
  }
  CHECK_THROWS_WITH(parse_rtt("5"), Catch::Contains("no unit"));
  CHECK_THROWS_WITH(parse_rtt("2s"), Catch::Contains("out of range"));
  CHECK(format_rtt(200us) == "200us");
  CHECK(format_rtt(1ms) == "1ms");
  CHECK(format_rtt(1500us) == "1500us");
  CHECK(format_rtt(0ns) == "0");
}

TEST_CASE("topology: per-link settings parse, print back, and bad ones name the key and value") {
  const auto t = parse_topologies("tls/rtt=1ms,tcp/rtt=200us/upstream=pool,uds").at(0);
  REQUIRE(t.links == std::vector{LinkKind::tls, LinkKind::tcp, LinkKind::uds});
  CHECK(t.overrides[0].rtt == 1ms);
  CHECK_FALSE(t.overrides[0].upstream);
  CHECK(t.overrides[1].rtt == 200us);
  CHECK(t.overrides[1].upstream == UpstreamPolicy::pool);
  CHECK(t.overrides[2] == LinkOverride{});
  CHECK(t.name() == "tls/rtt=1ms,tcp/rtt=200us/upstream=pool,uds");
  CHECK(parse_topologies(t.name()).at(0) == t);
  CHECK_THROWS_WITH(parse_topologies("tls/speed=3"), Catch::Contains("unknown key 'speed'") && Catch::Contains("rtt="));
  CHECK_THROWS_WITH(parse_topologies("tls/rtt=fast"), Catch::Contains("rtt:") && Catch::Contains("'fast'"));
  CHECK_THROWS_WITH(parse_topologies("tls,tcp/upstream=2:1"), Catch::Contains("unknown value '2:1'"));
  CHECK_THROWS_WITH(parse_topologies("tls/upstream=pool,tcp"), Catch::Contains("load driver"));
  CHECK_THROWS_WITH(parse_topologies("tls/rtt"), Catch::Contains("not key=value"));
}

TEST_CASE("plan: one LinkSpec per link and one NodeSpec per node, from the variant and the scenario") {
  Scenario s;
  s.tickets = false;
  s.response_bytes = 4321;
  s.cpu_policy = parse_cpu_policy("pin:0,1");
  const auto plan = make_plan(variant_of("tls/rtt=1ms,tcp/upstream=pool,tcp", 3, ConnPolicy::new_connection,
                                         UpstreamPolicy::one_to_one, 500us),
                              s);
  REQUIRE(plan.hops() == 3);
  CHECK(plan.links[0].kind == LinkKind::tls);
  CHECK(plan.links[0].tls == TlsVersion::v1_3);
  CHECK_FALSE(plan.links[0].tickets);
  CHECK(plan.links[0].rtt == 1ms);
  CHECK(plan.links[0].key == KeyType::ecdsa_p256);
  CHECK_FALSE(plan.links[0].mtls);
  CHECK(plan.links[1].rtt == 500us);  // the chain-wide rtt, where a link sets none
  REQUIRE(plan.nodes.size() == 3);
  CHECK(plan.nodes[0].name == "relay1");
  CHECK(plan.nodes[0].upstream == UpstreamPolicy::pool);        // set on link 1, whose client it is
  CHECK(plan.nodes[1].upstream == UpstreamPolicy::one_to_one);  // the chain-wide policy
  CHECK(plan.nodes[2].role == Role::origin);
  CHECK(plan.nodes[2].response_bytes == 4321);
  CHECK(plan.client_cpu == 0);
  CHECK(plan.nodes[0].cpu == 1);
  CHECK(plan.nodes[1].cpu == 0);
  CHECK(make_plan(variant_of("tls,tcp", 2), Scenario{}) == make_plan(variant_of("tls,tcp", 2), Scenario{}));
}

TEST_CASE("variant key: one label and one JSON form, read back the same, and old reports read as 1:1 without delay") {
  const auto v = variant_of("tls-everywhere", 5, ConnPolicy::new_connection, UpstreamPolicy::pool, 1ms);
  const auto key = variant_key(v, make_plan(v, Scenario{}));
  CHECK(key.label() == "tls-everywhere 5 hops TLS 1.3 new inproc pool rtt 1000 µs");
  CHECK(key.label() == v.label());
  nlohmann::ordered_json j;
  write_key(j, key);
  CHECK(j["upstream"] == "pool");
  CHECK(j["rtt_us"] == 1000.0);
  CHECK(read_key(nlohmann::json::parse(j.dump())) == key);
  const auto old = read_key(nlohmann::json::parse(
      R"({"topology": "terminate-once", "hops": 3, "tls": "1.3", "conn": "new", "placement": "inproc"})"));
  CHECK(old.upstream == "1:1");
  CHECK(old.rtt_us == 0.0);
  CHECK(old.label() == "terminate-once 3 hops TLS 1.3 new inproc");
  const auto single = variant_of("tcp", 1, ConnPolicy::keepalive);
  CHECK_FALSE(variant_key(single, make_plan(single, Scenario{})).upstream);
  const auto mixed = variant_of("tcp/rtt=1ms,tcp", 2);
  CHECK_FALSE(variant_key(mixed, make_plan(mixed, Scenario{})).rtt_us);
  CHECK_THAT(variant_key(mixed, make_plan(mixed, Scenario{})).label(), Catch::EndsWith("new inproc 1:1 (link 0: 1000 µs)") || Catch::EndsWith("new inproc (link 0: 1000 µs)"));
}

TEST_CASE("variant key: the open loop's rate is part of it, labelled, written, read back, and read from old reports' requested_rps") {
  auto v = variant_of("tls-everywhere", 3, ConnPolicy::keepalive);
  const auto closed = variant_key(v, make_plan(v, Scenario{}));
  CHECK_FALSE(closed.rate);
  v.rate = 1000;
  const auto open = variant_key(v, make_plan(v, Scenario{}));
  REQUIRE(open.rate);
  CHECK(*open.rate == 1000);
  CHECK(open.label() == "tls-everywhere 3 hops TLS 1.3 keepalive inproc rate 1000/s");
  CHECK(open.label() == v.label());
  CHECK_FALSE(open == closed);
  v.rate = 2000;
  CHECK_FALSE(variant_key(v, make_plan(v, Scenario{})) == open);
  v.rate = 2.5;
  CHECK_THAT(variant_key(v, make_plan(v, Scenario{})).label(), Catch::EndsWith(" rate 2.5/s"));
  for (const auto& key : {open, closed}) {
    nlohmann::ordered_json j;
    write_key(j, key);
    REQUIRE(j.contains("rate"));
    CHECK(j["rate"] == (key.rate ? nlohmann::ordered_json(*key.rate) : nlohmann::ordered_json(nullptr)));
    CHECK(read_key(nlohmann::json::parse(j.dump())) == key);
  }
  // Reports older than `rate`: the variant's requested_rps, when there is one.
  nlohmann::ordered_json old;
  write_key(old, open);
  old.erase("rate");
  old["requested_rps"] = 1000.0;
  CHECK(read_key(nlohmann::json::parse(old.dump())) == open);
  old["requested_rps"] = nullptr;
  CHECK(read_key(nlohmann::json::parse(old.dump())) == closed);
  old.erase("requested_rps");
  CHECK(read_key(nlohmann::json::parse(old.dump())) == closed);
  // Once `rate` is there it is the key's, whatever requested_rps says.
  nlohmann::ordered_json now;
  write_key(now, closed);
  now["requested_rps"] = 500.0;
  CHECK_FALSE(read_key(nlohmann::json::parse(now.dump())).rate);
}

TEST_CASE("expand: upstream and rtt are matrix dimensions, and a chain without relays appears once") {
  Scenario s;
  s.topologies = parse_topologies("tls-everywhere");
  s.hops = {1, 3};
  s.tls = {TlsVersion::v1_3};
  s.conn = {ConnPolicy::new_connection};
  s.upstream = {UpstreamPolicy::one_to_one, UpstreamPolicy::pool};
  s.rtt = {0ns, 1ms};
  const auto variants = expand(s);
  // rtt × (1 hop once + 3 hops × 2 policies)
  CHECK(variants.size() == 2 * (1 + 2));
  for (const auto& v : variants) CHECK(v.upstream.has_value() == (v.hops() > 1));
  s.hops = {1};
  CHECK_THROWS_WITH(expand(s), Catch::Contains("--upstream pool") && Catch::Contains("relay"));
}

TEST_CASE("network floor: round trips per link, and what a pool takes away") {
  Scenario s;
  s.rtt = {1ms};
  auto plan_of = [&](std::string_view topology, ConnPolicy conn, UpstreamPolicy upstream, TlsVersion tls) {
    auto v = variant_of(topology, 4, conn, upstream, 1ms);
    v.tls = tls;
    return make_plan(v, s);
  };
  // New connections through 1:1 relays: every link connects (1), handshakes (TLS 1.3: 1) and carries the request (1).
  const auto fresh = plan_of("tls-everywhere", ConnPolicy::new_connection, UpstreamPolicy::one_to_one, TlsVersion::v1_3);
  CHECK(round_trips(fresh, ConnPolicy::new_connection, 0) == 3);
  CHECK(network_floor_us(fresh, ConnPolicy::new_connection) == Approx(4 * 3 * 1000.0));
  // TLS 1.2: one more round trip per full TLS handshake (no False Start); the relays
  // resume their upstream sessions (--upstream-resume on, the default), and a resumed
  // TLS 1.2 handshake takes one round trip.
  const auto v12 = plan_of("tls-everywhere", ConnPolicy::new_connection, UpstreamPolicy::one_to_one, TlsVersion::v1_2);
  CHECK(network_floor_us(v12, ConnPolicy::new_connection) == Approx((4 + 3 * 3) * 1000.0));
  auto no_resume = variant_of("tls-everywhere", 4, ConnPolicy::new_connection, UpstreamPolicy::one_to_one, 1ms);
  no_resume.tls = TlsVersion::v1_2;
  no_resume.upstream_resume = false;
  CHECK(network_floor_us(make_plan(no_resume, s), ConnPolicy::new_connection) == Approx(4 * 4 * 1000.0));
  // The client resumes too: every TLS 1.2 link takes 3; with 0-RTT the client's link
  // carries its request with the ClientHello (connect, then the request: 2).
  const auto resumed = plan_of("tls-everywhere", ConnPolicy::resume, UpstreamPolicy::one_to_one, TlsVersion::v1_2);
  CHECK(network_floor_us(resumed, ConnPolicy::resume) == Approx(4 * 3 * 1000.0));
  const auto early = plan_of("tls-everywhere", ConnPolicy::zero_rtt, UpstreamPolicy::one_to_one, TlsVersion::v1_3);
  CHECK(early.links[0].early_data);
  CHECK_FALSE(early.links[1].early_data);
  CHECK(round_trips(early, ConnPolicy::zero_rtt, 0) == 2);
  CHECK(round_trips(early, ConnPolicy::zero_rtt, 1) == 3);
  // Without tickets nothing resumes, whatever the client asks.
  s.tickets = false;
  const auto no_tickets = plan_of("tls-everywhere", ConnPolicy::resume, UpstreamPolicy::one_to_one, TlsVersion::v1_2);
  CHECK(network_floor_us(no_tickets, ConnPolicy::resume) == Approx(4 * 4 * 1000.0));
  s.tickets = true;
  // Plaintext links connect but do not handshake.
  const auto plain = plan_of("terminate-once", ConnPolicy::new_connection, UpstreamPolicy::one_to_one, TlsVersion::v1_3);
  CHECK(network_floor_us(plain, ConnPolicy::new_connection) == Approx((3 + 3 * 2) * 1000.0));
  // Pooling relays: only the first link is new; behind it, the request's round trip alone.
  const auto pooled = plan_of("tls-everywhere", ConnPolicy::new_connection, UpstreamPolicy::pool, TlsVersion::v1_3);
  CHECK(network_floor_us(pooled, ConnPolicy::new_connection) == Approx((3 + 3 * 1) * 1000.0));
  // Keep-alive: one round trip per link.
  CHECK(network_floor_us(fresh, ConnPolicy::keepalive) == Approx(4 * 1000.0));
  // No delay anywhere: no floor.
  CHECK_FALSE(network_floor_us(make_plan(variant_of("tls-everywhere", 4), Scenario{}), ConnPolicy::new_connection));
}

TEST_CASE("mesh: N services are 3N - 1 links, mutual TLS and pooling between sidecars, loopback beside each service") {
  const auto mesh = parse_topologies("mesh").at(0);
  REQUIRE(mesh.preset == Preset::mesh);
  const auto links = mesh.links_for(3);
  CHECK(links == std::vector<LinkKind>{LinkKind::tls, LinkKind::tcp, LinkKind::tcp, LinkKind::tls, LinkKind::tcp,
                                       LinkKind::tcp, LinkKind::tls, LinkKind::tcp});
  CHECK(mesh_node_names(8) == std::vector<std::string>{"sidecar1", "service1", "sidecar1-out", "sidecar2", "service2",
                                                        "sidecar2-out", "sidecar3", "service3"});
  Scenario s;
  s.rtt = {1ms};
  const Variant v{mesh, links, TlsVersion::v1_3, ConnPolicy::new_connection, Placement::inproc, UpstreamPolicy::one_to_one, 1ms};
  const auto plan = make_plan(v, s);
  REQUIRE(plan.hops() == 8);
  for (size_t i = 0; i < 8; ++i) {
    INFO(i);
    const bool between_sidecars = i % 3 == 0 && i > 0;
    CHECK(plan.links[i].mtls == between_sidecars);
    CHECK(plan.links[i].rtt == (i % 3 == 0 ? 1ms : 0ms));  // the network is between hosts only
  }
  CHECK(plan.nodes[2].name == "sidecar1-out");
  CHECK(plan.nodes[2].upstream == UpstreamPolicy::pool);      // it connects to sidecar2
  CHECK(plan.nodes[1].upstream == UpstreamPolicy::one_to_one);  // service1 connects to its own sidecar
  CHECK(plan.nodes[7].role == Role::origin);
  CHECK(certificate_bill(plan).server == 3);
  CHECK(certificate_bill(plan).client == 2);
}

TEST_CASE("resumption in the plan: the client's link by --conn, the relays' by --upstream-resume or resume=") {
  Scenario s;
  const auto plan = make_plan(variant_of("tls,tls/resume=off,tls,tcp", 4, ConnPolicy::resume), s);
  CHECK(plan.links[0].resume);
  CHECK_FALSE(plan.links[1].resume);
  CHECK(plan.links[2].resume);
  CHECK_FALSE(plan.links[0].early_data);
  auto key = variant_key(variant_of("tls,tls/resume=off,tls,tcp", 4, ConnPolicy::resume), plan);
  CHECK(key.upstream_resume == "mixed");
  CHECK_FALSE(key.resume.has_value());  // TLS 1.3: tickets, not a setting
  auto off = variant_of("tls-everywhere", 3);
  off.upstream_resume = false;
  const auto fresh = make_plan(off, s);
  CHECK_FALSE(fresh.links[0].resume);  // --conn new
  CHECK_FALSE(fresh.links[1].resume);
  CHECK(variant_key(off, fresh).upstream_resume == "off");
  CHECK_THAT(variant_key(off, fresh).label(), Catch::Contains("upstream-resume off"));
  // 0-RTT sends only idempotent requests early: a request with a body waits.
  s.request_bytes = 100;
  CHECK_FALSE(make_plan(variant_of("tls-everywhere", 3, ConnPolicy::zero_rtt), s).links[0].early_data);
  // resume= is a relay's setting, on TLS links.
  CHECK_THROWS_WITH(parse_topologies("tls/resume=on,tls"), Catch::Contains("resume=") && Catch::Contains("--conn"));
  CHECK_THROWS_WITH(parse_topologies("tls,tcp/resume=on"), Catch::Contains("TLS links only"));
  CHECK(parse_topologies("tls,tls/resume=off").at(0).name() == "tls,tls/resume=off");
}

TEST_CASE("the variant key reads old reports' resumption as it was") {
  nlohmann::json old = {{"topology", "tls-everywhere"}, {"hops", 3}, {"tls", "1.2"}, {"conn", "new"},
                        {"placement", "inproc"}, {"links", {"tls", "tls", "tls"}}};
  const VariantKey k = read_key(old);
  CHECK(k.resume == "ticket");
  CHECK(k.upstream_resume == "off");  // relays did not resume before
  nlohmann::ordered_json j;
  VariantKey now = k;
  now.upstream_resume = "on";
  write_key(j, now);
  CHECK(read_key(nlohmann::json(j)) == now);
}

TEST_CASE("plan: real relays get --relay-workers, Varnish --varnish-cache, a node its --relay-config") {
  Scenario s;
  s.relay_workers = 3;
  s.varnish_cache = true;
  s.relay_config = {{"relay1", "/tmp/mine.conf"}};
  Variant v = variant_of("tls-everywhere", 5);
  v.relay = "article";
  const ChainPlan plan = make_plan(v, s);
  CHECK(plan.nodes[0].implementation == Implementation::haproxy);
  CHECK(plan.nodes[0].workers == 3);
  CHECK(plan.nodes[0].user_config == "/tmp/mine.conf");
  CHECK_FALSE(plan.nodes[0].cache_hits);
  CHECK(plan.nodes[1].implementation == Implementation::varnish);
  CHECK(plan.nodes[1].cache_hits);
  CHECK(plan.nodes[1].user_config.empty());
  CHECK(plan.nodes[3].implementation == Implementation::hopcost);
  CHECK(plan.nodes[3].workers == 1);  // hopcost's own relay: one thread, whatever --relay-workers says
  CHECK(make_plan(v, Scenario{}).nodes[1].cache_hits == false);
}

TEST_CASE("relay config: placeholders are filled as the program writes them, unknown or missing ones are refused") {
  ProgramNode n;
  n.name = "relay1";
  n.run_dir = "/run/x";
  n.listen.kind = LinkKind::tls;
  n.listen.endpoint.port = 4443;
  n.listen.cert = "/run/x/server.pem";
  n.listen.key = "/run/x/server.key";
  n.listen.ca = "/run/x/ca.pem";
  n.upstream.kind = LinkKind::uds;
  n.upstream.endpoint.transport = Transport::uds;
  n.upstream.endpoint.path = "/run/x/up.sock";
  for (const auto kind : {ProgramKind::nginx, ProgramKind::haproxy}) {
    const ProgramConfig generated = program_config(kind, n);
    const auto values = user_config_values(generated, n);
    CHECK(values.at("listen") == "127.0.0.1:4443");
    CHECK(values.at("upstream") == (kind == ProgramKind::nginx ? "unix:/run/x/up.sock" : "unix@/run/x/up.sock"));
    CHECK(values.at("cert") == "/run/x/server.pem");
    CHECK(values.at("workers") == "1");
    // The log format is hopcost's own, quoted as the program wants it.
    CHECK_THAT(values.at("log_format"), Catch::Contains("hopcost id="));
    CHECK_THAT(values.at("log_format"), Catch::Contains("residence_"));
    CHECK(values.at("log_format").find('\n') == std::string::npos);  // one line: the template's line numbers hold
    CHECK(values.at("access_log") == (kind == ProgramKind::nginx ? generated.access_log.path : "stdout"));
  }
  const std::map<std::string, std::string> v{{"listen", "L"}, {"upstream", "U"}, {"log_format", "F"}, {"access_log", "A"}};
  CHECK(fill_user_config("a {{listen}} b {{upstream}} {{log_format}} {{access_log}}", v, "f.conf", "nginx") == "a L b U F A");
  auto error = [&](const std::string& text, std::string_view program) -> std::string {
    try {
      fill_user_config(text, v, "f.conf", program);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK_THAT(error("{{listen}} {{upstream}} {{log_format}} {{access_log}} {{bogus}}", "nginx"),
             Catch::StartsWith("--relay-config f.conf: unknown placeholder {{bogus}}; accepted: {{access_log}}"));
  CHECK_THAT(error("{{listen}} {{log_format}}", "haproxy"), Catch::StartsWith("--relay-config f.conf: the haproxy configuration must use {{upstream}}"));
  CHECK_THAT(error("{{listen}} {{upstream}} {{log_format}}", "nginx"), Catch::StartsWith("--relay-config f.conf: the nginx configuration must use {{access_log}}"));
  CHECK(error("{{listen}} {{upstream}} {{log_format}}", "haproxy") == "no error");
  CHECK_THAT(error("{{listen", "haproxy"), Catch::Contains("without"));
}
