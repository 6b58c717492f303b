// The client connection (pg/client.hpp): the protocol's messages (pg/protocol.hpp) and
// SCRAM (pg/scram.hpp) over a stream of hopcost's own.
//
// TLS starts as PostgreSQL wants it: on the plain TCP connection the client sends an
// SSLRequest and reads exactly one byte; on 'S' the TLS stream is made on the same byte
// pipe and the handshake runs as on any link (counted and timed by the stream into the
// StatsSink). The one byte is read into a one-byte buffer, so that nothing a
// man-in-the-middle might have sent after it in plaintext is taken as part of the
// protected stream (CVE-2021-23222): it is handed to TLS, which rejects it.
//
// Timeouts: connect() races the whole exchange against a timer (once per connection, as
// the load driver does for new connections); query() and close() arm one timer per
// connection that aborts the stream when it expires, which costs less per query than a
// parallel group (load/driver.cpp, "Watchdog").
#include "pg/client.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "metrics/cpu_clock.hpp"
#include "net/byte_pipe.hpp"
#include "net/streams.hpp"
#include "net/transport.hpp"
#include "pg/scram.hpp"
#include "util/check.hpp"

namespace hopcost::pg {
namespace {

using Clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;

constexpr size_t kReadBuffer = 16 * 1024;

PgError failure(ErrorKind kind, PgPhase phase, std::string detail, std::string sqlstate = {}) {
  return PgError{kind, phase, std::move(detail), std::move(sqlstate)};
}

PgError io_failure(ErrorKind kind, PgPhase phase, const error_code& ec) {
  if (ec == asio::error::eof) return failure(kind, phase, "the server closed the connection");
  return failure(kind, phase, ec.message());
}

PgError protocol_failure(PgPhase phase, std::string what) {
  return failure(ErrorKind::read, phase, "PostgreSQL protocol error: " + what);
}

std::string printable(char type) {
  if (type >= 0x20 && type < 0x7f) return fmt::format("'{}'", type);
  return fmt::format("0x{:02x}", static_cast<unsigned char>(type));
}

long long ms(std::chrono::nanoseconds d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// Where the authentication exchange stands, and the step each server request asks for.
struct AuthState {
  std::optional<ScramClient> scram;
  bool continued = false;  // client-final sent
  bool verified = false;   // the server's signature checked
  bool ok = false;         // AuthenticationOk
  uint64_t cpu_ns = 0;
};

// One Authentication request: what to answer (nothing for some), or why the exchange
// cannot go on.
std::optional<PgError> auth_step(const AuthRequest& a, const PgTarget& target, AuthState& s, std::string& reply) {
  const auto phase = PgPhase::startup;
  switch (static_cast<AuthCode>(a.code)) {
    case AuthCode::ok:
      if (s.scram && !s.verified)
        return failure(ErrorKind::status, phase, "the server ended SCRAM without proving that it knows the password");
      if (!s.scram)
        return failure(ErrorKind::status, phase,
                       "the server let the client in without authentication (trust); hopcost speaks "
                       "SCRAM-SHA-256 only");
      s.ok = true;
      return std::nullopt;
    case AuthCode::sasl: {
      if (s.scram) return protocol_failure(phase, "a second SASL request");
      bool offered = false;
      for (const auto& m : a.mechanisms) offered = offered || m == kScramSha256;
      if (!offered)
        return failure(ErrorKind::status, phase,
                       fmt::format("the server offers SASL {}; hopcost speaks SCRAM-SHA-256 only",
                                   fmt::join(a.mechanisms, ", ")));
      const uint64_t t0 = thread_cpu_ns();
      s.scram.emplace(target.password);
      reply = encode_sasl_initial_response(kScramSha256, s.scram->client_first());
      s.cpu_ns += thread_cpu_ns() - t0;
      return std::nullopt;
    }
    case AuthCode::sasl_continue: {
      if (!s.scram || s.continued) return protocol_failure(phase, "an unexpected SASLContinue");
      std::string error;
      const uint64_t t0 = thread_cpu_ns();
      const auto final = s.scram->client_final(a.data, error);
      s.cpu_ns += thread_cpu_ns() - t0;
      if (!final) return protocol_failure(phase, error);
      s.continued = true;
      reply = encode_sasl_response(*final);
      return std::nullopt;
    }
    case AuthCode::sasl_final: {
      if (!s.continued || s.verified) return protocol_failure(phase, "an unexpected SASLFinal");
      std::string error;
      const uint64_t t0 = thread_cpu_ns();
      const bool good = s.scram->verify_server_final(a.data, error);
      s.cpu_ns += thread_cpu_ns() - t0;
      if (!good) return failure(ErrorKind::status, phase, error);
      s.verified = true;
      return std::nullopt;
    }
    default:
      return failure(ErrorKind::status, phase,
                     fmt::format("the server asks for {}; hopcost speaks SCRAM-SHA-256 only", auth_method_name(a.code)));
  }
}

}  // namespace

std::optional<std::string> link_problem(LinkKind kind) {
  if (kind == LinkKind::tls_uds)
    return std::string(
        "PostgreSQL starts TLS only on a TCP connection (it answers an SSLRequest on a Unix socket with 'N'): "
        "a database link can be tls, tcp or uds, not tls+uds");
  return std::nullopt;
}

std::string_view to_string(PgPhase phase) {
  switch (phase) {
    case PgPhase::connect: return "connect";
    case PgPhase::tls: return "tls";
    case PgPhase::startup: return "startup";
    case PgPhase::query: return "query";
    case PgPhase::close: return "close";
  }
  return "?";
}

struct PgConnection::Watch {
  Stream* stream = nullptr;
  uint64_t generation = 0;  // which arm() the pending wait belongs to
  bool fired = false;
};

PgConnection::PgConnection(StatsSink& stats, const asio::any_io_executor& ex)
    : stats_(stats), timer_(ex), watch_(std::make_shared<Watch>()), read_buffer_(new char[kReadBuffer]) {}

PgConnection::~PgConnection() {
  watch_->stream = nullptr;
  ++watch_->generation;
  if (stream_) stream_->abort();
}

std::optional<Negotiated> PgConnection::negotiated() const {
  return stream_ ? stream_->negotiated() : std::nullopt;
}

void PgConnection::arm(std::chrono::nanoseconds timeout) {
  watch_->stream = stream_.get();
  watch_->fired = false;
  const uint64_t generation = ++watch_->generation;
  timer_.expires_after(timeout);
  timer_.async_wait([w = watch_, generation](error_code ec) {
    if (ec || w->generation != generation || w->stream == nullptr) return;
    w->fired = true;
    w->stream->abort();
  });
}

bool PgConnection::disarm() {
  ++watch_->generation;  // a wait that has already completed, queued, does nothing now
  timer_.cancel();
  const bool fired = watch_->fired;
  watch_->fired = false;
  return fired;
}

void PgConnection::abort() {
  broken_ = true;
  if (stream_) stream_->abort();
}

asio::awaitable<std::optional<PgError>> PgConnection::send(std::string_view bytes, PgPhase phase) {
  std::optional<PgError> err;
  const std::string_view pieces[] = {bytes};
  const error_code ec = co_await stream_->write(pieces);
  if (ec) {
    broken_ = true;
    err = io_failure(ErrorKind::write, phase, ec);
  }
  co_return err;
}

asio::awaitable<std::optional<PgError>> PgConnection::next_message(BackendMessage& out, PgPhase phase) {
  std::optional<PgError> err;
  while (true) {
    const auto status = decoder_.next(out);
    if (status == MessageDecoder::Status::message) co_return err;
    if (status == MessageDecoder::Status::error) {
      broken_ = true;
      err = protocol_failure(phase, decoder_.error());
      co_return err;
    }
    auto [ec, n] = co_await stream_->read_some(std::span<char>(read_buffer_.get(), kReadBuffer));
    if (ec) {
      broken_ = true;
      err = io_failure(ErrorKind::read, phase, ec);
      co_return err;
    }
    decoder_.feed(std::string_view(read_buffer_.get(), n));
  }
}

asio::awaitable<std::optional<PgError>> PgConnection::start(const PgTarget& target, PgConnectTimes& times) {
  std::optional<PgError> err;
  const LinkEnds& link = target.link;
  const auto t0 = Clock::now();
  auto [ec, socket] = co_await connect_to(link.endpoint);
  times.transport = Clock::now() - t0;
  if (ec) {
    err = failure(ErrorKind::connect, PgPhase::connect,
                  fmt::format("cannot connect to {}: {}", link.endpoint.to_string(), ec.message()));
    co_return err;
  }
  // The byte pipe as link.cpp makes it: a delay line only with a round-trip time.
  std::unique_ptr<BytePipe> pipe = link.rtt > std::chrono::nanoseconds::zero()
                                       ? make_delayed_pipe(std::move(socket), link.rtt, true, link.real_server)
                                       : make_socket_pipe(std::move(socket));
  if (traits(link.kind).tls) {
    const auto t1 = Clock::now();
    err = co_await start_tls(target, std::move(pipe));
    times.tls = Clock::now() - t1;
    if (err) co_return err;
  } else {
    stream_ = make_plain_stream(std::move(pipe), TlsSide::client, stats_);
  }
  err = co_await authenticate(target, times);
  co_return err;
}

asio::awaitable<std::optional<PgError>> PgConnection::start_tls(const PgTarget& target,
                                                                std::unique_ptr<BytePipe> pipe) {
  std::optional<PgError> err;
  const std::string request = encode_ssl_request();
  asio::const_buffer buffers[] = {asio::buffer(request)};
  std::span<asio::const_buffer> rest(buffers);
  size_t written = 0;
  error_code ec;
  while (!write_now(*pipe, rest, written, ec)) {
    auto [wec] = co_await pipe->wait_writable();
    if ((ec = wec)) break;
  }
  stats_.add_wire(TlsSide::client, written);
  if (ec) {
    err = io_failure(ErrorKind::write, PgPhase::tls, ec);
    co_return err;
  }
  char answer = 0;
  auto [rec, n] = co_await pipe->read_some(std::span<char>(&answer, 1));
  if (rec) {
    err = io_failure(ErrorKind::read, PgPhase::tls, rec);
    if (rec == asio::error::eof) err->detail = "the server closed the connection after the SSLRequest";
    co_return err;
  }
  stats_.add_wire(TlsSide::client, n);
  if (answer == 'N') {
    err = failure(ErrorKind::handshake, PgPhase::tls, "the server refused TLS (it answered the SSLRequest with 'N')");
    co_return err;
  }
  if (answer != 'S') {
    err = protocol_failure(PgPhase::tls, fmt::format("the answer to the SSLRequest is {}, not 'S' or 'N'",
                                                     printable(answer)));
    co_return err;
  }
  HOPCOST_CHECK(target.link.client_ctx != nullptr);
  stream_ = make_tls_stream(std::move(pipe), target.link.client_ctx, TlsSide::client, target.link.server_name, stats_);
  const error_code hec = co_await stream_->handshake();
  if (hec) {
    broken_ = true;
    err = failure(ErrorKind::handshake, PgPhase::tls, hec.message());
  }
  co_return err;
}

asio::awaitable<std::optional<PgError>> PgConnection::authenticate(const PgTarget& target, PgConnectTimes& times) {
  const auto t0 = Clock::now();
  const std::string startup = encode_startup(target.user, target.database);
  std::optional<PgError> err = co_await send(startup, PgPhase::startup);
  if (err) co_return err;
  AuthState auth;
  BackendMessage m;
  while (true) {
    err = co_await next_message(m, PgPhase::startup);
    if (err) break;
    if (m.type == 'R') {
      const auto request = parse_authentication(m.payload);
      if (!request) {
        err = protocol_failure(PgPhase::startup, "a malformed Authentication message");
        break;
      }
      std::string reply;
      err = auth_step(*request, target, auth, reply);
      if (err) break;
      if (auth.ok) times.authentication = Clock::now() - t0;
      if (!reply.empty()) {
        err = co_await send(reply, PgPhase::startup);
        if (err) break;
      }
    } else if (m.type == 'E') {
      const auto e = parse_server_message(m.payload);
      err = e ? failure(ErrorKind::status, PgPhase::startup, to_string(*e), e->code)
              : protocol_failure(PgPhase::startup, "a malformed ErrorResponse");
      break;
    } else if (m.type == 'S') {
      auto p = parse_parameter_status(m.payload);
      if (!p) {
        err = protocol_failure(PgPhase::startup, "a malformed ParameterStatus");
        break;
      }
      parameters_[p->name] = std::move(p->value);
    } else if (m.type == 'K') {
      const auto k = parse_backend_key_data(m.payload);
      if (!k) {
        err = protocol_failure(PgPhase::startup, "a malformed BackendKeyData");
        break;
      }
      backend_key_ = *k;
    } else if (m.type == 'N') {
      // A notice: nothing to do.
    } else if (m.type == 'Z' && auth.ok) {
      const auto status = parse_ready_for_query(m.payload);
      if (!status) {
        err = protocol_failure(PgPhase::startup, "a malformed ReadyForQuery");
        break;
      }
      transaction_status_ = *status;
      break;
    } else {
      err = protocol_failure(PgPhase::startup, fmt::format("an unexpected message {} during startup", printable(m.type)));
      break;
    }
  }
  times.scram_cpu_ns = auth.cpu_ns;
  if (err) broken_ = true;
  co_return err;
}

asio::awaitable<PgConnectResult> connect(const PgTarget& target, StatsSink& stats, std::chrono::nanoseconds timeout) {
  PgConnectResult result;
  const auto t0 = Clock::now();
  if (auto problem = link_problem(target.link.kind)) {
    result.error = failure(ErrorKind::connect, PgPhase::connect, std::move(*problem));
    co_return result;
  }
  HOPCOST_CHECK(traits(target.link.kind).transport == target.link.endpoint.transport);
  const auto executor = co_await asio::this_coro::executor;
  std::unique_ptr<PgConnection> c(new PgConnection(stats, executor));
  asio::steady_timer timer(executor, timeout);
  // Whichever finishes first wins; the other is cancelled wherever it stands.
  auto started = c->start(target, result.times);
  auto expired = timer.async_wait(nothrow);
  auto outcome = co_await (std::move(started) || std::move(expired));
  result.times.total = Clock::now() - t0;
  if (outcome.index() == 1) {
    c->abort();
    result.error = failure(ErrorKind::timeout, PgPhase::connect,
                           fmt::format("not connected and authenticated within {} ms", ms(timeout)));
  } else if (auto& err = std::get<0>(outcome)) {
    c->abort();
    result.error = std::move(err);
  } else {
    result.connection = std::move(c);
  }
  co_return result;
}

asio::awaitable<std::optional<PgError>> PgConnection::run_query(std::string_view sql, PgQueryResult& result) {
  const std::string message = encode_query(sql);
  std::optional<PgError> err = co_await send(message, PgPhase::query);
  if (err) co_return err;
  std::optional<PgError> server_error;  // the first ErrorResponse: the server then goes on to ReadyForQuery
  BackendMessage m;
  while (true) {
    err = co_await next_message(m, PgPhase::query);
    if (err) co_return err;
    switch (m.type) {
      case 'T': {
        const auto fields = parse_row_description(m.payload);
        if (!fields) {
          err = protocol_failure(PgPhase::query, "a malformed RowDescription");
          break;
        }
        result.columns.clear();
        for (const auto& f : *fields) result.columns.push_back(f.name);
        break;
      }
      case 'D': {
        const auto values = parse_data_row(m.payload);
        if (!values) {
          err = protocol_failure(PgPhase::query, "a malformed DataRow");
          break;
        }
        auto& row = result.rows.emplace_back();
        row.reserve(values->size());
        for (const auto& v : *values) {
          if (v) result.value_bytes += v->size();
          row.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
        }
        break;
      }
      case 'C': {
        auto tag = parse_command_complete(m.payload);
        if (!tag) {
          err = protocol_failure(PgPhase::query, "a malformed CommandComplete");
          break;
        }
        result.tag = std::move(*tag);
        break;
      }
      case 'I': result.tag.clear(); break;  // EmptyQueryResponse
      case 'E': {
        const auto e = parse_server_message(m.payload);
        if (!e) {
          err = protocol_failure(PgPhase::query, "a malformed ErrorResponse");
          break;
        }
        if (!server_error) server_error = failure(ErrorKind::status, PgPhase::query, to_string(*e), e->code);
        break;
      }
      case 'S': {
        auto p = parse_parameter_status(m.payload);
        if (p) parameters_[p->name] = std::move(p->value);
        break;
      }
      case 'N':  // NoticeResponse
      case 'A':  // NotificationResponse
        break;
      case 'Z': {
        const auto status = parse_ready_for_query(m.payload);
        if (!status) {
          err = protocol_failure(PgPhase::query, "a malformed ReadyForQuery");
          break;
        }
        transaction_status_ = *status;
        co_return server_error;
      }
      default:
        // CopyInResponse and the rest of what a simple query may start are not spoken.
        err = protocol_failure(PgPhase::query, fmt::format("an unexpected message {} after a query", printable(m.type)));
        break;
    }
    if (err) {
      broken_ = true;
      co_return err;
    }
  }
}

asio::awaitable<PgQueryResult> PgConnection::query(std::string_view sql, std::chrono::nanoseconds timeout) {
  PgQueryResult result;
  if (!usable()) {
    result.error = failure(ErrorKind::write, PgPhase::query, "the connection is closed");
    co_return result;
  }
  const auto t0 = Clock::now();
  arm(timeout);
  auto err = co_await run_query(sql, result);
  const bool fired = disarm();
  result.elapsed = Clock::now() - t0;
  if (fired) err = failure(ErrorKind::timeout, PgPhase::query, fmt::format("no answer within {} ms", ms(timeout)));
  if (fired || broken_) abort();  // the stream stands somewhere inside a message: unusable
  result.error = std::move(err);
  co_return result;
}

asio::awaitable<void> PgConnection::close(std::chrono::nanoseconds timeout) {
  if (!stream_) co_return;
  if (!broken_) {
    arm(timeout);
    const std::string terminate = encode_terminate();
    const auto err = co_await send(terminate, PgPhase::close);
    if (!err) co_await stream_->shutdown();
    if (disarm() || err) abort();
  } else {
    abort();
  }
  broken_ = true;
  watch_->stream = nullptr;
  stream_.reset();
}

}  // namespace hopcost::pg
