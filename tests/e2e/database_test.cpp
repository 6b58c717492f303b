// The database tail of `hopcost run` (issue #13): the origin becomes an app that runs one
// query per request through hopcost's own PostgreSQL client, to PgBouncer and PostgreSQL
// started for each variant. Asserted here with the real binary: connections per request
// follow the app's policy (counted at PgBouncer or PostgreSQL), PgBouncer reuses its server
// connections, every database link kind carries queries, the response body is the query's
// result, TLS is pinned to the version asked for, the generated configurations are kept
// under the run and nothing else of the database is (no data directory, no key), bad input
// is refused up front, no PostgreSQL or PgBouncer process outlives a run (nor a SIGKILLed
// one, whose leftovers the next run into the same directory replaces). The last test drives
// the app on a hand-built chain (the real load driver, the real DbChain): TLS on its
// database link negotiates the version asked for, and a CA that did not issue the server's
// certificate fails every handshake, counted on the app's client side and at the client.
// Counts and ratios, never absolute times. Tagged [real] (ctest label e2e-real, run
// serially: each run starts initdb, PostgreSQL and PgBouncer).
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "load/driver.hpp"
#include "node/app.hpp"
#include "run/db_figures.hpp"
#include "support/process.hpp"
#include "tls/context.hpp"
#include "topologies/db_chain.hpp"

using namespace hopcost;
using namespace hopcost::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// One hop (client -> app), one topology: each variant is one database configuration.
const std::string kBase =
    "run -q --no-floors --duration 1 --warmup 0.3 --connections 2 --topology tls-everywhere --hops 1 ";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- processes and directories --------------------------------------------------------

// Live PostgreSQL and PgBouncer processes under `dir`. PostgreSQL's backends rename
// themselves ("postgres: app hopcost 127.0.0.1(…) idle"), but their working directory is
// the data directory, under the run's.
std::vector<pid_t> db_processes_under(const std::string& dir) {
  std::vector<pid_t> out = processes_under(dir, "bin/postgres");
  for (pid_t p : processes_under(dir, "bin/pgbouncer")) out.push_back(p);
  return out;
}

size_t count_exe(const std::vector<pid_t>& pids, const std::string& name) {
  return static_cast<size_t>(std::count_if(pids.begin(), pids.end(), [&](pid_t p) {
    std::error_code ec;
    return fs::read_symlink("/proc/" + std::to_string(p) + "/exe", ec).filename().string() == name;
  }));
}

// The programs' private directories (PostgreSQL's data, PgBouncer's secrets): "*.private";
// or, with ".sockets", their sockets' directories when these are not in the private ones.
std::vector<fs::path> private_dirs_under(const fs::path& dir, const std::string& suffix = ".private") {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_directory() && contains(it->path().filename().string(), suffix)) {
      out.push_back(it->path());
      it.disable_recursion_pending();
    }
  return out;
}

// The PostgreSQL data directories under `dir`: those with a PG_VERSION file (each
// database's directory inside one has its own, and is not counted).
std::vector<fs::path> data_dirs_under(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (std::error_code e2; it->is_directory(e2) && fs::exists(it->path() / "PG_VERSION", e2)) {
      out.push_back(it->path());
      it.disable_recursion_pending();
    }
  return out;
}

// The variants' database directories under the run (OUT/programs/<variant>/database/).
std::vector<fs::path> database_dirs(const TempDir& tmp) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(fs::path(tmp / "out") / "programs", ec))
    if (fs::is_directory(d.path() / "database")) out.push_back(d.path() / "database");
  return out;
}

