// The database tail's generators (topologies/postgres.cpp, pgbouncer.cpp) and the up-front
// check of its settings (topologies/database.cpp): pure, no program runs.
#include <catch2/catch.hpp>

#include <algorithm>

#include "topologies/database.hpp"
#include "topologies/pgbouncer.hpp"
#include "topologies/postgres.hpp"

using namespace hopcost;
using Catch::Contains;

namespace {

DbSettings settings(LinkKind link = LinkKind::tls, LinkKind server_link = LinkKind::tls) {
  DbSettings s;
  s.link = link;
  s.server_link = server_link;
  s.versions = {TlsVersion::v1_3};
  s.ca = "/pki/ca.pem";
  s.database_cert = "/pki/database.pem";
  s.database_key = "/pki/database.key";
  s.proxy_cert = "/pki/db-proxy.pem";
  s.proxy_key = "/pki/db-proxy.key";
  s.password = "secret";
  s.run_dir = "/run/x";
  s.run_as = "hopcost-db";
  return s;
}

DbEndpoint endpoint(LinkKind kind, uint16_t port, std::string socket_dir, std::string name) {
  return DbEndpoint{kind, port, std::move(socket_dir), std::move(name)};
}

const ProgramFile& file_ending(const ProgramConfig& c, std::string_view suffix) {
  const auto it = std::find_if(c.files.begin(), c.files.end(), [&](const ProgramFile& f) {
    return f.path.size() >= suffix.size() && f.path.compare(f.path.size() - suffix.size(), suffix.size(), suffix) == 0;
  });
  REQUIRE(it != c.files.end());
  return *it;
}

}  // namespace

TEST_CASE("database settings: TLS on a Unix socket is refused up front, naming the program") {
  DbSettings s = settings(LinkKind::tls_uds, LinkKind::tls);
  CHECK_THROWS_WITH(check_db_settings(s), Contains("pgbouncer cannot do TLS on a Unix socket") && Contains("--db-link tls+uds"));
  s.pgbouncer = false;
  CHECK_THROWS_WITH(check_db_settings(s), Contains("postgresql cannot do TLS on a Unix socket"));
  s = settings(LinkKind::tls, LinkKind::tls_uds);
  CHECK_THROWS_AS(check_db_settings(s), UnsupportedSetting);
  CHECK_THROWS_WITH(check_db_settings(s), Contains("postgresql") && Contains("--db-server-link tls+uds"));
  s.pgbouncer = false;  // the server link is not used without PgBouncer
  CHECK_NOTHROW(check_db_settings(s));
}

TEST_CASE("database settings: bad values are refused, naming the setting") {
  DbSettings s = settings();
  s.rows = 0;
  CHECK_THROWS_WITH(check_db_settings(s), Contains("--db-rows 0"));
  s = settings();
  s.row_bytes = 0;
  CHECK_THROWS_WITH(check_db_settings(s), Contains("--db-row-bytes 0"));
  s = settings();
  s.user = "Robert'); DROP";
  CHECK_THROWS_AS(check_db_settings(s), ConfigError);
  s = settings();
  s.password.clear();
  CHECK_THROWS_WITH(check_db_settings(s), Contains("password"));
  s = settings();
  s.ca.clear();
  CHECK_THROWS_WITH(check_db_settings(s), Contains("CA"));
  s = settings(LinkKind::tcp, LinkKind::tcp);
  s.ca.clear();  // no TLS link: no CA needed
  s.run_as = "no-such-user-hopcost";
  CHECK_THROWS_WITH(check_db_settings(s), Contains("no-such-user-hopcost"));
  s = settings();
  s.run_dir = "/" + std::string(100, 'r');
  CHECK_THROWS_WITH(check_db_settings(s), Contains("too long"));
}

