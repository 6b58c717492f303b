// PgBouncer (Debian 12: 1.18) as the chain's DB proxy (issue #13): the pure generator.
//
// - pool_mode = transaction: a server connection serves a client for one transaction,
//   then any other client; server_reset_query is not used in that mode (left empty).
// - auth_type = scram-sha-256 with an auth file holding the app's SCRAM secret copied from
//   PostgreSQL's pg_authid (what auth_query deployments read): PgBouncer verifies the client
//   with it and, since the secret is PostgreSQL's own (same salt and iterations), logs into
//   PostgreSQL with SCRAM pass-through. No password in plain text anywhere.
// - TLS to the app: client_tls_sslmode = require, client_tls_{cert,key,ca}_file,
//   client_tls_protocols pinned. TLS to PostgreSQL: server_tls_sslmode = verify-full against
//   the run's CA (the host it connects to, 127.0.0.1, is what it verifies), server_tls_protocols.
// - Listens on 127.0.0.1:PORT, or only on a Unix socket in its private directory (uds; in
//   SOCKETS/NAME-pgbouncer.sockets, another private directory, when DbSettings::socket_root
//   is set: the run directory's path is too long for a socket's).
// - Kept in the run directory: NAME-pgbouncer.ini and NAME-pgbouncer.log; the auth file,
//   certificate copies and socket in its private directory, removed at stop.
#pragma once

#include <string>

#include "topologies/database.hpp"
#include "topologies/program.hpp"

namespace hopcost {

// What PgBouncer runs for `s`, listening on `listen`, in front of PostgreSQL on `server`;
// `scram_secret` is the app's secret from pg_authid ("SCRAM-SHA-256$4096:…"). Pure.
ProgramConfig pgbouncer_config(const DbSettings& s, const DbEndpoint& listen, const DbEndpoint& server,
                               const std::string& scram_secret);

std::string pgbouncer_private_dir(const DbSettings& s);
// Its listening Unix socket's directory (uds): its private directory, or a private directory
// of its own under s.socket_root when that is set.
std::string pgbouncer_socket_dir(const DbSettings& s);
std::string pgbouncer_log(const DbSettings& s);

}  // namespace hopcost
