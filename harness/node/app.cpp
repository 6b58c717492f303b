#include "node/app.hpp"

#include <fmt/format.h>

#include "http/message_buffer.hpp"

namespace hopcost {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}

App::App(std::string name, pg::PgTarget target, DbPolicy policy, std::string query, std::chrono::nanoseconds timeout)
    : Node(std::move(name), Role::origin),
      target_(std::move(target)),
      policy_(policy),
      query_(std::move(query)),
      timeout_(timeout) {}

App::~App() { stop(); }

AppCounters App::counters() const {
  return {queries_.load(kRelaxed), connections_.load(kRelaxed), connect_ns_.load(kRelaxed),
          authentication_ns_.load(kRelaxed), query_ns_.load(kRelaxed)};
}

asio::awaitable<std::optional<pg::PgError>> App::run_query(std::string& body) {
  std::unique_ptr<pg::PgConnection> connection;
  if (policy_ == DbPolicy::pooled && !idle_.empty()) {
    connection = std::move(idle_.back());
    idle_.pop_back();
  } else {
    auto opened = co_await pg::connect(target_, stats(), timeout_);  // named: GCC 12
    if (opened.error) co_return opened.error;
    connections_.fetch_add(1, kRelaxed);
    connect_ns_.fetch_add(static_cast<uint64_t>(opened.times.total.count()), kRelaxed);
    authentication_ns_.fetch_add(static_cast<uint64_t>(opened.times.authentication.count()), kRelaxed);
    connection = std::move(opened.connection);
  }
  auto result = co_await connection->query(query_, timeout_);
  query_ns_.fetch_add(static_cast<uint64_t>(result.elapsed.count()), kRelaxed);
  if (!result.error) {
    body.clear();
    body.reserve(result.value_bytes + 2 * result.rows.size());
    for (const auto& row : result.rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i) body += ' ';
        if (row[i]) body += *row[i];
      }
      body += '\n';
    }
    queries_.fetch_add(1, kRelaxed);
  }
  if (policy_ == DbPolicy::pooled && connection->usable()) {
    idle_.push_back(std::move(connection));
  } else {
    co_await connection->close(timeout_);
  }
  co_return result.error;
}

asio::awaitable<void> App::serve(std::unique_ptr<Stream> stream) {
  MessageBuffer in;
  Watch watch(watchdog());
  char head[256];
  std::string body;
  for (bool first = true;; first = false) {
    HttpHead request;
    await_request(watch, *stream, in, first);
    const auto read = co_await in.read_head(*stream, MessageType::request, request);  // named: GCC 12
    if (Refused refused; !admit(read, request, watch, refused)) {
      if (refused.kind) co_await refuse(*stream, *refused.kind, refused.reason);
      break;
    }
    const auto head_in = std::chrono::steady_clock::now();
    bool close = request.close;
    char id[32];  // kept: the view into the buffer does not outlive the body's read
    const std::string_view id_text(id, request.request_id.copy(id, sizeof id));
    if (auto ec = co_await in.discard_body(*stream, request)) {  // still inside the head timeout
      if (!watch.fired()) stats().add_error(ErrorKind::read, ec.message());
      break;
    }
    watch.disarm();  // the query is bounded by the database timeout
    const auto failed = co_await run_query(body);  // named: GCC 12
    std::string_view status = "200 OK";
    if (failed) {
      // The database's own error (an ErrorResponse, with its SQLSTATE: a query's, or a
      // login's) is a query error. A TLS handshake that failed (the server's certificate
      // refused, or TLS refused) is a handshake failure on the app's client side: the
      // database link's, in the report's per_hop. Any other broken connection is counted by
      // how it broke.
      const std::string detail = fmt::format("database {}: {}{}", to_string(failed->phase), failed->detail,
                                             failed->sqlstate.empty() ? "" : " (SQLSTATE " + failed->sqlstate + ")");
      if (!failed->sqlstate.empty())
        stats().add_error(ErrorKind::query, detail);
      else if (failed->kind == ErrorKind::handshake)
        stats().add_handshake_failure(TlsSide::client, detail);
      else
        stats().add_error(failed->kind, detail);
      status = "502 Bad Gateway";
      stats().add_refusal(Refusal::bad_gateway);
      body.clear();
      close = true;
    }
    const std::string_view response[] = {response_head(head, status, body.size(), id_text, close), body};
    const auto last_out = std::chrono::steady_clock::now();  // see Node::record_residence
    if (auto ec = co_await stream->write(response)) {
      stats().add_error(ErrorKind::write, ec.message());
      break;
    }
    stats().add_message();
    if (!failed) record_residence(id_text, head_in, last_out);
    if (close) break;
  }
  co_await stream->shutdown();
}

}  // namespace hopcost