TEST_CASE("postgres: pg_hba allows the link's own kind with SCRAM and nothing else, TLS pinned") {
  struct Case {
    LinkKind kind;
    std::string line;
  };
  for (const Case& c : {Case{LinkKind::tls, "hostssl hopcost  app      127.0.0.1/32 scram-sha-256"},
                        Case{LinkKind::tcp, "host    hopcost  app      127.0.0.1/32 scram-sha-256"},
                        Case{LinkKind::uds, "local   hopcost  app                   scram-sha-256"}}) {
    INFO(to_string(c.kind));
    const DbSettings s = settings(c.kind, c.kind);
    const ProgramConfig pc = postgres_config(s, endpoint(c.kind, 15432, postgres_socket_dir(s), "database"));
    const std::string hba = file_ending(pc, "database-pg_hba.conf").text;
    CHECK_THAT(hba, Contains(c.line));
    CHECK_THAT(hba, Contains("local   all      postgres              scram-sha-256"));
    CHECK_THAT(hba, !Contains("trust") && !Contains(" peer") && !Contains(" md5") && !Contains("0.0.0.0"));
    const std::string conf = file_ending(pc, "database-postgresql.conf").text;
    CHECK_THAT(conf, Contains("password_encryption = scram-sha-256"));
    CHECK_THAT(conf, Contains("unix_socket_directories = '/run/x/database-postgres.private'"));
    if (c.kind == LinkKind::tls) {
      CHECK_THAT(conf, Contains("listen_addresses = '127.0.0.1'") && Contains("ssl = on") &&
                           Contains("ssl_min_protocol_version = 'TLSv1.3'") && Contains("ssl_max_protocol_version = 'TLSv1.3'") &&
                           Contains("ssl_key_file = '/run/x/database-postgres.private/server.key'"));
      REQUIRE(pc.bundles.size() == 2);  // the certificate and key, copied into the private directory (0600, its own)
    } else {
      CHECK_THAT(conf, Contains("ssl = off"));
      CHECK(pc.bundles.empty());
    }
    if (c.kind == LinkKind::uds) CHECK_THAT(conf, Contains("listen_addresses = ''"));
    // initdb and postgres run as the unprivileged user; SCRAM from the start.
    REQUIRE(pc.before_start.size() == 1);
    CHECK(pc.before_start[0].run_as == "hopcost-db");
    CHECK_THAT(pc.before_start[0].command.text(), Contains("--auth=scram-sha-256") && Contains("--pwfile="));
    REQUIRE(pc.processes.size() == 1);
    CHECK(pc.processes[0].run_as == "hopcost-db");
    CHECK(pc.processes[0].stop_signal == 2);  // SIGINT: fast shutdown
    CHECK(pc.private_dirs == std::vector<std::string>{"/run/x/database-postgres.private"});
    // Secrets stay in the private directory and out of the kept files.
    for (const auto& f : pc.files) CHECK(f.secret == (f.path.rfind("/run/x/database-postgres.private/", 0) == 0));
    // The last step reads the table over the listening link, verified with the run's CA.
    REQUIRE_FALSE(pc.after_ready.empty());
    CHECK(pc.after_ready.back().expect == "1000");
    if (c.kind == LinkKind::tls)
      CHECK_THAT(pc.after_ready.back().command.text(),
                 Contains("host=database hostaddr=127.0.0.1 port=15432 sslmode=verify-full sslrootcert=/pki/ca.pem"));
  }
}

TEST_CASE("postgres: the table has the rows and row size asked for, stored uncompressed") {
  DbSettings s = settings();
  s.rows = 7;
  s.row_bytes = 4096;
  s.password = "it's";
  const std::string sql = postgres_setup_sql(s);
  CHECK_THAT(sql, Contains("repeat('x', 4096) FROM generate_series(1, 7)"));
  CHECK_THAT(sql, Contains("SET STORAGE EXTERNAL"));
  CHECK_THAT(sql, Contains("LOGIN PASSWORD 'it''s'"));
}

TEST_CASE("pgbouncer: transaction pooling, SCRAM with PostgreSQL's secret, TLS verify-full and pinned") {
  const DbSettings s = settings(LinkKind::tls, LinkKind::tls);
  const ProgramConfig pc = pgbouncer_config(s, endpoint(LinkKind::tls, 16432, pgbouncer_private_dir(s), "db-proxy"),
                                            endpoint(LinkKind::tls, 15432, postgres_socket_dir(s), "database"),
                                            "SCRAM-SHA-256$4096:c2FsdA==$a:b");
  const std::string ini = file_ending(pc, "db-proxy-pgbouncer.ini").text;
  CHECK_THAT(ini, Contains("hopcost = host=127.0.0.1 port=15432 dbname=hopcost"));
  CHECK_THAT(ini, Contains("listen_addr = 127.0.0.1\nlisten_port = 16432"));
  CHECK_THAT(ini, Contains("pool_mode = transaction") && Contains("auth_type = scram-sha-256"));
  CHECK_THAT(ini, Contains("client_tls_sslmode = require") && Contains("client_tls_protocols = tlsv1.3"));
  CHECK_THAT(ini, Contains("server_tls_sslmode = verify-full") && Contains("server_tls_protocols = tlsv1.3") &&
                      Contains("server_tls_ca_file = /run/x/db-proxy-pgbouncer.private/ca.crt"));
  CHECK_THAT(file_ending(pc, "userlist.txt").text, Contains("\"app\" \"SCRAM-SHA-256$4096:c2FsdA==$a:b\""));
  CHECK(file_ending(pc, "userlist.txt").secret);
  REQUIRE(pc.processes.size() == 1);
  CHECK(pc.processes[0].run_as == "hopcost-db");
  REQUIRE(pc.ready_check);
  CHECK(pc.ready_check->expect == "1000");

  // Unix sockets on both links: no TCP listener, the server by its socket's directory.
  const DbSettings u = settings(LinkKind::uds, LinkKind::uds);
  const ProgramConfig pu = pgbouncer_config(u, endpoint(LinkKind::uds, 6432, pgbouncer_private_dir(u), "db-proxy"),
                                            endpoint(LinkKind::uds, 5432, postgres_socket_dir(u), "database"), "SCRAM-SHA-256$x");
  const std::string ini_u = file_ending(pu, "db-proxy-pgbouncer.ini").text;
  CHECK_THAT(ini_u, Contains("hopcost = host=/run/x/database-postgres.private port=5432"));
  CHECK_THAT(ini_u, Contains("listen_addr = \n") && Contains("unix_socket_dir = /run/x/db-proxy-pgbouncer.private"));
  CHECK_THAT(ini_u, Contains("client_tls_sslmode = disable") && Contains("server_tls_sslmode = disable"));
}

