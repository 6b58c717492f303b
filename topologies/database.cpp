#include "topologies/database.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "topologies/pgbouncer.hpp"
#include "topologies/postgres.hpp"
#include "topologies/program_process.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// The psql, initdb, postgres of PostgreSQL 15 (Debian keeps them out of PATH, behind
// pg_wrapper for psql), else of the highest version installed.
std::string pg_bindir() {
  static const std::string dir = [] {
    const fs::path root = "/usr/lib/postgresql";
    if (fs::exists(root / "15/bin/postgres")) return (root / "15/bin").string();
    int best = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      if (fs::exists(e.path() / "bin/postgres")) best = std::max(best, std::stoi(name));
    }
    return best > 0 ? (root / std::to_string(best) / "bin").string() : std::string();
  }();
  return dir;
}

// A value in a libpq connection string: quoted unless plain.
std::string conninfo_value(const std::string& v) {
  if (!v.empty() && v.find_first_of(" '\\") == std::string::npos) return v;
  std::string q = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') q += '\\';
    q += c;
  }
  return q + "'";
}

std::string link_name(LinkKind k) { return std::string(to_string(k)); }

// The run directory and each directory above it must let the run-as user through (others'
// search permission): it reads its configuration there.
void check_reachable(const std::string& dir, const std::string& user) {
  if (const auto closed = closed_to_others(dir)) {
    struct stat st {};
    ::stat(closed->c_str(), &st);
    throw RunError(fmt::format("the database programs run as {} and cannot reach the run directory {}: {} is closed to "
                               "other users (mode {:o}); put the run under a directory they can search (/tmp)",
                               user, dir, *closed, st.st_mode & 07777));
  }
}

}  // namespace

std::optional<std::string> closed_to_others(const std::string& dir) {
  for (fs::path p = fs::path(dir); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH)) return p.string();
    if (p == p.root_path()) break;
  }
  return std::nullopt;
}

size_t db_socket_path_length(const DbSettings& s) {
  return std::max(postgres_socket_dir(s).size(), pgbouncer_socket_dir(s).size()) + std::string("/.s.PGSQL.65535").size();
}

std::string db_user() { return ::geteuid() == 0 ? std::string(kDbSystemUser) : std::string(); }

ProgramCommand pg_command(std::string_view binary, std::vector<std::string> args) {
  const std::string package = binary == "psql" || binary == "pgbench" ? "postgresql-client-15" : "postgresql-15";
  const std::string dir = pg_bindir();
  std::string path = std::string(binary);
  if (!dir.empty() && ::access((dir + "/" + path).c_str(), X_OK) == 0) path = dir + "/" + path;
  return {path, package, std::move(args)};
}

std::string pgbouncer_protocols(const std::vector<TlsVersion>& versions) {
  const bool v12 = std::find(versions.begin(), versions.end(), TlsVersion::v1_2) != versions.end();
  const bool v13 = std::find(versions.begin(), versions.end(), TlsVersion::v1_3) != versions.end();
  return v12 && v13 ? "tlsv1.2,tlsv1.3" : v12 ? "tlsv1.2" : "tlsv1.3";
}

std::string libpq_conninfo(const DbEndpoint& e, const std::string& dbname, const std::string& user, const std::string& ca,
                           const std::string& passfile) {
  std::string s;
  switch (e.kind) {
    case LinkKind::tls:
      // host names what is verified; hostaddr is where it connects.
      s = fmt::format("host={} hostaddr=127.0.0.1 port={} sslmode=verify-full sslrootcert={}", conninfo_value(e.tls_name), e.port,
                      conninfo_value(ca));
      break;
    case LinkKind::tcp:
      s = fmt::format("host=127.0.0.1 port={} sslmode=disable", e.port);
      break;
    case LinkKind::uds:
    case LinkKind::tls_uds:
      s = fmt::format("host={} port={}", conninfo_value(e.socket_dir), e.port);
      break;
  }
  s += fmt::format(" dbname={} user={}", conninfo_value(dbname), conninfo_value(user));
  if (!passfile.empty()) s += " passfile=" + conninfo_value(passfile);
  return s;
}

