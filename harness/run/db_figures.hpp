// Pure: a variant's database tail in its result (issue #13, docs/database.md): the two
// programs as nodes (roles db_proxy and database), the database links in per_hop, the
// connections per request each server end accepted, and what the app timed.
#pragma once

#include <map>
#include <string>

#include "node/app.hpp"
#include "node/stats.hpp"
#include "report/result.hpp"
#include "topologies/db_chain.hpp"

namespace hopcost {

struct DbCounts {
  DbSnapshot programs;
  AppCounters app;
  SideCounters app_link;  // the app's client side: its database link's end
};

// `before` and `after` bracket the measured interval; `versions` by program
// ("postgres", "pgbouncer"). Adds to v.nodes, v.per_hop, v.cpu_us_per_request (and
// rescales v.tls_cpu_share to the new whole: the programs' TLS work is not timed),
// v.handshakes_per_request and v.handshakes_per_second, and sets
// v.db_connections_per_request and v.db_figures.
void add_db_tail(VariantResult& v, const DbTail& tail, const DbCounts& before, const DbCounts& after,
                 const std::map<std::string, std::string>& versions);

}  // namespace hopcost
