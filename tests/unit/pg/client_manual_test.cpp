// The PostgreSQL client against a real server, run by hand (hidden: ctest does not run
// it). Start a server with SCRAM-SHA-256, ssl = on with a certificate for
// HOPCOST_PG_NAME from `hopcost pki`, and a table hopcost_rows, then:
//
//   HOPCOST_PG_PORT=55432 HOPCOST_PG_SOCKET=/tmp/x/.s.PGSQL.55432 HOPCOST_PG_CA=pki/ca.pem
//   HOPCOST_PG_OTHER_CA=other/ca.pem HOPCOST_PG_NAME=database HOPCOST_PG_USER=hopcost
//   HOPCOST_PG_PASSWORD=... HOPCOST_PG_DB=postgres HOPCOST_PG_TLS=1.3 HOPCOST_PG_ROWS=11
//   build/tests/hopcost_unit_tests "[.pg-manual]"       (all on one line)
//
// It checks tls (the version asked for), tcp and uds; a wrong password (28P01); a wrong
// CA and a wrong name (the handshake fails); the table's rows; and prints each kind's
// median connect and authentication times.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "pg/client.hpp"
#include "tls/context.hpp"
#include "tls/pem.hpp"

using namespace hopcost;
using namespace hopcost::pg;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name, const char* fallback = nullptr) {
  const char* v = std::getenv(name);
  if (v) return v;
  if (fallback) return fallback;
  FAIL("set " << name);
  return {};
}

struct Sink final : StatsSink {
  uint64_t handshakes = 0, handshake_cpu_ns = 0;
  void add_handshake(TlsSide, const HandshakeDone& h) override {
    ++handshakes;
    handshake_cpu_ns += h.cpu_ns;
  }
  void add_wire(TlsSide, uint64_t) override {}
  void add_app(TlsSide, uint64_t) override {}
  void add_record_cpu(TlsSide, uint64_t) override {}
  void note_negotiated(TlsSide, const Negotiated&) override {}
};

struct Sample {
  std::optional<PgError> error;
  PgConnectTimes times;
  std::optional<Negotiated> negotiated;
  PgQueryResult query;
};

asio::awaitable<void> once(PgTarget target, Sink& sink, bool query, Sample& out) {
  auto r = co_await connect(target, sink, 5s);
  out.error = r.error;
  out.times = r.times;
  if (!r.connection) co_return;
  out.negotiated = r.connection->negotiated();
  if (query) out.query = co_await r.connection->query("SELECT id, payload FROM hopcost_rows ORDER BY id", 5s);
  co_await r.connection->close(5s);
}

Sample attempt(const PgTarget& target, Sink& sink, bool query = true) {
  asio::io_context io(1);
  Sample s;
  asio::co_spawn(io, once(target, sink, query, s), asio::detached);
  io.run();
  return s;
}

double median_us(std::vector<std::chrono::nanoseconds> v) {
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[v.size() / 2].count()) / 1000.0;
}

}  // namespace

TEST_CASE("manual: the pg client against a real PostgreSQL: tls, tcp and uds, refusals, rows", "[.pg-manual]") {
  const auto version = parse_tls_version(env("HOPCOST_PG_TLS", "1.3"));
  REQUIRE(version);
  const auto ca = load_certificate(env("HOPCOST_PG_CA"));
  const auto other_ca = load_certificate(env("HOPCOST_PG_OTHER_CA"));
  TlsSettings settings;
  settings.version = *version;
  auto ctx = make_client_ctx(settings, ca.get());
  auto wrong_ctx = make_client_ctx(settings, other_ca.get());
  const auto rows = static_cast<size_t>(std::stoul(env("HOPCOST_PG_ROWS")));

  PgTarget base;
  base.user = env("HOPCOST_PG_USER");
  base.password = env("HOPCOST_PG_PASSWORD");
  base.database = env("HOPCOST_PG_DB");
  Endpoint tcp{Transport::tcp, env("HOPCOST_PG_HOST", "127.0.0.1"),
               static_cast<uint16_t>(std::stoul(env("HOPCOST_PG_PORT"))), ""};
  Endpoint uds{Transport::uds, "", 0, env("HOPCOST_PG_SOCKET")};

  auto target = [&](LinkKind kind, SSL_CTX* c, const std::string& name) {
    PgTarget t = base;
    t.link.kind = kind;
    t.link.endpoint = kind == LinkKind::uds ? uds : tcp;
    t.link.client_ctx = c;
    t.link.server_name = name;
    t.link.real_server = true;
    return t;
  };
  const std::string name = env("HOPCOST_PG_NAME");
  const std::string want_version = *version == TlsVersion::v1_2 ? "TLSv1.2" : "TLSv1.3";

  for (LinkKind kind : {LinkKind::tls, LinkKind::tcp, LinkKind::uds}) {
    const PgTarget t = target(kind, ctx.get(), name);
    Sink sink;
    std::vector<std::chrono::nanoseconds> total, auth, tls;
    std::vector<std::chrono::nanoseconds> scram_cpu;
    constexpr int kRounds = 30;
    for (int i = 0; i < kRounds; ++i) {
      const Sample s = attempt(t, sink, i == 0);
      INFO(to_string(kind) << ": " << (s.error ? s.error->detail : ""));
      REQUIRE(s.error == std::nullopt);
      if (i == 0) {
        REQUIRE(s.query.error == std::nullopt);
        CHECK(s.query.rows.size() == rows);
        CHECK(s.query.tag == fmt::format("SELECT {}", rows));
        CHECK(s.query.columns == std::vector<std::string>{"id", "payload"});
        CHECK(s.negotiated.has_value() == (kind == LinkKind::tls));
        if (s.negotiated) CHECK(s.negotiated->version == want_version);
      }
      total.push_back(s.times.total);
      auth.push_back(s.times.authentication);
      tls.push_back(s.times.tls);
      scram_cpu.push_back(std::chrono::nanoseconds(s.times.scram_cpu_ns));
    }
    CHECK(sink.handshakes == (kind == LinkKind::tls ? kRounds : 0));
    fmt::print("{:4} {}: connect+auth median {:.0f} us (tls {:.0f} us, authentication {:.0f} us), client SCRAM CPU "
               "median {:.0f} us, client TLS handshake CPU mean {:.0f} us\n",
               to_string(kind), kind == LinkKind::tls ? want_version : "", median_us(total), median_us(tls),
               median_us(auth), median_us(scram_cpu),
               sink.handshakes ? static_cast<double>(sink.handshake_cpu_ns) / sink.handshakes / 1000.0 : 0.0);

    PgTarget wrong = t;
    wrong.password += "-wrong";
    Sink ignored;
    const Sample bad = attempt(wrong, ignored, false);
    REQUIRE(bad.error);
    CHECK(bad.error->kind == ErrorKind::status);
    CHECK(bad.error->sqlstate == "28P01");
    fmt::print("{:4} wrong password: {}\n", to_string(kind), bad.error->detail);
  }

  Sink ignored;
  const Sample wrong_ca = attempt(target(LinkKind::tls, wrong_ctx.get(), name), ignored, false);
  REQUIRE(wrong_ca.error);
  CHECK(wrong_ca.error->kind == ErrorKind::handshake);
  fmt::print("tls wrong CA: {}\n", wrong_ca.error->detail);
  const Sample wrong_name = attempt(target(LinkKind::tls, ctx.get(), "not-the-database"), ignored, false);
  REQUIRE(wrong_name.error);
  CHECK(wrong_name.error->kind == ErrorKind::handshake);
  fmt::print("tls wrong name: {}\n", wrong_name.error->detail);
}
