// The database tail of a variant (issue #13), as the matrix sweeps it: whether the origin
// is an app that queries a database for every request (--db), over which links (--db-link,
// --db-server-link), and how the app holds its connections (--db-policy). Plain data;
// topologies/database.hpp runs the programs.
#pragma once

#include <optional>
#include <string_view>

#include "net/link_kind.hpp"
#include "util/enum_table.hpp"

namespace hopcost {

// --db: no database, app → PgBouncer → PostgreSQL, or app → PostgreSQL.
enum class DbMode { none, pgbouncer, direct };
inline constexpr EnumTable<DbMode, 3> kDbModes{
    {{{DbMode::none, "none"}, {DbMode::pgbouncer, "pgbouncer"}, {DbMode::direct, "direct"}}}};
inline std::string_view to_string(DbMode m) { return kDbModes.text(m); }
inline std::optional<DbMode> parse_db_mode(std::string_view s) { return kDbModes.parse(s); }

// --db-policy: the app connects, authenticates and queries for each request (an app
// without a pool), or keeps its connections open and reuses them.
enum class DbPolicy { per_request, pooled };
inline constexpr EnumTable<DbPolicy, 2> kDbPolicies{{{{DbPolicy::per_request, "per-request"}, {DbPolicy::pooled, "pooled"}}}};
inline std::string_view to_string(DbPolicy p) { return kDbPolicies.text(p); }
inline std::optional<DbPolicy> parse_db_policy(std::string_view s) { return kDbPolicies.parse(s); }

// The kinds a database link can be: PostgreSQL speaks TLS only after an SSLRequest on a
// TCP connection, so TLS over a Unix socket is not one of them.
inline bool db_link_kind(LinkKind k) { return k == LinkKind::tls || k == LinkKind::tcp || k == LinkKind::uds; }

struct DbTail {
  DbMode mode = DbMode::pgbouncer;
  LinkKind link = LinkKind::tls;         // app → PgBouncer (or PostgreSQL, direct)
  LinkKind server_link = LinkKind::tls;  // PgBouncer → PostgreSQL (pgbouncer only)
  DbPolicy policy = DbPolicy::pooled;
  int rows = 100;        // the table the query reads (--db-rows)
  int row_bytes = 100;   // each row's payload (--db-row-bytes)
  bool operator==(const DbTail&) const = default;
};

}  // namespace hopcost