TEST_CASE("database sockets: in the private directories, or each in a private directory of its own under a short root") {
  // A run directory as `hopcost run` gives it (OUT/programs/<variant>/database): too long
  // for the sockets in the private directories under it ...
  DbSettings s = settings(LinkKind::uds, LinkKind::uds);
  s.run_dir = "/work/results/20261201T000000Z-default/programs/tls-everywhere-1-hop-TLS-1.3-keepalive-inproc-db-pgbouncer-uds/database";
  CHECK(db_socket_path_length(s) > kMaxSocketPath);
  CHECK_THROWS_WITH(check_db_settings(s), Contains("run directory's path is too long") && Contains(s.run_dir));
  // ... so they go under a short root, the rest staying under the run.
  s.socket_root = "/tmp/hopcost-AbC123";
  CHECK(db_socket_path_length(s) == std::string("/tmp/hopcost-AbC123/db-proxy-pgbouncer.sockets/.s.PGSQL.65535").size());
  CHECK_NOTHROW(check_db_settings(s));
  CHECK(postgres_socket_dir(s) == "/tmp/hopcost-AbC123/database-postgres.sockets");
  CHECK(pgbouncer_socket_dir(s) == "/tmp/hopcost-AbC123/db-proxy-pgbouncer.sockets");
  const ProgramConfig pg = postgres_config(s, endpoint(LinkKind::uds, 5432, postgres_socket_dir(s), "database"));
  CHECK(pg.private_dirs == std::vector<std::string>{postgres_private_dir(s), postgres_socket_dir(s)});
  CHECK(postgres_private_dir(s) == s.run_dir + "/database-postgres.private");
  CHECK_THAT(file_ending(pg, "database-postgresql.conf").text,
             Contains("unix_socket_directories = '/tmp/hopcost-AbC123/database-postgres.sockets'") &&
                 Contains("-D " + s.run_dir + "/database-postgres.private/data"));
  CHECK(pg.sockets == std::vector<std::string>{"/tmp/hopcost-AbC123/database-postgres.sockets/.s.PGSQL.5432"});
  const ProgramConfig pb = pgbouncer_config(s, endpoint(LinkKind::uds, 6432, pgbouncer_socket_dir(s), "db-proxy"),
                                            endpoint(LinkKind::uds, 5432, postgres_socket_dir(s), "database"), "SCRAM-SHA-256$x");
  CHECK(pb.private_dirs == std::vector<std::string>{pgbouncer_private_dir(s), pgbouncer_socket_dir(s)});
  CHECK_THAT(file_ending(pb, "db-proxy-pgbouncer.ini").text,
             Contains("host=/tmp/hopcost-AbC123/database-postgres.sockets port=5432") &&
                 Contains("unix_socket_dir = /tmp/hopcost-AbC123/db-proxy-pgbouncer.sockets"));
  // PgBouncer on TCP has no socket, and no sockets' directory.
  s.link = LinkKind::tcp;
  const ProgramConfig pt = pgbouncer_config(s, endpoint(LinkKind::tcp, 16432, pgbouncer_socket_dir(s), "db-proxy"),
                                            endpoint(LinkKind::uds, 5432, postgres_socket_dir(s), "database"), "SCRAM-SHA-256$x");
  CHECK(pt.private_dirs == std::vector<std::string>{pgbouncer_private_dir(s)});
  // A root too long itself is refused, naming it.
  s.socket_root = "/" + std::string(100, 's');
  CHECK_THROWS_WITH(check_db_settings(s), Contains("sockets' directory's path is too long") && Contains(s.socket_root));
}

TEST_CASE("libpq connection strings: verify-full by name over TCP, a socket by its directory") {
  CHECK(libpq_conninfo({LinkKind::tls, 5000, "/s", "database"}, "hopcost", "app", "/ca.pem", "/p") ==
        "host=database hostaddr=127.0.0.1 port=5000 sslmode=verify-full sslrootcert=/ca.pem dbname=hopcost user=app passfile=/p");
  CHECK(libpq_conninfo({LinkKind::tcp, 5000, "/s", "database"}, "hopcost", "app", "/ca.pem") ==
        "host=127.0.0.1 port=5000 sslmode=disable dbname=hopcost user=app");
  CHECK(libpq_conninfo({LinkKind::uds, 5432, "/a dir", "database"}, "hopcost", "app", "") ==
        "host='/a dir' port=5432 dbname=hopcost user=app");
  CHECK(pgbouncer_protocols({TlsVersion::v1_3, TlsVersion::v1_2}) == "tlsv1.2,tlsv1.3");
  CHECK(pgbouncer_protocols({TlsVersion::v1_2}) == "tlsv1.2");
}
