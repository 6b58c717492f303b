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
  DbSettings s = db_settings(tail, tls);
  write_certificate(dir + "/ca.pem", pki.ca_cert());
  write_credential(dir, s.database_name, pki.issue(s.database_name));
  write_credential(dir, s.proxy_name, pki.issue(s.proxy_name));
  s.ca = dir + "/ca.pem";
  s.database_cert = dir + "/" + s.database_name + ".pem";
  s.database_key = dir + "/" + s.database_name + ".key";
  s.proxy_cert = dir + "/" + s.proxy_name + ".pem";
  s.proxy_key = dir + "/" + s.proxy_name + ".key";
  namespace fs = std::filesystem;
  s.password = random_password();
  s.run_dir = dir + "/run";
  fs::create_directories(s.run_dir);
  fs::permissions(s.run_dir, fs::perms::others_exec | fs::perms::others_read, fs::perm_options::add);
  check_db_settings(s);
  programs_ = std::make_unique<DatabaseTail>(s);
  if (!keep_dir.empty()) {
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
  if (programs_) programs_->stop();
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