// After a normal run: each variant's database directory under the run holds its generated
// configurations and nothing else: no data directory, no private directory, no
// certificate or key, no log.
void check_run_dir_clean(const TempDir& tmp) {
  const auto dirs = database_dirs(tmp);
  CHECK_FALSE(dirs.empty());
  for (const auto& d : dirs) {
    INFO(d);
    std::vector<std::string> names;
    for (const auto& f : fs::directory_iterator(d)) {
      INFO(f.path());
      CHECK(f.is_regular_file());  // no subdirectory: data, private, credentials
      names.push_back(f.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    const bool proxy = std::find(names.begin(), names.end(), "db-proxy-pgbouncer.ini") != names.end();
    std::vector<std::string> expected{"database-pg_hba.conf", "database-postgresql.conf"};
    if (proxy) expected.push_back("db-proxy-pgbouncer.ini");
    std::sort(expected.begin(), expected.end());
    CHECK(names == expected);
  }
  CHECK(data_dirs_under(tmp.path).empty());
}

// After a run: no PostgreSQL or PgBouncer process of it, and nothing left in its scratch
// directory (TMPDIR): no data directory, no private directory, no socket.
void check_nothing_left(const TempDir& tmp) {
  std::vector<pid_t> left;
  const bool gone =
      eventually([&] { return (left = db_processes_under(tmp.path.string())).empty(); }, std::chrono::seconds(5));
  INFO("left: " << describe(left));
  CHECK(gone);
  for (pid_t p : left) ::kill(p, SIGKILL);  // not to leak them into the other tests
  const fs::path scratch = tmp / "scratch";
  std::string files;
  std::error_code ec;
  for (const auto& f : fs::recursive_directory_iterator(scratch, ec)) files += f.path().string() + " ";
  INFO("left in the scratch directory: " << files);
  CHECK(fs::is_empty(scratch));
}

// A temporary directory that the programs' user (hopcost-db) can pass through to the
// run's scratch directory under it (mkdtemp makes it 0700).
struct DbTempDir : TempDir {
  DbTempDir() { fs::permissions(path, fs::perms::others_exec, fs::perm_options::add); }
};

// --- runs -----------------------------------------------------------------------------

struct Run {
  int code = -1;
  std::string output;
  json report;  // null when none was written
};

// `hopcost run` into TMP/out (removed first), its scratch directories (TMPDIR) under
// TMP/scratch; reads report.json when there is one.
Run run(const TempDir& tmp, const std::string& args) {
  const std::string out = tmp / "out";
  const std::string scratch = tmp / "scratch";
  fs::remove_all(out);
  fs::create_directories(scratch);
  const auto r = run_command("TMPDIR=" + scratch + " " + HOPCOST_BINARY + " " + kBase + "--out " + out + " " + args);
  Run result{r.code, r.output, nullptr};
  const fs::path report = fs::path(out) / "report.json";
  if (fs::exists(report)) result.report = json::parse(read_file(report));
  return result;
}

Run run_ok(const TempDir& tmp, const std::string& args) {
  Run r = run(tmp, args);
  INFO(r.output);
  REQUIRE(r.code == 0);
  REQUIRE(r.report.is_object());
  check_nothing_left(tmp);
  check_run_dir_clean(tmp);
  return r;
}

std::string label(const json& v) { return v["db"].dump(); }

const json& variant_with(const json& report, const std::string& field, const std::string& value) {
  for (const auto& v : report["variants"])
    if (v["db"][field] == value) return v;
  FAIL("no variant with db." << field << " " << value);
  static const json none;
  return none;
}

// No request failed, in the warm-up or after it, and no node counted an error.
void check_no_errors(const json& v) {
  INFO(label(v) << ": failure " << v["failure"] << ", errors " << v["errors"] << ", nodes' first errors: " << [&] {
    std::string s;
    for (const auto& n : v["nodes"]) s += n["name"].get<std::string>() + " " + n["first_errors"].dump() + " ";
    return s;
  }());
  CHECK_FALSE(v["failed"].get<bool>());
  CHECK(v["errors"]["total"] == 0);
  CHECK(v["warmup_errors"]["total"] == 0);
  for (const auto& n : v["nodes"]) {
    INFO(n["name"]);
    CHECK(n["errors"]["total"] == 0);
  }
  CHECK(v["requests"].get<int>() >= 50);
}

const json* node_with_role(const json& v, const std::string& role) {
  for (const auto& n : v["nodes"])
    if (n["role"] == role) return &n;
  return nullptr;
}

// The app's link to its database: the one whose client end is the app, after link 0.
const json& app_link(const json& v) {
  const auto& hops = v["per_hop"];
  REQUIRE(hops.size() >= 2);
  const json& link = hops[1];
  INFO(link.dump());
  REQUIRE(link["client_end"] == "hopcost");
  return link;
}

bool near(double value, double target, double margin) { return std::abs(value - target) <= margin; }

// Every file the run kept for its variants' database (OUT/programs/<variant>/database/),
// by the suffix of its name ("pgbouncer.ini", "postgresql.conf", "pg_hba.conf").
std::string kept_file(const TempDir& tmp, const std::string& variant_part, const std::string& suffix) {
  const fs::path programs = fs::path(tmp / "out") / "programs";
  REQUIRE(fs::is_directory(programs));
  for (const auto& d : fs::directory_iterator(programs)) {
    const std::string name = d.path().filename().string();
    if (!contains(name, variant_part) || !fs::is_directory(d.path() / "database")) continue;
    for (const auto& f : fs::directory_iterator(d.path() / "database")) {
      const std::string file = f.path().filename().string();
      if (file.size() >= suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
        return read_file(f.path());
    }
  }
  FAIL("no kept " << suffix << " for a variant named like " << variant_part);
  return {};
}

// The lines of a configuration file that are not comments or blank.
std::vector<std::string> setting_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == ';') continue;
    out.push_back(line);
  }
  return out;
}

// `hopcost run ARGS` as a child, its scratch directories (TMPDIR) under `scratch`.
std::unique_ptr<ChildProcess> start_run(const std::string& scratch, const std::string& args) {
  std::vector<std::string> argv{"TMPDIR=" + scratch, HOPCOST_BINARY};
  std::istringstream in(args);
  for (std::string a; in >> a;) argv.push_back(a);
  return std::make_unique<ChildProcess>("/usr/bin/env", argv);
}

