// Session resumption and 0-RTT (issue #10, items 1 and 2): on real link ends, and through
// `hopcost run`. Counts and ratios, never absolute times.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "support/echo_server.hpp"
#include "support/process.hpp"
#include "tls/context.hpp"
#include "tls/pki.hpp"

using namespace hopcost;
using namespace hopcost::test;

namespace {

nlohmann::json run_report(const TempDir& tmp, const std::string& args, std::string* output = nullptr,
                          const std::string& duration = "0.5") {
  const std::string out = tmp / "out";
  std::filesystem::remove_all(out);
  const auto r = run_hopcost("run -q --no-floors --connections 2 --duration " + duration + " --warmup 0.2 --out " + out +
                             " " + args);
  INFO(r.output);
  REQUIRE(r.code == 0);
  if (output) *output = r.output;
  return nlohmann::json::parse(read_file(std::filesystem::path(out) / "report.json"));
}

double resumed_share(const nlohmann::json& hop) {
  const double full = hop["handshakes_full"].get<double>(), resumed = hop["handshakes_resumed"].get<double>();
  return full + resumed > 0 ? resumed / (full + resumed) : 0.0;
}

// A TLS link on loopback TCP to a server named "origin", its ends' contexts given.
LinkEnds tls_link(SSL_CTX* server, SSL_CTX* client) {
  LinkEnds link;
  link.kind = LinkKind::tls;
  link.server_ctx = server;
  link.client_ctx = client;
  link.server_name = "origin";
  return link;
}

// One connection over `link`: handshake, one exchange, close. False if any step failed.
bool one_exchange(const LinkEnds& link, NodeStats& stats) {
  bool ok = false;
  asio::io_context io(1);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto [ec, stream] = co_await connect_end(link, stats);
        if (ec) co_return;
        if (co_await stream->handshake()) co_return;
        if (!co_await exchange(*stream)) co_return;
        co_await stream->shutdown();
        ok = true;
      },
      asio::detached);
  io.run_for(10s);
  return ok;
}

}  // namespace

TEST_CASE("a client with a session store resumes, and a refused resumption counts as the full handshake it was") {
  Pki pki;
  const Credential origin = pki.issue("origin");
  TlsSettings settings;
  settings.resume = true;
  const auto server_ctx = make_server_ctx(settings, origin);
  const auto client_ctx = make_client_ctx(settings, pki.ca_cert());
  LinkEnds link = tls_link(server_ctx.get(), client_ctx.get());
  EchoServer server(link, true);
  NodeStats client;
  // The first has no session to offer; the TLS 1.3 ticket arrives after the handshake,
  // with the server's first write, and the next two resume it.
  for (int i = 0; i < 3; ++i) REQUIRE(one_exchange(link, client));
  auto c = client.snapshot().client;
  CHECK(c.handshakes == 3);
  CHECK(c.sessions_offered == 2);
  CHECK(c.resumed == 2);
  // A resumed handshake sends no certificate: fewer bytes than the full one.
  CHECK(c.resumed_bytes / c.resumed < (c.handshake_bytes - c.resumed_bytes) / (c.handshakes - c.resumed));

  // Another server with the same certificate cannot decrypt the tickets of the first:
  // the session is offered and refused, and the handshake is full.
  const auto other_ctx = make_server_ctx(settings, origin);
  LinkEnds other = link;
  other.endpoint = {};
  other.server_ctx = other_ctx.get();
  EchoServer other_server(other, true);
  NodeStats client2;
  REQUIRE(one_exchange(other, client2));
  c = client2.snapshot().client;
  CHECK(c.handshakes == 1);
  CHECK(c.sessions_offered == 1);
  CHECK(c.resumed == 0);
}

TEST_CASE("0-RTT: early data accepted goes with the ClientHello, and a rejection is recovered by sending again") {
  Pki pki;
  const Credential origin = pki.issue("origin");
  TlsSettings settings;
  settings.resume = true;
  settings.early_data = true;
  const auto server_ctx = make_server_ctx(settings, origin);
  const auto client_ctx = make_client_ctx(settings, pki.ca_cert());
  LinkEnds link = tls_link(server_ctx.get(), client_ctx.get());
  EchoServer server(link, true);
  NodeStats client;
  REQUIRE(one_exchange(link, client));  // full: the ticket it brings allows early data
  REQUIRE(one_exchange(link, client));
  auto c = client.snapshot().client;
  CHECK(c.handshakes == 2);
  CHECK(c.resumed == 1);
  CHECK(c.early_accepted == 1);
  CHECK(c.early_rejected == 0);
  // The server read the request as early data and counted its handshake then.
  const auto s = server.stats().snapshot().server;
  CHECK(s.early_accepted == 1);
  CHECK(s.resumed == 1);

  // A server that cannot decrypt the ticket (another ticket key, as after a rotation)
  // rejects the early data: the client finishes a full handshake and sends the request
  // again. The echo proves it arrived, once; no error.
  const auto other_ctx = make_server_ctx(settings, origin);
  LinkEnds other = link;
  other.endpoint = {};
  other.server_ctx = other_ctx.get();
  EchoServer other_server(other, true);
  REQUIRE(one_exchange(other, client));
  c = client.snapshot().client;
  CHECK(c.handshakes == 3);
  CHECK(c.early_rejected == 1);
  CHECK(c.resumed == 1);  // the rejected one was full
  CHECK(client.snapshot().errors.total() == 0);
  CHECK(other_server.next_received() == "0123456789abcdef");
}

