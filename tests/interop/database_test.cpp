// The database tail for real (issue #13, topologies/database.hpp): PostgreSQL 15, alone or
// behind PgBouncer, started by hopcost on every link kind either can do, then used by
// Debian's own clients, psql and pgbench, verified with the run's CA. Each test checks that
// nothing of the programs survives: their processes are gone, their private directories
// removed, their configurations kept. Needs postgresql and pgbouncer (scripts/bootstrap),
// and the hopcost-db user when run as root. [db]: one at a time (ctest RUN_SERIAL).
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include <fmt/format.h>

#include "support/process.hpp"
#include "topologies/database.hpp"
#include "topologies/pgbouncer.hpp"
#include "topologies/postgres.hpp"
#include "topologies/program_process.hpp"

using namespace hopcost;
using namespace hopcost::test;
using Catch::Contains;

namespace {

struct Pkis {
  TempDir dir;
  std::string pki = dir / "pki";
  std::string other = dir / "other-pki";  // a CA that issued nothing of the run
  std::string run = dir / "run";
  Pkis() {
    REQUIRE(run_hopcost("pki --out " + pki + " --name database --name db-proxy").code == 0);
    REQUIRE(run_hopcost("pki --out " + other + " --name database --name db-proxy").code == 0);
    std::filesystem::create_directories(run);
    // PostgreSQL and PgBouncer run as hopcost-db (as root) and read their configuration here.
    std::filesystem::permissions(dir.path, std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
  }
  DbSettings settings(bool pgbouncer, LinkKind link, LinkKind server_link, std::vector<TlsVersion> versions = {TlsVersion::v1_3}) const {
    DbSettings s;
    s.pgbouncer = pgbouncer;
    s.link = link;
    s.server_link = server_link;
    s.versions = std::move(versions);
    s.ca = pki + "/ca.pem";
    s.database_cert = pki + "/database.pem";
    s.database_key = pki + "/database.key";
    s.proxy_cert = pki + "/db-proxy.pem";
    s.proxy_key = pki + "/db-proxy.key";
    s.rows = 321;
    s.row_bytes = 200;
    s.password = "pa:ss'word";
    s.run_dir = run;
    return s;
  }
};

// Every process of the tail now (postgres: the postmaster, its auxiliaries and backends).
std::vector<pid_t> tail_pids(const DatabaseTail& t) {
  std::vector<pid_t> out;
  for (const auto& p : t.postgres().pids()) out.push_back(p.pid);
  if (t.pgbouncer())
    for (const auto& p : t.pgbouncer()->pids()) out.push_back(p.pid);
  return out;
}

// None of `pids` is alive within a bounded wait (orphaned backends exit on the postmaster's death).
void require_gone(const std::vector<pid_t>& pids) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<pid_t> left = pids;
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::erase_if(left, [](pid_t p) { return !alive(p); });
    if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  INFO("processes left: " << left.size());
  CHECK(left.empty());
}

CommandResult psql(const std::string& conninfo, const std::string& sql, const std::string& env = {}) {
  return run_command(env + " psql -X -At -v ON_ERROR_STOP=1 -d \"" + conninfo + "\" -c \"" + sql + "\"");
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The app's connection string with another CA, or extra settings.
std::string with_ca(const std::string& conninfo, const std::string& ca) {
  return std::regex_replace(conninfo, std::regex("sslrootcert=[^ ]+"), "sslrootcert=" + ca);
}

std::string pgbench_script(const Pkis& p, int rows) {
  const std::string path = p.dir / "select.sql";
  std::ofstream(path) << "\\set id random(1, " << rows << ")\nSELECT payload FROM items WHERE id = :id;\n";
  return path;
}

// pgbench's "number of failed transactions: 0", and how many it processed.
void require_pgbench_ok(const CommandResult& r, int expected) {
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Contains("number of transactions actually processed: " + std::to_string(expected)));
  CHECK_THAT(r.output, Contains("number of failed transactions: 0"));
}

double ms(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

TEST_CASE("database tail: every link kind carries psql and pgbench, and nothing survives", "[db]") {
  struct Variant {
    bool pgbouncer;
    LinkKind link, server_link;
  };
  std::vector<Variant> variants;
  for (LinkKind l : {LinkKind::tls, LinkKind::tcp, LinkKind::uds}) variants.push_back({false, l, LinkKind::tcp});
  for (LinkKind l : {LinkKind::tls, LinkKind::tcp, LinkKind::uds})
    for (LinkKind sl : {LinkKind::tls, LinkKind::tcp, LinkKind::uds}) variants.push_back({true, l, sl});
  for (const Variant& v : variants) {
    const Pkis p;
    const DbSettings s = p.settings(v.pgbouncer, v.link, v.server_link);
    const std::string label = v.pgbouncer ? fmt::format("pgbouncer {} -> {}", to_string(v.link), to_string(v.server_link))
                                          : fmt::format("direct {}", to_string(v.link));
    INFO(label);
    std::vector<pid_t> pids;
    {
      DatabaseTail tail(s);
      const std::string app = tail.app_conninfo();
      INFO(app);
      // psql, verified against the run's CA (verify-full) on a TLS link, reads the row count.
      const CommandResult count = psql(app, "SELECT count(*) FROM items");
      INFO(count.output);
      REQUIRE(count.code == 0);
      CHECK(trim(count.output) == "321");
      CHECK(trim(psql(app, "SELECT length(payload) FROM items WHERE id = 7").output) == "200");
      const std::string sessions_before = tail.superuser_query("SELECT sessions FROM pg_stat_database WHERE datname = 'hopcost'");
      const pid_t postmaster = tail.postgres().pids().front().pid;
      const auto reaped_before = process_times(postmaster)->reaped;
      const auto cpu_before = tail.postgres().cpu();
      // pgbench: a connection held (-c 2) and a new connection per transaction (-C, SCRAM each time).
      const std::string script = pgbench_script(p, s.rows);
      const int fresh = !v.pgbouncer ? 100 : 20;
      require_pgbench_ok(run_command("pgbench -n -f " + script + " -c 2 -t 50 \"" + app + "\""), 100);
      require_pgbench_ok(run_command("pgbench -n -C -f " + script + " -c 1 -t " + std::to_string(fresh) + " \"" + app + "\""),
                         fresh);
      const int opened = std::stoi(tail.superuser_query("SELECT sessions FROM pg_stat_database WHERE datname = 'hopcost'")) -
                         std::stoi(sessions_before);
      if (!v.pgbouncer) {
        CHECK(opened >= 2 + fresh);  // one PostgreSQL session per client connection
        // The backends that served -C came and went: their CPU is in the postmaster's
        // cutime/cstime, and so in PostgreSQL's CPU.
        CHECK(process_times(postmaster)->reaped > reaped_before);
        CHECK(tail.postgres().cpu() > cpu_before);
      } else {
        CHECK(opened < 2 + fresh);  // PgBouncer reuses its server connections
      }
      if (traits(v.link).tls) {
        // A wrong CA fails verification.
        const CommandResult wrong = psql(with_ca(app, p.other + "/ca.pem"), "SELECT 1");
        CHECK(wrong.code != 0);
        CHECK_THAT(wrong.output, Contains("certificate verify failed"));
      }
      if (v.pgbouncer && traits(v.server_link).tls) {
        // PgBouncer's server connections are TLS 1.3, as pinned (pg_stat_ssl of its backends).
        CHECK(trim(tail.superuser_query("SELECT DISTINCT version FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) "
                                        "WHERE usename = 'app'")) == "TLSv1.3");
      }
      pids = tail_pids(tail);
      CHECK(pids.size() >= (v.pgbouncer ? 6u : 5u));  // postmaster + auxiliaries (+ pgbouncer)
      tail.stop();
      std::cout << label << ": postgres started in " << ms(tail.timings().postgres_start) << " ms, stopped in "
                << ms(tail.timings().postgres_stop) << " ms; pgbouncer " << ms(tail.timings().pgbouncer_start) << " / "
                << ms(tail.timings().pgbouncer_stop) << " ms\n";
    }
    require_gone(pids);
    CHECK_FALSE(std::filesystem::exists(postgres_private_dir(s)));
    CHECK_FALSE(std::filesystem::exists(pgbouncer_private_dir(s)));
    CHECK(std::filesystem::exists(s.run_dir + "/database-postgresql.conf"));
    CHECK(std::filesystem::exists(s.run_dir + "/database-pg_hba.conf"));
    CHECK(std::filesystem::exists(s.run_dir + "/db-proxy-pgbouncer.ini") == (v.pgbouncer));
  }
}

TEST_CASE("database tail: a pinned TLS version refuses a client limited to the other", "[db]") {
  for (const bool pgbouncer : {false, true}) {
    for (const TlsVersion pinned : {TlsVersion::v1_2, TlsVersion::v1_3}) {
      INFO((pgbouncer ? "pgbouncer" : "direct") << " pinned to TLS " << to_string(pinned));
      const Pkis p;
      const DbSettings s = p.settings(pgbouncer, LinkKind::tls, LinkKind::tls, {pinned});
      DatabaseTail tail(s);
      const std::string app = tail.app_conninfo();
      const bool v13 = pinned == TlsVersion::v1_3;
      const std::string same = v13 ? "PGSSLMINPROTOCOLVERSION=TLSv1.3" : "PGSSLMAXPROTOCOLVERSION=TLSv1.2";
      const std::string other = v13 ? "PGSSLMAXPROTOCOLVERSION=TLSv1.2" : "PGSSLMINPROTOCOLVERSION=TLSv1.3";
      const CommandResult ok = psql(app, "SELECT count(*) FROM items", same);
      INFO(ok.output);
      CHECK(ok.code == 0);
      CHECK(trim(ok.output) == "321");
      const CommandResult refused = psql(app, "SELECT 1", other);
      INFO(refused.output);
      CHECK(refused.code != 0);
      CHECK_THAT(refused.output, Contains("SSL") || Contains("protocol version"));
      if (!pgbouncer) {
        CHECK(trim(psql(app, "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").output) ==
              (v13 ? "TLSv1.3" : "TLSv1.2"));
      } else {
        // Both of PgBouncer's ends: its log names the client's version, pg_stat_ssl the server connection's.
        const std::string log = read_file(tail.pgbouncer_log());
        CHECK_THAT(log, Contains(v13 ? "tls=TLSv1.3/" : "tls=TLSv1.2/"));
        CHECK(trim(tail.superuser_query("SELECT DISTINCT version FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) "
                                        "WHERE usename = 'app'")) == (v13 ? "TLSv1.3" : "TLSv1.2"));
      }
    }
  }
}

TEST_CASE("database tail: a certificate the run's CA did not issue fails verification at PostgreSQL and at PgBouncer", "[db]") {
  const Pkis p;
  {
    // PostgreSQL with another CA's identity: its own readiness client (verify-full) refuses it.
    DbSettings s = p.settings(true, LinkKind::tcp, LinkKind::tls);
    s.database_cert = p.other + "/database.pem";
    s.database_key = p.other + "/database.key";
    CHECK_THROWS_WITH(DatabaseTail(s), Contains("node database (postgresql)") && Contains("certificate verify failed"));
    CHECK_FALSE(std::filesystem::exists(postgres_private_dir(s)));
  }
  // PgBouncer (server_tls_sslmode = verify-full) given another CA than the one that issued
  // PostgreSQL's certificate: it cannot log into PostgreSQL, so it is never ready.
  DatabaseTail tail(p.settings(false, LinkKind::tls, LinkKind::tls));
  DbSettings s = p.settings(true, LinkKind::tcp, LinkKind::tls);
  s.ca = p.other + "/ca.pem";
  DbEndpoint listen{LinkKind::tcp, free_loopback_port(), pgbouncer_private_dir(s), "db-proxy"};
  const std::string secret = tail.superuser_query("SELECT rolpassword FROM pg_authid WHERE rolname = 'app'");
  LaunchOptions o;
  o.ready_timeout = std::chrono::seconds(3);
  o.check_config = false;
  CHECK_THROWS_WITH(LaunchedProgram(pgbouncer_config(s, listen, tail.database_endpoint(), secret), o),
                    Contains("db-proxy (pgbouncer) not ready"));
  CHECK_THAT(read_file(pgbouncer_log(s)), Contains("certificate verify failed"));
  CHECK_FALSE(std::filesystem::exists(pgbouncer_private_dir(s)));
}

TEST_CASE("database tail: nothing survives when hopcost is killed", "[db]") {
  const Pkis p;
  const DbSettings s = p.settings(true, LinkKind::tls, LinkKind::tls);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    try {
      DatabaseTail tail(s);
      // A connection held through PgBouncer keeps a backend alive too.
      const pid_t holder = ::fork();
      if (holder == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        ::execlp("psql", "psql", "-X", "-d", tail.app_conninfo().c_str(), "-c", "SELECT pg_sleep(60)", nullptr);
        ::_exit(127);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      std::string line;
      for (pid_t pid : tail_pids(tail)) line += std::to_string(pid) + " ";
      line += "\n";
      (void)!::write(fds[1], line.data(), line.size());
      ::pause();
    } catch (const std::exception& e) {
      const std::string msg = std::string("error ") + e.what() + "\n";
      (void)!::write(fds[1], msg.data(), msg.size());
    }
    ::_exit(1);
  }
  ::close(fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; got.find('\n') == std::string::npos && (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  INFO(got);
  REQUIRE(got.rfind("error", 0) != 0);
  std::vector<pid_t> pids;
  std::istringstream in(got);
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  CHECK(pids.size() >= 6);  // postmaster, auxiliaries, the held backend, pgbouncer
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  require_gone(pids);
}
