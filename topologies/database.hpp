// The chain's database tail for real (issue #13): PostgreSQL, with or without PgBouncer in
// front of it, started in a private directory under the run, reachable over TLS, TCP or a
// Unix socket, and stopped with nothing left behind.
//
//   app ──link──> PgBouncer ──server_link──> PostgreSQL      (--db pgbouncer)
//   app ──link──> PostgreSQL                                 (--db direct)
//
// What the matrix sweeps (--db, --db-link, --db-policy …) is topologies/db_tail.hpp.
//
// The settings are plain data (DbSettings), checked once up front (check_db_settings, exit 2
// on what a program cannot do). One generator per program turns them into what must run
// (postgres.hpp, pgbouncer.hpp: the launcher seam of program.hpp); DatabaseTail starts them
// through launcher.hpp, PostgreSQL first, and stops them in reverse.
//
// Both programs refuse to run as root: when hopcost runs as root they run as the system
// user hopcost-db (scripts/bootstrap creates it), which owns their private directories;
// otherwise as hopcost's own user. The clients (psql for readiness and setup, the app) run
// as hopcost's user.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/link_kind.hpp"
#include "tls/version.hpp"
#include "topologies/launcher.hpp"

namespace hopcost {

struct DbSettings {
  // PgBouncer in front of PostgreSQL (--db pgbouncer), or the app straight to PostgreSQL
  // (--db direct). (--db none starts nothing: topologies/db_tail.hpp has the mode.)
  bool pgbouncer = true;
  // App → the first database hop (PgBouncer, or PostgreSQL without it): tls, tcp or uds.
  LinkKind link = LinkKind::tls;
  // PgBouncer → PostgreSQL (with PgBouncer only): tls, tcp or uds.
  LinkKind server_link = LinkKind::tls;
  // The versions every TLS database link accepts (listening) and offers (PgBouncer's
  // server side): one pins it.
  std::vector<TlsVersion> versions{TlsVersion::v1_2, TlsVersion::v1_3};
  // The run's CA (PEM file): what every TLS database link is verified against.
  std::string ca{};
  // PostgreSQL's and PgBouncer's identities (PEM files: the leaf and its chain; the key),
  // issued by the run's CA for database_name and proxy_name, with IP:127.0.0.1 (Pki::issue):
  // libpq clients verify the name (host=NAME hostaddr=127.0.0.1), PgBouncer's server side
  // the address it connects to (its verify-full checks the host it was given).
  std::string database_cert{};
  std::string database_key{};
  std::string proxy_cert{};
  std::string proxy_key{};
  std::string database_name = "database";  // names its files in the run directory, and its certificate
  std::string proxy_name = "db-proxy";
  // The table the query reads: `rows` rows of `row_bytes` bytes of payload each.
  int rows = 1000;
  int row_bytes = 100;
  // The app's login (SCRAM-SHA-256) and the database it reads.
  std::string user = "app";
  std::string password{};
  std::string dbname = "hopcost";
  // Where configurations, logs and the private directories go; must exist.
  std::string run_dir{};
  int max_connections = 200;   // PostgreSQL's (per-request use opens one per request in flight)
  int pool_size = 20;          // PgBouncer's server connections to PostgreSQL
  int max_client_conn = 1000;  // PgBouncer's client connections
  // PostgreSQL logs each statement's duration (log_min_duration_statement = 0: "duration:
  // 0.042 ms", µs resolution) for attribution. It costs a log write per query.
  bool log_statements = true;
  // The user PostgreSQL and PgBouncer run as; empty: db_user().
  std::string run_as{};
  // Where their Unix sockets go when the run directory's path is too long for a socket's
  // (at most kMaxSocketPath bytes): a short directory (under TMPDIR) that must exist; each
  // program's socket directory is a private directory in it (db_socket_dir()). Empty: the
  // sockets are in the programs' private directories under the run directory.
  std::string socket_root{};
};

// The longest Unix socket path `s` gives its programs (PostgreSQL's, PgBouncer's), with their
// socket directories where s.socket_root puts them; at most kMaxSocketPath.
size_t db_socket_path_length(const DbSettings& s);

// The first of `dir` and the directories above it that other users cannot search (no o+x),
// which the programs' user (not hopcost's) then cannot pass through; none: it can reach `dir`.
std::optional<std::string> closed_to_others(const std::string& dir);

// The system user the database programs run as: "hopcost-db" when hopcost runs as root
// (PostgreSQL and PgBouncer refuse root), else empty (hopcost's own user).
std::string db_user();
inline constexpr std::string_view kDbSystemUser = "hopcost-db";

// Up front, before anything runs: throws UnsupportedSetting (exit 2) naming the program and
// the setting it cannot do (TLS on a Unix socket: neither PostgreSQL 15 nor PgBouncer does
// it), ConfigError for bad values (--db-rows 0 …), MissingProgram naming the Debian package
// of a missing binary, ConfigError when the user to run as does not exist.
void check_db_settings(const DbSettings& settings);

// Where a database program listens, as libpq names it.
struct DbEndpoint {
  LinkKind kind = LinkKind::tls;
  // TCP: the port on 127.0.0.1. Unix socket: the number in the socket's name.
  uint16_t port = 0;
  // The directory of its Unix socket (.s.PGSQL.PORT): the uds link's, and PostgreSQL's own
  // setup socket whatever the link.
  std::string socket_dir{};
  std::string tls_name{};  // the name its certificate carries, that verify-full checks
  std::string socket_path() const { return socket_dir + "/.s.PGSQL." + std::to_string(port); }
};

// A libpq connection string to `e`: TLS with sslmode=verify-full against `ca` and the
// endpoint's name (host=NAME hostaddr=127.0.0.1), TCP with sslmode=disable, a Unix socket by
// its directory. `passfile`: where libpq finds the password (empty: none).
std::string libpq_conninfo(const DbEndpoint& e, const std::string& dbname, const std::string& user, const std::string& ca,
                           const std::string& passfile = {});

// The versions as PostgreSQL (ssl_min/max_protocol_version) and PgBouncer (*_tls_protocols) name them.
std::string pgbouncer_protocols(const std::vector<TlsVersion>& versions);

// psql, pgbench, postgres, initdb: PostgreSQL 15's binary directory (/usr/lib/postgresql/15/bin,
// else the highest version installed), else the name alone (looked up on PATH). With the
// Debian package named when it is missing.
ProgramCommand pg_command(std::string_view binary, std::vector<std::string> args);

// How long each program took to start (ready and set up) and to stop.
struct DbTimings {
  std::chrono::nanoseconds postgres_start{0};
  std::chrono::nanoseconds postgres_stop{0};
  std::chrono::nanoseconds pgbouncer_start{0};
  std::chrono::nanoseconds pgbouncer_stop{0};
};

// PostgreSQL, then PgBouncer (if asked for), started and ready: each answered a real
// query of the table over its listening link, verified with the run's CA. Stopped (PgBouncer
// first) and their private directories removed at stop() or destruction; their generated
// configurations stay in the run directory. Start it from a thread that lives as long as it
// does (launcher.hpp). Throws as LaunchedProgram does, leaving nothing running.
class DatabaseTail {
 public:
  explicit DatabaseTail(DbSettings settings, LaunchOptions options = {});
  ~DatabaseTail();
  DatabaseTail(const DatabaseTail&) = delete;
  DatabaseTail& operator=(const DatabaseTail&) = delete;

