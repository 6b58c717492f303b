// A PostgreSQL client connection on hopcost's own streams (net/streams.hpp), so that a
// database link's TLS handshake is counted and timed exactly like every other link's
// (docs/database.md, "How hopcost speaks PostgreSQL").
//
//   auto r = co_await pg::connect(target, stats, timeout);  // TLS, startup, SCRAM, ReadyForQuery
//   auto q = co_await r.connection->query("SELECT ...", timeout);
//   co_await r.connection->close(timeout);
//
// Failures are values (PgError), never exceptions: a failed connection or query is
// counted by the caller, by kind (metrics/errors.hpp), and the run goes on. Every wait is
// bounded by the caller's timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/errors.hpp"
#include "net/link.hpp"
#include "pg/protocol.hpp"

namespace hopcost {
class BytePipe;
}

namespace hopcost::pg {

// Where a database is and who connects. `link` is a link's client end as for any other
// link: kind tcp, uds or tls (TLS over TCP, started by an SSLRequest); for tls, its
// client_ctx (the run's CA: make_client_ctx) and server_name, checked against the
// server's certificate as on every link (verify-full); rtt for an emulated network
// (PostgreSQL and PgBouncer are real programs: link.real_server should be true).
struct PgTarget {
  LinkEnds link;
  std::string user, password, database;
};

// Why a link kind cannot reach PostgreSQL 15, or nothing when it can: tls+uds (the
// server answers an SSLRequest on a Unix socket with 'N'). For the edge that validates
// a configuration; connect() refuses such a target with the same text.
std::optional<std::string> link_problem(LinkKind kind);

// Where a failure happened.
enum class PgPhase { connect, tls, startup, query, close };
std::string_view to_string(PgPhase phase);

struct PgError {
  // connect: no transport connection; handshake: TLS failed or the server refused TLS;
  // read/write: I/O failed, the server closed, or its bytes broke the protocol; timeout:
  // not done within the caller's timeout; status: the server answered with an
  // ErrorResponse (sqlstate set: 28P01 a wrong password, 42P01 no such table), or asks
  // for an authentication method other than SCRAM-SHA-256.
  ErrorKind kind = ErrorKind::connect;
  PgPhase phase = PgPhase::connect;
  std::string detail;
  std::string sqlstate;  // the server's SQLSTATE, when it sent an ErrorResponse
};

// Steady-clock intervals of one connect(), and the client thread's CPU for SCRAM.
struct PgConnectTimes {
  std::chrono::nanoseconds transport{0};       // TCP or Unix-socket connect
  std::chrono::nanoseconds tls{0};             // tls: SSLRequest, its answer and the TLS handshake
  std::chrono::nanoseconds authentication{0};  // StartupMessage sent to AuthenticationOk
  std::chrono::nanoseconds total{0};           // connect() called to ReadyForQuery
  // Thread CPU inside the SCRAM computations (nonce, PBKDF2 and proof, server
  // signature check); the TLS handshake's CPU goes to the StatsSink, as on every link.
  uint64_t scram_cpu_ns = 0;
};

class PgConnection;

struct PgConnectResult {
  std::unique_ptr<PgConnection> connection;  // set exactly when error is not
  std::optional<PgError> error;
  PgConnectTimes times;
};

struct PgQueryResult {
  std::optional<PgError> error;              // the first ErrorResponse, or what broke
  std::vector<std::string> columns;          // the last result's column names
  std::vector<std::vector<std::optional<std::string>>> rows;  // text values; NULL empty
  uint64_t value_bytes = 0;                  // the values' bytes, over every row
  std::string tag;                           // the last CommandComplete's ("SELECT 3")
  std::chrono::nanoseconds elapsed{0};       // Query written to ReadyForQuery read
};

// Opens a connection: transport, TLS when the link asks for it (SSLRequest; 'S' starts
// the handshake on the same pipe, 'N' fails: "the server refused TLS"), StartupMessage,
// SCRAM-SHA-256 (any other method fails, naming it), then waits for ReadyForQuery. The
// whole of it is bounded by `timeout`. `stats` outlives the connection.
asio::awaitable<PgConnectResult> connect(const PgTarget& target, StatsSink& stats, std::chrono::nanoseconds timeout);

class PgConnection {
 public:
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // One simple query (it may hold several statements: their rows are all collected),
  // returning once the server is ready for the next. `sql` must stay valid until it
  // returns. An ErrorResponse leaves the connection usable; anything else that fails
  // (I/O, protocol, timeout) aborts it.
  asio::awaitable<PgQueryResult> query(std::string_view sql, std::chrono::nanoseconds timeout);

  // Terminate, then the orderly end of the stream (TLS: close_notify), within `timeout`.
  asio::awaitable<void> close(std::chrono::nanoseconds timeout);

  bool usable() const { return stream_ != nullptr && !broken_; }
  // What the server said in ParameterStatus (server_version, client_encoding, ...).
  const std::map<std::string, std::string>& parameters() const { return parameters_; }
  const BackendKeyData& backend_key() const { return backend_key_; }
  char transaction_status() const { return transaction_status_; }  // 'I', 'T', 'E'
  std::optional<Negotiated> negotiated() const;

 private:
  friend asio::awaitable<PgConnectResult> connect(const PgTarget&, StatsSink&, std::chrono::nanoseconds);
  struct Watch;
  explicit PgConnection(StatsSink& stats, const asio::any_io_executor& ex);

  asio::awaitable<std::optional<PgError>> start(const PgTarget& target, PgConnectTimes& times);
  asio::awaitable<std::optional<PgError>> start_tls(const PgTarget& target, std::unique_ptr<BytePipe> pipe);
  asio::awaitable<std::optional<PgError>> authenticate(const PgTarget& target, PgConnectTimes& times);
  asio::awaitable<std::optional<PgError>> send(std::string_view bytes, PgPhase phase);
  asio::awaitable<std::optional<PgError>> next_message(BackendMessage& out, PgPhase phase);
  asio::awaitable<std::optional<PgError>> run_query(std::string_view sql, PgQueryResult& result);
  void arm(std::chrono::nanoseconds timeout);
  bool disarm();  // whether the timeout fired
  void abort();

  StatsSink& stats_;
  std::unique_ptr<Stream> stream_;
  MessageDecoder decoder_;
  std::map<std::string, std::string> parameters_;
  BackendKeyData backend_key_;
  char transaction_status_ = 'I';
  bool broken_ = false;
  asio::steady_timer timer_;
  std::shared_ptr<Watch> watch_;
  std::unique_ptr<char[]> read_buffer_;
};

}  // namespace hopcost::pg