// The lines of the PgBouncer logs under `dir` that contain `what`.
std::vector<std::string> pgbouncer_lines_under(const fs::path& dir, const std::string& what) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!contains(name, "pgbouncer.log")) continue;
    std::istringstream in(read_file(it->path()));
    for (std::string line; std::getline(in, line);)
      if (contains(line, what)) out.push_back(line);
  }
  return out;
}

// The PgBouncer log lines under `dir` that record a client's login.
std::vector<std::string> pgbouncer_logins_under(const fs::path& dir) { return pgbouncer_lines_under(dir, "login attempt"); }

}  // namespace

// 1. -----------------------------------------------------------------------------------

TEST_CASE("database tail: per-request opens a database connection per request and pooled does not, counted at PgBouncer",
          "[real]") {
  DbTempDir tmp;
  const auto r = run_ok(tmp,
                        "--db pgbouncer --db-link tls --db-server-link tls --db-policy per-request,pooled "
                        "--tls 1.3 --conn keepalive");
  const json& report = r.report;
  REQUIRE(report["variants"].size() == 2);
  for (const auto& v : report["variants"]) {
    INFO(label(v) << " " << v["db_figures"].dump() << " " << v["per_hop"].dump());
    check_no_errors(v);
    CHECK(v["db"]["mode"] == "pgbouncer");
    CHECK(v["db"]["link"] == "tls");
    CHECK(v["db"]["server_link"] == "tls");
    const auto& f = v["db_figures"];
    CHECK(f["rows"] == 100);
    CHECK(f["row_bytes"] == 100);
    // One query for every request, whatever the policy.
    CHECK(near(f["queries_per_request"].get<double>(), 1, 0.1));

    // The programs as nodes, each named with the version it printed.
    const json* proxy = node_with_role(v, "db_proxy");
    const json* database = node_with_role(v, "database");
    REQUIRE(proxy);
    REQUIRE(database);
    CHECK((*proxy)["name"] == "db-proxy");
    CHECK((*proxy)["implementation"] == "pgbouncer");
    REQUIRE((*proxy)["version"].is_string());
    CHECK((*proxy)["version"].get<std::string>().rfind("PgBouncer", 0) == 0);
    CHECK((*proxy)["cpu_us_per_request"].get<double>() > 0);
    CHECK((*database)["name"] == "database");
    CHECK((*database)["implementation"] == "postgresql");
    REQUIRE((*database)["version"].is_string());
    CHECK((*database)["version"].get<std::string>().rfind("postgres (PostgreSQL) 15", 0) == 0);
    CHECK((*database)["cpu_us_per_request"].get<double>() > 0);

    // The database links: the app's counted at its client end; PgBouncer's to PostgreSQL
    // has no hopcost end, so it is uncounted, with the reason.
    const auto& hops = v["per_hop"];
    REQUIRE(hops.size() == 3);
    const auto& app = app_link(v);
    CHECK(app["link"] == 1);
    CHECK(app["kind"] == "tls");
    CHECK(app["server_end"] == "pgbouncer");
    CHECK(app["counted_at"] == "client end");
    CHECK(app["uncounted_reason"].is_null());
    CHECK(app["handshake_errors"]["client"] == 0);
    const auto& server = hops[2];
    CHECK(server["link"] == 2);
    CHECK(server["kind"] == "tls");
    CHECK(server["client_end"] == "pgbouncer");
    CHECK(server["server_end"] == "postgresql");
    REQUIRE(server["uncounted_reason"].is_string());
    CHECK(server["counted_at"].is_null());
    CHECK(server["handshakes_full"].is_null());

    const double connections = v["db_connections_per_request"].get<double>();
    const double app_handshakes = app["handshakes_full"].get<double>();
    if (v["db"]["policy"] == "per-request") {
      // A login at PgBouncer, a connection and a full TLS handshake at the app, per request.
      CHECK(near(connections, 1, 0.1));
      CHECK(near(f["app_connections_per_request"].get<double>(), 1, 0.1));
      CHECK(near(app_handshakes, 1, 0.1));
      CHECK(f["connect_us"].get<double>() > 0);
      CHECK(f["authentication_us"].get<double>() > 0);
      // PgBouncer reuses its server connections: PostgreSQL sees almost no new session.
      CHECK(f["server_connections_per_request"].get<double>() < 0.2);
    } else {
      CHECK(v["db"]["policy"] == "pooled");
      // The app's connections opened in the warm-up carry every measured request.
      CHECK(connections < 0.05);
      CHECK(f["app_connections_per_request"].get<double>() < 0.05);
      CHECK(app_handshakes < 0.05);
      CHECK(f["server_connections_per_request"].get<double>() < 0.05);
    }
  }
  // Connecting, authenticating and TLS per request cost latency: per-request's p50 is
  // above pooled's in the same run.
  const double per_request_p50 = variant_with(report, "policy", "per-request")["latency_us"]["p50"];
  const double pooled_p50 = variant_with(report, "policy", "pooled")["latency_us"]["p50"];
  CHECK(per_request_p50 > pooled_p50);

  // Both programs' versions in the report's context.
  const auto& programs = report["context"]["programs"];
  INFO(programs.dump());
  REQUIRE(programs.contains("postgres"));
  REQUIRE(programs.contains("pgbouncer"));
  CHECK(programs["postgres"].get<std::string>().rfind("postgres (PostgreSQL) 15", 0) == 0);
  CHECK(programs["pgbouncer"].get<std::string>().rfind("PgBouncer", 0) == 0);

  // The generated configurations, kept under OUT/programs/<variant>/database/.
  for (const std::string policy : {"per-request", "pooled"}) {
    const std::string part = "db-pgbouncer-tls-tls-" + policy;
    INFO(part);
    const std::string hba = kept_file(tmp, part, "pg_hba.conf");
    const std::string conf = kept_file(tmp, part, "postgresql.conf");
    const std::string ini = kept_file(tmp, part, "pgbouncer.ini");
    INFO(hba);
    bool hostssl = false;
    for (const auto& line : setting_lines(hba)) {
      INFO(line);
      CHECK_FALSE(contains(line, "trust"));
      CHECK(contains(line, "scram-sha-256"));
      if (line.rfind("hostssl", 0) == 0) hostssl = true;
    }
    CHECK(hostssl);
    CHECK(contains(conf, "ssl = on"));
    CHECK(contains(conf, "ssl_min_protocol_version = 'TLSv1.3'"));
    CHECK(contains(conf, "ssl_max_protocol_version = 'TLSv1.3'"));
    CHECK(contains(conf, "listen_addresses = '127.0.0.1'"));
    CHECK(contains(ini, "pool_mode = transaction"));
    CHECK(contains(ini, "auth_type = scram-sha-256"));
    CHECK(contains(ini, "server_tls_sslmode = verify-full"));
    CHECK(contains(ini, "client_tls_protocols = tlsv1.3"));
    CHECK(contains(ini, "server_tls_protocols = tlsv1.3"));
  }

  // The console table's db column.
  INFO(r.output);
  CHECK(contains(r.output, "pgbouncer tls/tls per-request"));
  CHECK(contains(r.output, "pgbouncer tls/tls pooled"));
}

