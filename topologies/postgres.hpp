// PostgreSQL 15 as the chain's database (issue #13): the pure generator of what runs.
//
// In a private directory under the run (RUN/NAME-postgres.private, 0700, the run-as user's):
//   - `initdb --auth=scram-sha-256 --pwfile` (a superuser `postgres` with a password);
//   - the data directory, the server's certificate and key (0600, its own: PostgreSQL
//     refuses a key others can read), its Unix socket, the passwords. (The socket is in
//     SOCKETS/NAME-postgres.sockets instead, another private directory, when
//     DbSettings::socket_root is set: the run directory's path is too long for a socket's.)
// In the run directory, kept: NAME-postgresql.conf (config_file) and NAME-pg_hba.conf
// (hba_file): the link's line (hostssl, host or local, scram-sha-256) and the superuser's
// over the private socket, nothing else (no trust); NAME-postgres.log.
// Once ready (the superuser's `SELECT 1` over the socket), the setup creates the app's role
// (SCRAM-SHA-256), its database and the table, then a psql over the listening link, verified
// with the run's CA, must read the table's row count.
#pragma once

#include <string>

#include "topologies/database.hpp"
#include "topologies/program.hpp"

namespace hopcost {

// What PostgreSQL runs for `s`, listening on `listen` (its socket_dir is the private
// directory's: postgres_socket_dir()). Pure.
ProgramConfig postgres_config(const DbSettings& s, const DbEndpoint& listen);

// The paths it uses, derived from the settings alone. Its Unix sockets' directory: its
// private directory, or a private directory of its own under s.socket_root when that is set
// (the run directory's path is too long for a socket's).
std::string postgres_private_dir(const DbSettings& s);
std::string postgres_socket_dir(const DbSettings& s);
// The libpq password file (the superuser's and the app's; 0600), for hopcost's clients.
std::string postgres_passfile(const DbSettings& s);
std::string postgres_log(const DbSettings& s);
// The superuser's connection string over the private socket, to `dbname`.
std::string postgres_superuser_conninfo(const DbSettings& s, const DbEndpoint& listen, const std::string& dbname);
// psql -X -At -v ON_ERROR_STOP=1 -d CONNINFO -c SQL, as a step.
ProgramStep psql_step(std::string what, const std::string& conninfo, const std::string& sql, std::string expect = {});

// The setup script (role, database, table): PostgreSQL's literal quoting, shown for tests.
std::string postgres_setup_sql(const DbSettings& s);

}  // namespace hopcost