TEST_CASE("hopcost run --conn resume: nearly every handshake after the first resumes, TLS 1.2 (tickets and IDs) and 1.3") {
  TempDir tmp;
  const auto report =
      run_report(tmp, "--topology tls-everywhere --hops 3 --conn resume --tls 1.2,1.3 --resume ticket,id");
  REQUIRE(report["variants"].size() == 3);  // 1.2 ticket, 1.2 id, 1.3
  for (const auto& v : report["variants"]) {
    INFO(v["tls"] << " " << v["resume"]);
    CHECK(v["conn"] == "resume");
    CHECK(v["handshakes_per_request"].get<double>() == Approx(3.0).epsilon(0.01));
    CHECK(v["handshakes_resumed_share"].get<double>() > 0.95);
    for (const auto& hop : v["per_hop"]) {
      CHECK(hop["resume"] == true);
      CHECK(resumed_share(hop) > 0.95);
      // A resumed handshake carries no certificate: fewer bytes, less CPU at the server.
      REQUIRE(hop["handshake_bytes_resumed"].is_number());
    }
  }
  CHECK(report["variants"][1]["resume"] == "id");
}

TEST_CASE("relays resume their upstream sessions by default, and not with --upstream-resume off") {
  TempDir tmp;
  const auto on = run_report(tmp, "--topology tls-everywhere --hops 3 --conn new --tls 1.3");
  const auto& hops = on["variants"][0]["per_hop"];
  CHECK(on["variants"][0]["upstream_resume"] == "on");
  CHECK(resumed_share(hops[0]) == 0.0);  // the client's link: --conn new
  CHECK(hops[0]["handshakes_full"].get<double>() == Approx(1.0).epsilon(0.01));
  CHECK(resumed_share(hops[1]) > 0.95);
  CHECK(resumed_share(hops[2]) > 0.95);
  // Resumed links are cheaper than the full one, at both ends (no certificate to sign or verify).
  CHECK(hops[1]["handshake_cpu_us_resumed"]["client"].get<double>() < hops[0]["handshake_cpu_us_full"]["client"].get<double>());
  CHECK(hops[1]["handshake_bytes_resumed"].get<double>() < hops[0]["handshake_bytes_full"].get<double>());
  const auto off = run_report(tmp, "--topology tls-everywhere --hops 3 --conn new --tls 1.3 --upstream-resume off");
  CHECK(off["variants"][0]["upstream_resume"] == "off");
  for (const auto& hop : off["variants"][0]["per_hop"]) CHECK(resumed_share(hop) == 0.0);
}

TEST_CASE("resumption that cannot happen shows as full handshakes, with a warning that says why") {
  TempDir tmp;
  std::string output;
  const auto report = run_report(tmp, "--topology tls-everywhere --hops 2 --conn resume --tls 1.3 --tickets off", &output);
  for (const auto& hop : report["variants"][0]["per_hop"]) {
    CHECK(hop["handshakes_resumed"].get<double>() == 0.0);
    CHECK(hop["handshakes_full"].get<double>() == Approx(1.0).epsilon(0.01));
  }
  bool warned = false;
  for (const auto& w : report["warnings"])
    warned |= w.get<std::string>().find("link 0 resumes sessions, but only 0%") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("hopcost run --conn 0rtt: the request goes as early data, accepted, and saves a round trip") {
  TempDir tmp;
  const auto report = run_report(tmp, "--topology tls --conn 0rtt,resume --tls 1.3 --rtt 2ms", nullptr, "1");
  REQUIRE(report["variants"].size() == 2);
  const auto& early = report["variants"][0];
  const auto& resumed = report["variants"][1];
  REQUIRE(early["conn"] == "0rtt");
  const auto& hop = early["per_hop"][0];
  CHECK(hop["early_data_accepted"].get<double>() > 0.95);
  CHECK(hop["early_data_rejected"].get<double>() == 0.0);
  CHECK(resumed["per_hop"][0]["early_data_accepted"].get<double>() == 0.0);
  // Connect, then the request with the ClientHello: 2 round trips against resume's 3.
  CHECK(early["network_floor_us"].get<double>() == Approx(2 * 2000.0));
  CHECK(resumed["network_floor_us"].get<double>() == Approx(3 * 2000.0));
  const double ratio = early["latency_us"]["p50"].get<double>() / resumed["latency_us"]["p50"].get<double>();
  INFO("p50 0rtt / resume: " << ratio);
  CHECK(ratio < 0.85);
}

TEST_CASE("resumption and 0-RTT reach node processes: --placement process carries the same settings") {
  TempDir tmp;
  const auto report = run_report(tmp, "--topology tls-everywhere --hops 3 --tls 1.2,1.3 --conn resume,0rtt --resume id "
                                      "--placement process --upstream-resume on,off");
  REQUIRE(report["variants"].size() == 6);  // TLS 1.2 resume x2, TLS 1.3 resume x2, 0rtt x2
  for (const auto& v : report["variants"]) {
    INFO(v["tls"] << " " << v["conn"] << " upstream-resume " << v["upstream_resume"]);
    const auto& hops = v["per_hop"];
    CHECK(resumed_share(hops[0]) > 0.95);
    const double behind = v["upstream_resume"] == "on" ? 0.95 : 0.0;
    for (size_t i = 1; i < hops.size(); ++i) {
      if (behind > 0) CHECK(resumed_share(hops[i]) > behind);
      else CHECK(resumed_share(hops[i]) == 0.0);
    }
    if (v["conn"] == "0rtt") CHECK(hops[0]["early_data_accepted"].get<double>() > 0.95);
  }
}