// 2. -----------------------------------------------------------------------------------

TEST_CASE("database tail: the app queries PostgreSQL directly over TCP and a Unix socket, without PgBouncer", "[real]") {
  DbTempDir tmp;
  const auto r = run_ok(tmp, "--db direct --db-link tcp,uds --db-policy per-request --tls 1.3 --conn keepalive");
  REQUIRE(r.report["variants"].size() == 2);
  std::vector<std::string> kinds;
  for (const auto& v : r.report["variants"]) {
    INFO(label(v) << " " << v["db_figures"].dump() << " " << v["per_hop"].dump());
    check_no_errors(v);
    CHECK(v["db"]["mode"] == "direct");
    CHECK(v["db"]["policy"] == "per-request");
    CHECK(v["db"]["server_link"].is_null());  // no second database link
    // A session at PostgreSQL per request, and the app opened it.
    CHECK(near(v["db_connections_per_request"].get<double>(), 1, 0.1));
    CHECK(near(v["db_figures"]["server_connections_per_request"].get<double>(), 1, 0.1));
    CHECK(near(v["db_figures"]["app_connections_per_request"].get<double>(), 1, 0.1));
    CHECK(near(v["db_figures"]["queries_per_request"].get<double>(), 1, 0.1));
    // No PgBouncer, anywhere.
    CHECK(node_with_role(v, "db_proxy") == nullptr);
    for (const auto& n : v["nodes"]) CHECK(n["implementation"] != "pgbouncer");
    const json* database = node_with_role(v, "database");
    REQUIRE(database);
    CHECK((*database)["implementation"] == "postgresql");
    REQUIRE(v["per_hop"].size() == 2);
    const auto& app = app_link(v);
    CHECK(app["server_end"] == "postgresql");
    CHECK(app["counted_at"] == "client end");
    CHECK(app["kind"] == v["db"]["link"]);
    // Plaintext: no handshake, and every byte on it is the protocol's.
    CHECK(app["handshakes_full"].get<double>() == 0);
    CHECK(app["bytes_per_request"].get<double>() > 0);
    CHECK(app["overhead_bytes_per_request"].get<double>() == 0);
    kinds.push_back(app["kind"]);
  }
  std::sort(kinds.begin(), kinds.end());
  CHECK(kinds == std::vector<std::string>{"tcp", "uds"});
  CHECK_FALSE(r.report["context"]["programs"].contains("pgbouncer"));
  CHECK(r.report["context"]["programs"].contains("postgres"));
  // pg_hba.conf admits the app by its link only: host for TCP, local for the socket.
  const auto hba_tcp = setting_lines(kept_file(tmp, "db-direct-tcp-per-request", "pg_hba.conf"));
  const auto hba_uds = setting_lines(kept_file(tmp, "db-direct-uds-per-request", "pg_hba.conf"));
  auto has_line = [](const std::vector<std::string>& lines, const std::string& start) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind(start, 0) == 0 && contains(l, " app ") && contains(l, "scram-sha-256");
    });
  };
  CHECK(has_line(hba_tcp, "host "));
  CHECK_FALSE(has_line(hba_tcp, "hostssl"));
  CHECK(has_line(hba_uds, "local "));
  CHECK_FALSE(has_line(hba_uds, "host"));
  CHECK(contains(kept_file(tmp, "db-direct-uds-per-request", "postgresql.conf"), "listen_addresses = ''"));
}