void check_db_settings(const DbSettings& s) {
  const bool proxy = s.pgbouncer;
  // PostgreSQL 15 does TLS on TCP only (a Unix-socket connection never negotiates it), and
  // PgBouncer likewise ("Do not attempt to use TLS on Unix sockets", 1.7.1): no tls+uds.
  if (s.link == LinkKind::tls_uds)
    throw UnsupportedSetting(proxy ? "pgbouncer" : "postgresql",
                             fmt::format("TLS on a Unix socket (--db-link {}: {} does TLS on TCP connections only)",
                                         link_name(s.link), proxy ? "PgBouncer" : "PostgreSQL 15"));
  if (proxy && s.server_link == LinkKind::tls_uds)
    throw UnsupportedSetting("postgresql", fmt::format("TLS on a Unix socket (--db-server-link {}: PostgreSQL 15 and PgBouncer "
                                                       "do TLS on TCP connections only)",
                                                       link_name(s.server_link)));
  if (s.rows < 1) throw ConfigError(fmt::format("--db-rows {}: the table needs at least one row", s.rows));
  if (s.row_bytes < 1 || s.row_bytes > (64 << 20))
    throw ConfigError(fmt::format("--db-row-bytes {}: a row's payload is 1 byte to 64 MiB", s.row_bytes));
  const auto plain_name = [](const std::string& n) {
    return !n.empty() && n.size() <= 63 && (std::islower(static_cast<unsigned char>(n[0])) || n[0] == '_') &&
           n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
  };
  if (!plain_name(s.user) || s.user == "postgres" || s.user == "pgbouncer")
    throw ConfigError(fmt::format("database user '{}': a lower-case SQL name ([a-z_][a-z0-9_]*) other than postgres and pgbouncer",
                                  s.user));
  if (!plain_name(s.dbname) || s.dbname == "postgres" || s.dbname == "pgbouncer" || s.dbname.rfind("template", 0) == 0)
    throw ConfigError(fmt::format("database name '{}': a lower-case SQL name other than postgres, pgbouncer and template*", s.dbname));
  if (s.password.empty() || s.password.find_first_of(std::string("\n\r\0", 3)) != std::string::npos)
    throw ConfigError("the database password must be one line, not empty");
  for (const auto& n : {s.database_name, s.proxy_name})
    if (n.empty() || n.find('/') != std::string::npos) throw ConfigError(fmt::format("a database node named '{}'", n));
  if (s.run_dir.empty()) throw ConfigError("the database programs need a run directory");
  if (s.max_connections < 1 || s.pool_size < 1 || s.max_client_conn < 1)
    throw ConfigError("database connection limits must be at least 1");
  const bool tls_db = proxy ? traits(s.server_link).tls : traits(s.link).tls;
  const bool tls_proxy = proxy && (traits(s.link).tls || traits(s.server_link).tls);
  if (tls_db || tls_proxy) {
    if (s.versions.empty()) throw ConfigError("TLS on a database link with no version");
    if (s.ca.empty()) throw ConfigError("TLS on a database link without the run's CA (verification is always on)");
  }
  if (tls_db && (s.database_cert.empty() || s.database_key.empty()))
    throw UnsupportedSetting("postgresql", "TLS without a certificate and key");
  if (proxy && traits(s.link).tls && (s.proxy_cert.empty() || s.proxy_key.empty()))
    throw UnsupportedSetting("pgbouncer", "TLS on its listening end without a certificate and key");
  // Unix sockets in their directories: .s.PGSQL.NNNNN must fit a socket address.
  const size_t longest = db_socket_path_length(s);
  if (longest > kMaxSocketPath)
    throw ConfigError(fmt::format("the {} directory's path is too long for the database's Unix sockets ({} bytes, at most {}): {}",
                                  s.socket_root.empty() ? "run" : "sockets'", longest, kMaxSocketPath,
                                  s.socket_root.empty() ? s.run_dir : s.socket_root));
  // Installed?
  for (const char* b : {"initdb", "postgres", "psql"}) resolve_binary(pg_command(b, {}));
  if (proxy) resolve_binary({"pgbouncer", "pgbouncer", {}});
  const std::string user = s.run_as.empty() ? db_user() : s.run_as;
  if (!user.empty()) resolve_user(user);
}

