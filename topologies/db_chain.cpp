#include "topologies/db_chain.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <filesystem>
#include <fstream>

#include "scenario/scenario.hpp"
#include "tls/context.hpp"
#include "tls/pem.hpp"
#include "util/errors.hpp"

namespace hopcost {

DbSettings db_settings(const DbTail& tail, TlsVersion tls) {
  DbSettings s;
  s.pgbouncer = tail.mode == DbMode::pgbouncer;
  s.link = tail.link;
  s.server_link = tail.server_link;
  s.versions = {tls};  // pinned: both programs accept and offer the variant's version only
  s.rows = tail.rows;
  s.row_bytes = tail.row_bytes;
  // No per-statement log: nothing reads it yet (the database links' shares are unknown),
  // and it would cost PostgreSQL a log write per query.
  s.log_statements = false;
  return s;
}

void check_db_tails(const std::vector<Variant>& variants) {
  for (const auto& v : variants) {
    if (!v.db) continue;
    DbSettings s = db_settings(*v.db, v.tls);
    s.password = "checked";
    // What the chain fills in when it starts: its directory and the run's certificates.
    s.run_dir = std::filesystem::temp_directory_path().string();
    s.ca = s.database_cert = s.database_key = s.proxy_cert = s.proxy_key = "(the run's)";
    check_db_settings(s);
    if (v.placement != Placement::inproc)
      throw ConfigError("--db with --placement process: the app runs in the inproc placement only (for now)");
  }
}

namespace {
std::string random_password() {
  uint8_t bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

uint64_t count_lines_with(const std::string& path, std::string_view needle) {
  std::ifstream in(path);
  uint64_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}
}  // namespace

DbChain::DbChain(const DbTail& tail, TlsVersion tls, const Pki& pki, const std::string& dir, const std::string& keep_dir)
    : tail_(tail) {
  namespace fs = std::filesystem;
  DbSettings s = db_settings(tail, tls);
  const std::string user = db_user();
  // Under the run (keep_dir) when the programs' user can reach it; else under `dir`.
  if (!keep_dir.empty()) {
    run_dir_ = fs::absolute(keep_dir).lexically_normal().string();
    fs::create_directories(run_dir_);
    fs::permissions(run_dir_, fs::perms::others_exec | fs::perms::others_read, fs::perm_options::add);
    if (!user.empty() && closed_to_others(run_dir_)) run_dir_.clear();
  }
  const bool under_run = !run_dir_.empty();
  if (!under_run) {
    run_dir_ = dir + "/run";
    fs::create_directories(run_dir_);
    fs::permissions(run_dir_, fs::perms::others_exec | fs::perms::others_read, fs::perm_options::add);
  }
  s.run_dir = run_dir_;
  // The sockets in `dir` when their path under the run directory would not fit.
  if (db_socket_path_length(s) > kMaxSocketPath) s.socket_root = dir;

  // The run's certificates, read by hopcost's user only (the launcher copies them into the
  // programs' private directories): 0700, replacing an earlier run's.
  credentials_dir_ = run_dir_ + "/credentials";
  fs::remove_all(credentials_dir_);
  fs::create_directory(credentials_dir_);
  fs::permissions(credentials_dir_, fs::perms::owner_all, fs::perm_options::replace);
  try {
    const std::string& c = credentials_dir_;
    write_certificate(c + "/ca.pem", pki.ca_cert());
    write_credential(c, s.database_name, pki.issue(s.database_name));
    write_credential(c, s.proxy_name, pki.issue(s.proxy_name));
    s.ca = c + "/ca.pem";
    s.database_cert = c + "/" + s.database_name + ".pem";
    s.database_key = c + "/" + s.database_name + ".key";
    s.proxy_cert = c + "/" + s.proxy_name + ".pem";
    s.proxy_key = c + "/" + s.proxy_name + ".key";
    s.password = random_password();
    check_db_settings(s);
    programs_ = std::make_unique<DatabaseTail>(s);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(credentials_dir_, ignored);
    throw;
  }
  if (!under_run && !keep_dir.empty()) {
    fs::create_directories(keep_dir);
    for (const auto& f : programs_->kept_files())
      std::ofstream(keep_dir + "/" + fs::path(f.path).filename().string()) << f.text;
  }

  const DbEndpoint& e = programs_->app_endpoint();
  LinkEnds link;
  link.kind = e.kind;
  link.real_server = true;
  if (e.kind == LinkKind::uds) {
    link.endpoint.transport = Transport::uds;
    link.endpoint.path = e.socket_path();
  } else {
    link.endpoint.transport = Transport::tcp;
    link.endpoint.host = "127.0.0.1";
    link.endpoint.port = e.port;
  }
  if (e.kind == LinkKind::tls) {
    TlsSettings t;
    t.version = tls;
    client_ctx_ = make_client_ctx(t, pki.ca_cert());
    link.client_ctx = client_ctx_.get();
    link.server_name = e.tls_name;
  }
  target_ = pg::PgTarget{link, s.user, s.password, s.dbname};
}

DbChain::~DbChain() { stop(); }

void DbChain::stop() {
  std::error_code ignored;
  if (programs_) {
    programs_->stop();  // their private directories with them
    // Their logs too, as every real program's: only the configurations are kept (PgBouncer's
    // log holds a line per login, megabytes in a long per-request run).
    for (const std::string& log : {programs_->postgres_log(), programs_->pgbouncer_log()})
      if (!log.empty()) std::filesystem::remove(log, ignored);
  }
  if (!credentials_dir_.empty()) std::filesystem::remove_all(credentials_dir_, ignored);
}

DbSnapshot DbChain::snapshot(WindowEdge edge) const {
  DbSnapshot d;
  // The count is read with psql, through the "postgres" database (its own session is not
  // the app database's); the CPU its backend costs PostgreSQL falls outside the window:
  // read after it when the window opens, before it when it closes.
  auto read_sessions = [&] {
    const std::string sessions = programs_->superuser_query(
        fmt::format("SELECT sessions FROM pg_stat_database WHERE datname = '{}'", programs_->settings().dbname), "postgres");
    try {
      d.postgres_sessions = std::stoull(sessions);
    } catch (const std::exception&) {
      throw RunError(fmt::format("postgresql: pg_stat_database.sessions read '{}', not a number", sessions));
    }
  };
  if (edge == WindowEdge::opening) read_sessions();
  d.postgres_cpu_ns = static_cast<uint64_t>(programs_->postgres().cpu().count());
  if (const auto* b = programs_->pgbouncer()) {
    d.pgbouncer_cpu_ns = static_cast<uint64_t>(b->cpu().count());
    d.pgbouncer_logins = count_lines_with(programs_->pgbouncer_log(), "login attempt");
  }
  if (edge == WindowEdge::closing) read_sessions();
  return d;
}

}  // namespace hopcost