// 3. -----------------------------------------------------------------------------------

namespace {
// The app's response body for `rows` rows of `bytes` bytes: "id payload\n" per row.
double body_bytes(int rows, int bytes) {
  double n = 0;
  for (int i = 1; i <= rows; ++i) n += static_cast<double>(std::to_string(i).size() + 1 + bytes + 1);
  return n;
}
double app_bytes(const json& hop) {
  return hop["bytes_per_request"].get<double>() - hop["overhead_bytes_per_request"].get<double>();
}
}  // namespace

TEST_CASE("database tail: the response body is the query's result: its bytes follow --db-rows", "[real]") {
  DbTempDir tmp;
  const std::string args = "--db direct --db-link tcp --db-policy pooled --tls 1.3 --conn keepalive --db-row-bytes 100 ";
  const auto small = run_ok(tmp, args + "--db-rows 10");
  const auto large = run_ok(tmp, args + "--db-rows 200");
  REQUIRE(small.report["variants"].size() == 1);
  REQUIRE(large.report["variants"].size() == 1);
  const auto& s = small.report["variants"][0];
  const auto& l = large.report["variants"][0];
  check_no_errors(s);
  check_no_errors(l);
  CHECK(s["db_figures"]["rows"] == 10);
  CHECK(l["db_figures"]["rows"] == 200);
  CHECK(l["db_figures"]["row_bytes"] == 100);
  // Link 0 (client -> app) carries the request and the response: without TLS's overhead,
  // the larger table's is at least 5 times the smaller's ...
  const double http_small = app_bytes(s["per_hop"][0]);
  const double http_large = app_bytes(l["per_hop"][0]);
  INFO("link 0 bytes per request without overhead: " << http_small << " against " << http_large);
  CHECK(http_large >= 5 * http_small);
  // ... and it grew by exactly the rows' text ("id payload\n" each), give or take the
  // Content-Length's digits and the requests in flight at the window's edges.
  const double growth = body_bytes(200, 100) - body_bytes(10, 100);
  CHECK(http_large - http_small == Approx(growth).epsilon(0.05));
  // The app's link to PostgreSQL carried those rows too (DataRow framing on top).
  const double db_small = app_bytes(app_link(s));
  const double db_large = app_bytes(app_link(l));
  INFO("database link bytes per request: " << db_small << " against " << db_large);
  CHECK(db_large - db_small >= growth);
  CHECK(db_large - db_small <= 2 * growth);
}

// 4. -----------------------------------------------------------------------------------

