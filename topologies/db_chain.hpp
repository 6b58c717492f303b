// A chain's database tail as one object (issue #13, docs/database.md): the run's
// certificates for PostgreSQL and PgBouncer written where they read them, the programs
// started (topologies/database.hpp), and the app's end of its database link, with the
// run's CA and the variant's TLS version, for the App node (node/app.hpp). What a run
// counts of it comes from db_snapshot(): each program's CPU, the connections each
// accepted, read at the programs themselves.
#pragma once

#include <openssl/base.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/client.hpp"
#include "tls/pki.hpp"
#include "tls/version.hpp"
#include "topologies/database.hpp"
#include "topologies/db_tail.hpp"

namespace hopcost {

struct Variant;

// What the database programs had counted at one moment.
struct DbSnapshot {
  uint64_t postgres_cpu_ns = 0;
  std::optional<uint64_t> pgbouncer_cpu_ns{};  // none without PgBouncer
  // Connections accepted: PgBouncer's logins (its log's "login attempt" lines), and the
  // sessions PostgreSQL counted for the app's database (pg_stat_database.sessions).
  std::optional<uint64_t> pgbouncer_logins{};
  uint64_t postgres_sessions = 0;
};

// The settings for `tail` at `tls`, with the certificate paths and login filled in later;
// for checks up front (check_db_tails) and for DbChain.
DbSettings db_settings(const DbTail& tail, TlsVersion tls);

// Up front, for every variant with a database: what PostgreSQL or PgBouncer cannot do,
// a missing program or user (exit 2, naming it).
void check_db_tails(const std::vector<Variant>& variants);

// The query the app runs for every request (`rows` rows of `row_bytes` bytes).
inline constexpr const char* kDbQuery = "SELECT id, payload FROM items ORDER BY id";

class DbChain {
 public:
  // Starts the programs in a directory under the run: `keep_dir`, the variant's
  // (OUT/programs/<variant>/database/). There go their generated configurations, which
  // stay, and their logs and private directories (PostgreSQL's data directory, the
  // secrets, the run's certificates and keys), which stop() removes; a SIGKILLed run
  // leaves those there, under its own directory, and the next run into it replaces them.
  //
  // `dir` is a short directory under TMPDIR, searchable by the programs' user, that the
  // caller removes: their Unix sockets go there when the path under `keep_dir` would be too
  // long for a socket's (107 bytes: OUT/programs/<variant>/database/… usually is), each in a
  // private directory of its program's. Everything goes there instead (its configurations
  // copied into `keep_dir`) when `keep_dir` is empty, or when the programs' user cannot
  // reach it (hopcost runs as root and a directory above the run is closed to others: /root).
  DbChain(const DbTail& tail, TlsVersion tls, const Pki& pki, const std::string& dir, const std::string& keep_dir);
  ~DbChain();

  // The app's end of its link (verify-full against the run's CA for tls) and its login.
  const pg::PgTarget& target() const { return target_; }
  const DbTail& tail() const { return tail_; }
  // At the measured window's opening or closing edge (which decides when the counting
  // query runs: its own cost stays outside the window).
  enum class WindowEdge { opening, closing };
  DbSnapshot snapshot(WindowEdge edge) const;
  std::map<std::string, std::string> versions() const { return programs_->versions(); }
  // Throws RunError naming the program (postgresql, pgbouncer) that has exited.
  void check_running() { programs_->check_running(); }
  // Where the programs' files are (keep_dir, or under `dir`: see the constructor).
  const std::string& run_dir() const { return run_dir_; }
  void stop();

 private:
  DbTail tail_;
  std::string run_dir_;
  std::string credentials_dir_;  // the run's CA, and the programs' certificates and keys (removed at stop)
  bssl::UniquePtr<SSL_CTX> client_ctx_;
  std::unique_ptr<DatabaseTail> programs_;
  pg::PgTarget target_;
};

}  // namespace hopcost