DatabaseTail::DatabaseTail(DbSettings settings, LaunchOptions options) : settings_(std::move(settings)), options_(options) {
  const DbSettings& s = settings_;
  check_db_settings(s);
  const std::string user = s.run_as.empty() ? db_user() : s.run_as;
  if (!user.empty()) {
    check_reachable(s.run_dir, user);
    if (!s.socket_root.empty()) check_reachable(s.socket_root, user);
  }
  const bool proxy = s.pgbouncer;
  options_.check_config = false;  // neither has a check of its configuration alone
  // (initdb and the table's load are steps with their own bound, not in ready_timeout.)

  database_endpoint_.kind = proxy ? s.server_link : s.link;
  database_endpoint_.socket_dir = postgres_socket_dir(s);
  database_endpoint_.tls_name = s.database_name;
  database_endpoint_.port = traits(database_endpoint_.kind).transport == Transport::tcp ? free_loopback_port() : 5432;

  auto t0 = Clock::now();
  postgres_ = std::make_unique<LaunchedProgram>(postgres_config(s, database_endpoint_), options_);
  timings_.postgres_start = Clock::now() - t0;
  if (!proxy) return;
  try {
    // PgBouncer logs into PostgreSQL with the app's own SCRAM secret (pass-through): the
    // very secret PostgreSQL stored, with its salt and iteration count.
    const std::string secret = superuser_query(fmt::format("SELECT rolpassword FROM pg_authid WHERE rolname = '{}'", s.user));
    if (secret.rfind("SCRAM-SHA-256$", 0) != 0)
      throw RunError(fmt::format("the app's password in PostgreSQL is not a SCRAM secret: '{}'", secret.substr(0, 20)));
    proxy_endpoint_.kind = s.link;
    proxy_endpoint_.socket_dir = pgbouncer_socket_dir(s);
    proxy_endpoint_.tls_name = s.proxy_name;
    proxy_endpoint_.port = traits(s.link).transport == Transport::tcp ? free_loopback_port() : 6432;
    t0 = Clock::now();
    pgbouncer_ = std::make_unique<LaunchedProgram>(pgbouncer_config(s, proxy_endpoint_, database_endpoint_, secret), options_);
    timings_.pgbouncer_start = Clock::now() - t0;
  } catch (...) {
    stop();
    throw;
  }
}

DatabaseTail::~DatabaseTail() { stop(); }

std::string DatabaseTail::app_conninfo() const {
  return libpq_conninfo(app_endpoint(), settings_.dbname, settings_.user, settings_.ca, postgres_passfile(settings_));
}

std::map<std::string, std::string> DatabaseTail::versions() const {
  std::map<std::string, std::string> out;
  if (postgres_)
    for (const auto& [k, v] : postgres_->versions()) out[k] = v;
  if (pgbouncer_)
    for (const auto& [k, v] : pgbouncer_->versions()) out[k] = v;
  return out;
}

std::vector<ProgramFile> DatabaseTail::kept_files() const {
  std::vector<ProgramFile> out;
  for (const LaunchedProgram* p : {postgres_.get(), pgbouncer_.get()})
    if (p)
      for (const auto& f : p->config().files)
        if (!f.secret) out.push_back(f);
  return out;
}

std::string DatabaseTail::superuser_query(const std::string& sql, const std::string& dbname) const {
  const std::string& db = dbname.empty() ? settings_.dbname : dbname;
  std::string out = run_step(psql_step("query", postgres_superuser_conninfo(settings_, database_endpoint_, db), sql),
                             std::chrono::seconds(30));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string DatabaseTail::postgres_log() const { return hopcost::postgres_log(settings_); }
std::string DatabaseTail::pgbouncer_log() const { return pgbouncer_ ? hopcost::pgbouncer_log(settings_) : std::string(); }

void DatabaseTail::check_running() {
  if (pgbouncer_) pgbouncer_->check_running();
  if (postgres_) postgres_->check_running();
}

void DatabaseTail::stop() {
  if (pgbouncer_) {
    const auto t0 = Clock::now();
    pgbouncer_->stop();
    if (timings_.pgbouncer_stop.count() == 0) timings_.pgbouncer_stop = Clock::now() - t0;
  }
  if (postgres_) {
    const auto t0 = Clock::now();
    postgres_->stop();
    if (timings_.postgres_stop.count() == 0) timings_.postgres_stop = Clock::now() - t0;
  }
}

}  // namespace hopcost