TEST_CASE("database tail: TLS 1.2 on the database links is negotiated as asked, and nothing of the run survives it",
          "[real]") {
  DbTempDir tmp;
  const std::string scratch = tmp / "scratch";
  const std::string out = tmp / "out";
  fs::create_directories(scratch);
  auto hopcost = start_run(scratch, kBase + "--format json --out " + out +
                                        " --db pgbouncer --db-link tls --db-server-link tls --db-policy per-request "
                                        "--tls 1.2 --conn keepalive");
  // While it runs: PostgreSQL (postmaster and its workers) and PgBouncer, with their
  // private directories under the run's directory (OUT/programs/<variant>/database/) and
  // PostgreSQL's data directory among them, not in TMPDIR (where only their sockets go, the
  // path under the run being too long for a socket's), and logins at PgBouncer.
  std::vector<pid_t> running;
  std::vector<fs::path> privates, sockets;
  std::vector<std::string> logins, server_tls;
  std::vector<fs::path> data_in_run, data_in_scratch;
  const bool seen = eventually(
      [&] {
        running = db_processes_under(out);
        privates = private_dirs_under(out);
        sockets = private_dirs_under(scratch, ".sockets");
        logins = pgbouncer_logins_under(out);
        server_tls = pgbouncer_lines_under(out, "SSL established");
        data_in_run = data_dirs_under(out);
        data_in_scratch = data_dirs_under(scratch);
        return hopcost->exited() || (count_exe(running, "postgres") >= 2 && count_exe(running, "pgbouncer") >= 1 &&
                                     privates.size() >= 2 && !data_in_run.empty() && logins.size() >= 10 &&
                                     !server_tls.empty());
      },
      std::chrono::seconds(30));
  INFO("running: " << describe(running) << " private: " << privates.size() << " logins: " << logins.size());
  CHECK(seen);
  CHECK(count_exe(running, "postgres") >= 2);
  CHECK(count_exe(running, "pgbouncer") >= 1);
  CHECK(privates.size() >= 2);
  CHECK(data_in_run.size() == 1);
  CHECK(data_in_scratch.empty());
  REQUIRE(eventually([&] { return hopcost->exited(); }, std::chrono::seconds(60)));
  CHECK(hopcost->exit_code() == 0);

  // The app's logins at PgBouncer were TLS 1.2, none 1.3 (PgBouncer logs "tls=TLSv1.2/…"),
  // and so were PgBouncer's connections to PostgreSQL ("SSL established: TLSv1.2/…").
  REQUIRE_FALSE(logins.empty());
  for (const auto& line : logins) {
    INFO(line);
    CHECK(contains(line, "tls=TLSv1.2/"));
  }
  REQUIRE_FALSE(server_tls.empty());
  for (const auto& line : server_tls) {
    INFO(line);
    CHECK(contains(line, "SSL established: TLSv1.2/"));
  }
  const fs::path report_path = fs::path(out) / "report.json";
  REQUIRE(fs::exists(report_path));
  const json report = json::parse(read_file(report_path));
  REQUIRE(report["variants"].size() == 1);
  const auto& v = report["variants"][0];
  INFO(v["per_hop"].dump());
  check_no_errors(v);
  CHECK(v["tls_version"] == "TLSv1.2");
  const auto& app = app_link(v);
  CHECK(app["kind"] == "tls");
  CHECK(near(app["handshakes_full"].get<double>(), 1, 0.1));
  CHECK(app["handshake_errors"]["client"] == 0);
  // Both programs pinned to TLS 1.2 on both their links.
  const std::string conf = kept_file(tmp, "TLS-1.2", "postgresql.conf");
  const std::string ini = kept_file(tmp, "TLS-1.2", "pgbouncer.ini");
  CHECK(contains(conf, "ssl_min_protocol_version = 'TLSv1.2'"));
  CHECK(contains(conf, "ssl_max_protocol_version = 'TLSv1.2'"));
  CHECK(contains(ini, "client_tls_protocols = tlsv1.2"));
  CHECK(contains(ini, "server_tls_protocols = tlsv1.2"));

  // Afterwards: none of the processes seen, neither private directory nor socket directory,
  // and the configurations kept.
  check_nothing_left(tmp);
  check_run_dir_clean(tmp);
  CHECK(eventually([&] { return std::none_of(running.begin(), running.end(), alive); }, std::chrono::seconds(5)));
  for (const auto& d : privates) CHECK_FALSE(fs::exists(d));
  for (const auto& d : sockets) CHECK_FALSE(fs::exists(d));
}

// 5. -----------------------------------------------------------------------------------

TEST_CASE("database tail: no PostgreSQL or PgBouncer process outlives hopcost run when it is killed with SIGKILL, "
          "and the next run into the same directory is not disturbed",
          "[real]") {
  DbTempDir tmp;
  const std::string scratch = tmp / "scratch";
  const std::string out = tmp / "out";
  fs::create_directories(scratch);
  const std::string variant_args =
      "run -q --no-floors --format json --topology tls-everywhere --hops 1 --tls 1.3 --conn keepalive --db pgbouncer "
      "--db-link tls --db-server-link tcp --db-policy pooled --connections 2 --out " + out + " ";
  auto hopcost = start_run(scratch, variant_args + "--duration 60 --warmup 0");
  std::vector<pid_t> running;
  REQUIRE(eventually(
      [&] {
        running = db_processes_under(tmp.path.string());
        return hopcost->exited() || (count_exe(running, "postgres") >= 2 && count_exe(running, "pgbouncer") >= 1 &&
                                     !pgbouncer_logins_under(out).empty());
      },
      std::chrono::seconds(30)));
  INFO("running: " << describe(running));
  REQUIRE_FALSE(hopcost->exited());
  hopcost->signal(SIGKILL);
  REQUIRE(eventually([&] { return hopcost->exited(); }, std::chrono::seconds(5)));
  // Each of them is gone (one exiting has no executable to read, so it is waited for by
  // its pid too), and no other started since.
  std::vector<pid_t> left;
  const bool gone = eventually(
      [&] {
        left = db_processes_under(tmp.path.string());
        return left.empty() && std::none_of(running.begin(), running.end(), alive);
      },
      std::chrono::seconds(10));
  INFO("left: " << describe(left));
  CHECK(gone);
  for (pid_t p : running) CHECK_FALSE(alive(p));
  for (pid_t p : left) ::kill(p, SIGKILL);
  // A SIGKILLed hopcost cannot remove what it made: PostgreSQL's data directory stays, under
  // the run's own directory, not in TMPDIR (which keeps at most the sockets' directories,
  // removed with it by TempDir here).
  CHECK(data_dirs_under(out).size() == 1);
  CHECK(data_dirs_under(scratch).empty());

  // The same variant again, into the same directory (and another TMPDIR, to see what this
  // one leaves): it replaces what the killed run left, measures as usual, and leaves only
  // the configurations.
  const std::string scratch2 = tmp / "scratch2";
  fs::create_directories(scratch2);
  const auto again = run_command("TMPDIR=" + scratch2 + " " + HOPCOST_BINARY + " " + variant_args + "--duration 1 --warmup 0.3");
  INFO(again.output);
  REQUIRE(again.code == 0);
  const fs::path report_path = fs::path(out) / "report.json";
  REQUIRE(fs::exists(report_path));
  const json report = json::parse(read_file(report_path));
  REQUIRE(report["variants"].size() == 1);
  check_no_errors(report["variants"][0]);
  CHECK(eventually([&] { return db_processes_under(tmp.path.string()).empty(); }, std::chrono::seconds(5)));
  CHECK(fs::is_empty(scratch2));
  check_run_dir_clean(tmp);
}