  const DbSettings& settings() const { return settings_; }
  // Where the app connects: PgBouncer's listening end, or PostgreSQL's without it.
  const DbEndpoint& app_endpoint() const { return pgbouncer_ ? proxy_endpoint_ : database_endpoint_; }
  const DbEndpoint& database_endpoint() const { return database_endpoint_; }
  // The app's connection string (with the passfile that holds its password).
  std::string app_conninfo() const;
  // The running programs (PgBouncer: null without it). Their cpu(): every process of
  // the program, backends included (PostgreSQL's reaped backends are in its postmaster's
  // cutime/cstime).
  const LaunchedProgram& postgres() const { return *postgres_; }
  const LaunchedProgram* pgbouncer() const { return pgbouncer_.get(); }
  // "postgres" -> "postgres (PostgreSQL) 15.18 …", "pgbouncer" -> "PgBouncer 1.18.0".
  std::map<std::string, std::string> versions() const;
  // The non-secret generated files (configurations), for the run's kept configuration.
  std::vector<ProgramFile> kept_files() const;
  // One query as PostgreSQL's superuser over its private Unix socket, in the app's database;
  // its output (psql -At). For counts the run reads (pg_stat_database.sessions …). Throws RunError.
  // `dbname`: another database than the app's (the counts a run reads go through
  // "postgres", so that their own session is not one of the app database's).
  std::string superuser_query(const std::string& sql, const std::string& dbname = {}) const;
  // The paths of their logs (PostgreSQL: statement durations with log_statements; PgBouncer:
  // its connection log).
  std::string postgres_log() const;
  std::string pgbouncer_log() const;
  // Throws RunError naming the program that has exited.
  void check_running();
  void stop();  // idempotent
  const DbTimings& timings() const { return timings_; }

 private:
  DbSettings settings_;
  LaunchOptions options_;
  DbEndpoint database_endpoint_;
  DbEndpoint proxy_endpoint_;
  std::unique_ptr<LaunchedProgram> postgres_;
  std::unique_ptr<LaunchedProgram> pgbouncer_;
  DbTimings timings_;
};

}  // namespace hopcost
