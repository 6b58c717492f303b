#include "run/db_figures.hpp"

#include <fmt/format.h>

namespace hopcost {

namespace {
double per(double value, double count) { return count > 0 ? value / count : 0.0; }
std::string version_of(const std::map<std::string, std::string>& versions, const std::string& program) {
  const auto it = versions.find(program);
  return it == versions.end() ? std::string() : it->second;
}
}  // namespace

void add_db_tail(VariantResult& v, const DbTail& tail, const DbCounts& before, const DbCounts& after,
                 const std::map<std::string, std::string>& versions) {
  const double requests = static_cast<double>(v.requests);
  const bool proxy = tail.mode == DbMode::pgbouncer;
  // tls_cpu_share is of all CPU: the programs' CPU joins the whole, their TLS work (inside
  // it, not timed) does not join the TLS part, as for every real program.
  const double tls_cpu_us_per_request = v.tls_cpu_share * v.cpu_us_per_request;
  const std::string first = proxy ? "pgbouncer" : "postgresql";

  // The programs as nodes: their CPU is every process's, from /proc.
  auto program_node = [&](std::string name, std::string role, std::string implementation, uint64_t cpu_ns,
                          const std::string& version) {
    NodeResult n;
    n.name = std::move(name);
    n.role = std::move(role);
    n.cpu_us = static_cast<double>(cpu_ns) / 1e3;
    n.cpu_us_per_request = per(n.cpu_us, requests);
    n.implementation = std::move(implementation);
    n.version = version;
    n.helpers = std::vector<NodeResult::Helper>{};
    v.cpu_us_per_request += n.cpu_us_per_request;
    v.nodes.push_back(std::move(n));
  };
  if (proxy)
    program_node("db-proxy", "db_proxy", "pgbouncer",
                 after.programs.pgbouncer_cpu_ns.value_or(0) - before.programs.pgbouncer_cpu_ns.value_or(0),
                 version_of(versions, "pgbouncer"));
  program_node("database", "database", "postgresql", after.programs.postgres_cpu_ns - before.programs.postgres_cpu_ns,
               version_of(versions, "postgres"));

  // Connections accepted at each server end, per request.
  const double sessions = static_cast<double>(after.programs.postgres_sessions - before.programs.postgres_sessions);
  const double logins = static_cast<double>(after.programs.pgbouncer_logins.value_or(0) - before.programs.pgbouncer_logins.value_or(0));
  v.db_connections_per_request = per(proxy ? logins : sessions, requests);

  const AppCounters& a = after.app;
  const AppCounters& b = before.app;
  VariantResult::DbFigures f;
  f.rows = tail.rows;
  f.row_bytes = tail.row_bytes;
  const double queries = static_cast<double>(a.queries - b.queries);
  const double opened = static_cast<double>(a.connections - b.connections);
  f.queries_per_request = per(queries, requests);
  f.app_connections_per_request = per(opened, requests);
  f.server_connections_per_request = per(sessions, requests);
  if (opened > 0) {
    f.connect_us = static_cast<double>(a.connect_ns - b.connect_ns) / 1e3 / opened;
    f.authentication_us = static_cast<double>(a.authentication_ns - b.authentication_ns) / 1e3 / opened;
  }
  f.query_us = per(static_cast<double>(a.query_ns - b.query_ns) / 1e3, queries);
  v.db_figures = f;
  v.tls_cpu_share = v.cpu_us_per_request > 0 ? tls_cpu_us_per_request / v.cpu_us_per_request : 0.0;

  // The app's link: counted at its client end, the app's (its server end is a real program).
  const SideCounters c = after.app_link - before.app_link;
  // PgBouncer logs no time per query; PostgreSQL can log each statement's duration, but
  // hopcost neither pairs it with a request nor turns it on (docs/database.md says why).
  const std::string no_residence = fmt::format(
      "{}; the app's time per query ({:.0f} µs) is in db_figures",
      proxy ? "PgBouncer gives no time per query" : "hopcost reads no per-request time from PostgreSQL (its statement log is off)",
      f.query_us);
  LinkResult app_link;
  app_link.link = static_cast<int>(v.per_hop.size());
  app_link.kind = std::string(to_string(tail.link));
  app_link.unknown_reason = no_residence;
  app_link.client_end = "hopcost";
  app_link.server_end = first;
  app_link.counted_at = "client end";
  app_link.bytes_per_request = per(static_cast<double>(c.wire_bytes), requests);
  app_link.overhead_bytes_per_request = per(static_cast<double>(c.wire_bytes - c.app_bytes), requests);
  if (tail.link == LinkKind::tls) {
    app_link.handshakes_full = per(static_cast<double>(c.handshakes - c.resumed), requests);
    app_link.handshakes_resumed = per(static_cast<double>(c.resumed), requests);
    app_link.handshake_cpu_us_client = per(static_cast<double>(c.handshake_cpu_ns) / 1e3, static_cast<double>(c.handshakes));
    app_link.handshake_bytes = per(static_cast<double>(c.handshake_bytes), static_cast<double>(c.handshakes));
    app_link.handshake_errors_client = c.handshake_errors;
    v.handshakes_per_request += per(static_cast<double>(c.handshakes), requests);
    v.handshakes_per_second += per(static_cast<double>(c.handshakes), v.measured_s);
  }
  v.per_hop.push_back(std::move(app_link));

  if (proxy) {
    LinkResult server_link;
    server_link.link = static_cast<int>(v.per_hop.size());
    server_link.kind = std::string(to_string(tail.server_link));
    server_link.unknown_reason =
        "PgBouncer gives no time per query, and hopcost reads none from PostgreSQL (its statement log is off)";
    server_link.client_end = "pgbouncer";
    server_link.server_end = "postgresql";
    server_link.uncounted_reason =
        "both its ends are real programs (PgBouncer, PostgreSQL), which count no handshakes or bytes per link; "
        "PostgreSQL's sessions per request are in db_figures.server_connections_per_request";
    v.per_hop.push_back(std::move(server_link));
  }
}

}  // namespace hopcost
