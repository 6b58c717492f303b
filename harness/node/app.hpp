// The app (issue #13, docs/database.md): the origin of a chain with a database tail. For
// every request it runs one query through its database link (to PgBouncer, or to
// PostgreSQL directly) and answers 200 with the query's result as the body: one line per
// row, "id payload". It is a node like the origin, on its own thread; its database link's
// client end is hopcost's own PostgreSQL client (pg/client.hpp), so that link's TLS
// handshakes are counted on the app's client side and timed as on every other link.
//
// Policies (topologies/db_tail.hpp): `per-request` connects, authenticates (SCRAM-SHA-256)
// and queries for each request, then closes; `pooled` keeps the connections it opened and
// reuses one per request (at most one per request in flight; never more than it needed).
//
// A database failure (connect, TLS, authentication, query) is counted here by kind (an
// ErrorResponse, a query's or a login's: query; a failed TLS handshake: a handshake failure
// on the app's client side, the database link's), and the request is answered 502 with its
// connection closed; the client counts a status error. Counters: database connections
// opened, and the time spent connecting and querying.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "node/node.hpp"
#include "pg/client.hpp"
#include "topologies/db_tail.hpp"

namespace hopcost {

// What the app counted, for the report (docs/report-format.md, `db`).
struct AppCounters {
  uint64_t queries = 0;            // queries answered
  uint64_t connections = 0;        // database connections it opened
  uint64_t connect_ns = 0;         // their connect() times, summed (transport, TLS, authentication)
  uint64_t authentication_ns = 0;  // ... of which StartupMessage to AuthenticationOk
  uint64_t query_ns = 0;           // Query written to ReadyForQuery, summed
};

class App final : public Node {
 public:
  // `target` is the database link's client end and login; `timeout` bounds every
  // database operation.
  App(std::string name, pg::PgTarget target, DbPolicy policy, std::string query, std::chrono::nanoseconds timeout);
  ~App() override;

  AppCounters counters() const;

 private:
  asio::awaitable<void> serve(std::unique_ptr<Stream> downstream) override;
  void release() override { idle_.clear(); }
  // One query on a connection of the policy's; the result's body, or the failure.
  asio::awaitable<std::optional<pg::PgError>> run_query(std::string& body);

  const pg::PgTarget target_;
  const DbPolicy policy_;
  const std::string query_;
  const std::chrono::nanoseconds timeout_;
  std::vector<std::unique_ptr<pg::PgConnection>> idle_;  // pooled: open and ready (the node's thread only)
  std::atomic<uint64_t> queries_{0}, connections_{0}, connect_ns_{0}, authentication_ns_{0}, query_ns_{0};
};

}  // namespace hopcost