// 6. -----------------------------------------------------------------------------------

TEST_CASE("database tail: bad input exits 2 with one message and leaves nothing behind", "[real]") {
  DbTempDir tmp;
  struct Case {
    std::string args;
    std::vector<std::string> names;  // what the message must name
  };
  const std::vector<Case> cases = {
      {"--db bogus", {"--db", "bogus"}},
      {"--db pgbouncer --db-link tls+uds", {"--db-link", "tls+uds"}},
      {"--db pgbouncer --db-server-link udp", {"--db-server-link", "udp"}},
      {"--db direct --db-rows 0", {"--db-rows", "0"}},
      {"--db direct --db-row-bytes 0", {"--db-row-bytes", "0"}},
      {"--db direct --placement process", {"--db", "--placement process"}},
  };
  const std::string scratch = tmp / "scratch";
  fs::create_directories(scratch);
  for (const auto& c : cases) {
    const std::string out = tmp / "out";
    const auto r = run_command("TMPDIR=" + scratch + " " + HOPCOST_BINARY + " " + kBase + "--out " + out + " " + c.args);
    INFO(c.args << ": " << r.output);
    CHECK(r.code == 2);
    for (const auto& n : c.names) CHECK(contains(r.output, n));
    // One message: one line.
    std::string text = r.output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    CHECK(std::count(text.begin(), text.end(), '\n') == 0);
    CHECK_FALSE(fs::exists(out));
    CHECK(fs::is_empty(scratch));  // no scratch directory, no program started
    CHECK(db_processes_under(tmp.path.string()).empty());
  }
}

// 7. -----------------------------------------------------------------------------------

namespace {

// The app at the end of a hand-built chain (client ──tcp──▶ app ──db link──▶ …), its
// database link's client end `target`, for one test to drive with the real load driver.
class AppOnDb {
 public:
  AppOnDb(const pg::PgTarget& target, DbPolicy policy)
      : app_(std::make_unique<App>("origin", target, policy, kDbQuery, std::chrono::seconds(5))) {
    http_.kind = LinkKind::tcp;
    app_->listen(http_);
    app_->start();
  }
  ~AppOnDb() { app_->stop(); }
  App& app() { return *app_; }
  const LinkEnds& entry() const { return http_; }

 private:
  LinkEnds http_;
  std::unique_ptr<App> app_;
};

struct DbMeasured {
  LoadResult load;
  NodeStats client;
  DbCounts before, after;
};

// `connections` clients for `duration`, new connections each request; what the database
// programs and the app counted at the window's edges, as the runner reads them.
std::unique_ptr<DbMeasured> drive(AppOnDb& a, const DbChain& db, std::chrono::milliseconds duration) {
  auto m = std::make_unique<DbMeasured>();
  auto counts = [&](DbChain::WindowEdge edge) {
    return DbCounts{db.snapshot(edge), a.app().counters(), a.app().stats().snapshot().client};
  };
  LoadSettings settings;
  settings.conn = ConnPolicy::keepalive;
  settings.connections = 2;
  settings.duration = duration;
  WindowEdges edges{[&] { m->before = counts(DbChain::WindowEdge::opening); },
                    [&] { m->after = counts(DbChain::WindowEdge::closing); }};
  m->load = run_closed_loop(a.entry(), settings, m->client, edges);
  return m;
}

}  // namespace

TEST_CASE("database tail: TLS on the app's database link negotiates the version asked for, and a CA that did not issue the "
          "server's certificate fails its handshakes, counted on that link, each request answered with an error",
          "[real]") {
  struct Case {
    DbMode mode;
    TlsVersion tls;
    std::string version;
  };
  for (const Case& c : {Case{DbMode::pgbouncer, TlsVersion::v1_2, "TLSv1.2"}, Case{DbMode::pgbouncer, TlsVersion::v1_3, "TLSv1.3"},
                        Case{DbMode::direct, TlsVersion::v1_3, "TLSv1.3"}}) {
    const bool proxy = c.mode == DbMode::pgbouncer;
    INFO((proxy ? "app -> PgBouncer -> PostgreSQL, " : "app -> PostgreSQL, ") << c.version);
    DbTempDir tmp;
    const Pki pki, stranger;
    DbTail tail;
    tail.mode = c.mode;
    tail.link = LinkKind::tls;
    tail.server_link = LinkKind::tls;
    tail.policy = DbPolicy::per_request;  // a TLS handshake on the app's link for every request
    // Under the run, as `hopcost run` lays it out; this path is short enough for the sockets.
    DbChain db(tail, c.tls, pki, tmp.path.string(), tmp / "out/programs/v/database");
    CHECK(db.run_dir() == tmp / "out/programs/v/database");

    {
      // Verified against the run's CA: every request answered, on the version asked for.
      AppOnDb right(db.target(), tail.policy);
      const auto m = drive(right, db, std::chrono::milliseconds(400));
      INFO("errors " << m->load.errors.total() << ": " << m->client.first_error(ErrorKind::status) << " / "
                     << right.app().stats().first_error(ErrorKind::handshake));
      CHECK(m->load.requests > 10);
      CHECK(m->load.errors.total() == 0);
      const SideCounters link = m->after.app_link - m->before.app_link;
      CHECK(link.handshakes > 10);
      CHECK(link.handshake_errors == 0);
      const auto negotiated = right.app().stats().negotiated(TlsSide::client);
      REQUIRE(negotiated);
      CHECK(negotiated->version == c.version);
      if (proxy) {
        // PgBouncer's side of the app's link, and its own link to PostgreSQL, on the same
        // version: its log's "login attempt: … tls=TLSv1.x/…" and "SSL established: TLSv1.x/…".
        const auto logins = pgbouncer_logins_under(db.run_dir());
        const auto server = pgbouncer_lines_under(db.run_dir(), "SSL established");
        CHECK(logins.size() >= 10);
        CHECK_FALSE(server.empty());
        for (const auto& line : logins) {
          INFO(line);
          CHECK(contains(line, "tls=" + c.version + "/"));
        }
        for (const auto& line : server) {
          INFO(line);
          CHECK(contains(line, "SSL established: " + c.version + "/"));
        }
      }
    }

    {
      // The app trusts another CA: verify-full refuses the server's certificate, before any
      // login (PgBouncer logs none, PostgreSQL counts no session).
      pg::PgTarget wrong = db.target();
      const auto wrong_trust = make_client_ctx(TlsSettings{c.tls}, stranger.ca_cert());
      wrong.link.client_ctx = wrong_trust.get();
      AppOnDb app(wrong, tail.policy);
      const auto m = drive(app, db, std::chrono::milliseconds(300));
      const NodeCounters counted = app.app().stats().snapshot();
      const SideCounters link = m->after.app_link - m->before.app_link;
      INFO("client: " << m->client.first_error(ErrorKind::status) << "; app: " << app.app().stats().first_error(ErrorKind::handshake));
      // At the client: no request answered 200, every one an error status (the app's 502).
      CHECK(m->load.requests == 0);
      CHECK(m->load.errors[ErrorKind::status] > 0);
      CHECK(m->load.errors.total() == m->load.errors[ErrorKind::status]);
      CHECK_THAT(m->client.first_error(ErrorKind::status), Catch::Contains("502"));
      // At the app: handshake failures on its client side (the database link's), its only errors.
      CHECK(link.handshake_errors > 0);
      CHECK(link.handshakes == 0);
      CHECK(counted.client.handshake_errors == counted.errors[ErrorKind::handshake]);
      CHECK(counted.errors.total() == counted.errors[ErrorKind::handshake]);
      CHECK_THAT(app.app().stats().first_error(ErrorKind::handshake),
                 Catch::Contains("database tls: ") && Catch::Contains("certificate verify failed"));
      CHECK(m->after.app.connections == m->before.app.connections);  // none opened
      if (proxy) CHECK(m->after.programs.pgbouncer_logins == m->before.programs.pgbouncer_logins);
      CHECK(m->after.programs.postgres_sessions == m->before.programs.postgres_sessions);
      // In the report: the database link's handshake failures at its client end.
      VariantResult v;
      v.requests = m->load.requests;
      v.per_hop.push_back(LinkResult{});  // link 0: the client's
      add_db_tail(v, tail, m->before, m->after, db.versions());
      REQUIRE(v.per_hop.size() == (proxy ? 3u : 2u));
      CHECK(v.per_hop[1].kind == "tls");
      CHECK(v.per_hop[1].counted_at == "client end");
      CHECK(v.per_hop[1].handshake_errors_client == link.handshake_errors);
      CHECK(v.per_hop[1].handshake_errors_server == 0);
    }
    db.stop();
    // Stopped: its configurations stay under the run, its data and secrets do not.
    CHECK(fs::exists(tmp / "out/programs/v/database/database-postgresql.conf"));
    CHECK(data_dirs_under(tmp.path).empty());
    CHECK_FALSE(fs::exists(tmp / "out/programs/v/database/credentials"));
  }
}
