#include "node/relay.hpp"

#include <fmt/format.h>

#include "http/head.hpp"
#include "http/message_buffer.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

// Appends to `pieces` the message `head` (start line through the blank line, and then
// whatever follows it, unread) without its `Connection` header lines, as views into
// `head`. Returns whether any was dropped; if none was, `pieces` is `head` alone.
bool without_connection(std::string_view head, std::vector<std::string_view>& pieces) {
  size_t kept_from = 0;
  bool dropped = false;
  size_t pos = head.find("\r\n");
  if (pos == std::string_view::npos) {
    pieces.push_back(head);
    return false;
  }
  pos += 2;
  while (pos < head.size()) {
    const size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos || eol == pos) break;  // the blank line
    const std::string_view line = head.substr(pos, eol - pos);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), "connection")) {
      if (pos > kept_from) pieces.push_back(head.substr(kept_from, pos - kept_from));
      kept_from = eol + 2;
      dropped = true;
    }
    pos = eol + 2;
  }
  pieces.push_back(head.substr(kept_from));
  return dropped;
}

// A connection borrowed from the pool for one exchange: discarded (not given back) if
// the exchange ends any other way than through give_back.
struct Borrowed {
  UpstreamPool& pool;
  std::unique_ptr<UpstreamConnection> c;
  ~Borrowed() {
    if (c) pool.discard(std::move(c));
  }
};

}  // namespace

Relay::Relay(std::string name, const LinkEnds& upstream, UpstreamPolicy policy)
    : Node(std::move(name), Role::relay), upstream_(upstream), policy_(policy) {
  if (policy_ == UpstreamPolicy::pool) pool_ = std::make_unique<UpstreamPool>(io());
}

asio::awaitable<void> Relay::upstream_failed(Stream& downstream, ErrorKind kind, const std::string& reason) {
  // A relay's upstream failures happen on its client side. Timeouts were counted where
  // they fired (the watchdog, or open_upstream's connect).
  if (kind == ErrorKind::handshake)
    stats().add_handshake_failure(TlsSide::client, reason);
  else if (kind != ErrorKind::timeout)
    stats().add_error(kind, reason);
  co_await refuse(downstream, kind == ErrorKind::timeout ? Refusal::gateway_timeout : Refusal::bad_gateway, reason);
}

asio::awaitable<void> Relay::serve(std::unique_ptr<Stream> down) {
  if (pool_)
    co_await serve_pooled(std::move(down));
  else
    co_await serve_one_to_one(std::move(down));
}

asio::awaitable<std::unique_ptr<Stream>> Relay::open_upstream(Watch& watch, ErrorKind& kind, std::string& reason) {
  std::unique_ptr<Stream> none;
  // The watchdog closes the socket of a connect past its timeout.
  Socket* connecting = nullptr;
  watch.arm(Timeout::upstream_connect, &connecting);
  auto [ec, stream] = co_await connect_end(upstream_, stats(), &connecting);
  watch.disarm();
  if (watch.fired()) {
    kind = ErrorKind::timeout;
    reason = fmt::format("upstream connect: no connection within {:g} s",
                         std::chrono::duration<double>(limits().connect_timeout).count());
    co_return std::move(none);
  }
  if (ec) {
    kind = ErrorKind::connect;
    reason = "upstream connect: " + ec.message();
    co_return std::move(none);
  }
  watch.arm(Timeout::upstream_handshake, *stream);
  ec = co_await stream->handshake();
  watch.disarm();
  if (ec) {
    kind = watch.fired() ? ErrorKind::timeout : ErrorKind::handshake;
    reason = watch.fired() ? fmt::format("upstream handshake: not done within {:g} s",
                                         std::chrono::duration<double>(limits().handshake_timeout).count())
                           : "upstream handshake: " + ec.message();
    co_return std::move(none);
  }
  stats().add_upstream_opened();
  co_return std::move(stream);
}

std::string Relay::response_timeout_reason() const {
  return fmt::format("upstream response: not whole within {:g} s",
                     std::chrono::duration<double>(limits().response_timeout).count());
}

asio::awaitable<void> Relay::serve_one_to_one(std::unique_ptr<Stream> down) {
  std::unique_ptr<Stream> up;
  MessageBuffer from_down, from_up;
  Watch down_watch(watchdog()), up_watch(watchdog());
  for (bool first = true;; first = false) {
    HttpHead request;
    await_request(down_watch, *down, from_down, first);
    const auto read = co_await from_down.read_head(*down, MessageType::request, request);  // named: GCC 12
    if (Refused refused; !admit(read, request, down_watch, refused)) {
      if (refused.kind) co_await refuse(*down, *refused.kind, refused.reason);
      break;
    }
    const bool close_after = request.close;
    const auto head_in = std::chrono::steady_clock::now();
    char id[32];  // the request id, kept: the view into the buffer does not outlive forward()
    const size_t id_len = request.request_id.copy(id, sizeof id);
    // Reasons are built before the co_await that takes them: GCC 12 can destroy a
    // temporary made inside a co_await expression twice (see docs/architecture.md).
    std::string reason;
    down_watch.disarm();  // the upstream's connect and handshake have their own timeouts
    if (!up) {
      ErrorKind kind = ErrorKind::connect;
      up = co_await open_upstream(up_watch, kind, reason);
      if (!up) {
        co_await upstream_failed(*down, kind, reason);
        break;
      }
    }
    // The rest of the body comes from downstream inside the head timeout; the upstream's
    // response, its reading of the request included, inside the response timeout.
    down_watch.arm(Timeout::head, *down);
    up_watch.arm(Timeout::upstream_response, *up);  // until the response's last byte
    const auto sent = co_await from_down.forward(*down, *up, request);
    down_watch.disarm();
    if (sent.ec) {
      up_watch.disarm();
      const bool late = up_watch.fired().has_value();
      reason = late ? response_timeout_reason()
                    : (sent.write_failed ? "upstream write: " : "request body: ") + sent.ec.message();
      if (late || sent.write_failed)
        co_await upstream_failed(*down, late ? ErrorKind::timeout : ErrorKind::write, reason);
      else if (!down_watch.fired())
        stats().add_error(ErrorKind::read, reason);
      break;
    }
    HttpHead response;
    const auto r = co_await from_up.read_head(*up, MessageType::response, response);
    if (r.outcome != ReadOutcome::ok) {
      up_watch.disarm();
      reason = up_watch.fired() ? response_timeout_reason()
                                : "upstream response: " + (r.outcome == ReadOutcome::bad ? r.detail : r.ec.message());
      co_await upstream_failed(*down, up_watch.fired() ? ErrorKind::timeout : ErrorKind::read, reason);
      break;
    }
    std::chrono::steady_clock::time_point last_out;
    const auto f = co_await from_up.forward(*up, *down, response, &last_out);
    up_watch.disarm();
    if (f.ec) {
      if (!up_watch.fired()) stats().add_error(f.write_failed ? ErrorKind::write : ErrorKind::read, "response: " + f.ec.message());
      break;
    }
    stats().add_message();
    record_residence(std::string_view(id, id_len), head_in, last_out);
    if (close_after || response.close) break;
  }
  if (up) co_await up->shutdown();
  co_await down->shutdown();
}

asio::awaitable<void> Relay::serve_pooled(std::unique_ptr<Stream> down) {
  MessageBuffer from_down;
  std::vector<std::string_view> request_pieces, response_pieces;  // kept for their capacity
  std::string reason;  // built before the co_await that takes it (GCC 12, docs/architecture.md)
  Watch down_watch(watchdog()), up_watch(watchdog());
  for (bool first = true;; first = false) {
    HttpHead request;
    await_request(down_watch, *down, from_down, first);
    const auto read = co_await from_down.read_head(*down, MessageType::request, request);  // named: GCC 12
    if (Refused refused; !admit(read, request, down_watch, refused)) {
      if (refused.kind) co_await refuse(*down, *refused.kind, refused.reason);
      break;
    }
    const bool close_after = request.close;
    const auto head_in = std::chrono::steady_clock::now();
    char id[32];  // the request id, kept: the view into the buffer does not outlive the request
    const size_t id_len = request.request_id.copy(id, sizeof id);

    // What goes upstream: the head without `Connection`, then the body. A request that is
    // here whole is written from the buffer, and can be written again on a new connection.
    const std::string_view here = from_down.buffered_message(request);
    const bool whole = here.size() == request.head_bytes + request.content_length;
    // The scan stops at the head's blank line: the last piece runs on through the body.
    request_pieces.clear();
    const bool stripped = without_connection(whole ? here : here.substr(0, request.head_bytes), request_pieces);

    down_watch.disarm();  // the upstream's connect and handshake have their own timeouts
    Borrowed up{*pool_, pool_->take()};
    bool failed = false;  // counted, and answered with a 502 where the client can be told
    bool reused = false;
    HttpHead response;
    for (int attempt = 0; attempt < 2; ++attempt) {
      reused = up.c != nullptr;
      if (!up.c) {
        ErrorKind kind = ErrorKind::connect;
        auto stream = co_await open_upstream(up_watch, kind, reason);
        if (!stream) {
          co_await upstream_failed(*down, kind, reason);
          failed = true;
          break;
        }
        up.c = std::make_unique<UpstreamConnection>();
        up.c->stream = std::move(stream);
        pool_->opened();
        stats().note_upstream_pool_size(pool_->peak());
      }
      // From when the request goes, its writing included, until the response's last byte.
      up_watch.arm(Timeout::upstream_response, *up.c->stream);
      error_code ec;
      if (whole) {
        ec = co_await up.c->stream->write(request_pieces);
      } else {
        const auto head_pieces = stripped ? std::span<const std::string_view>(request_pieces)
                                          : std::span<const std::string_view>();
        down_watch.arm(Timeout::head, *down);  // the rest of the body, inside the head timeout
        const auto f = co_await from_down.forward(*down, *up.c->stream, request, nullptr, head_pieces);
        down_watch.disarm();
        if (f.ec && !f.write_failed && !up_watch.fired()) {
          reason = "request body: " + f.ec.message();
          if (!down_watch.fired()) stats().add_error(ErrorKind::read, reason);
          failed = true;
          break;
        }
        ec = f.ec;
      }
      if (ec && up_watch.fired()) {
        reason = response_timeout_reason();
        co_await upstream_failed(*down, ErrorKind::timeout, reason);
        failed = true;
        break;
      }
      if (ec) {
        up_watch.disarm();
        if (reused && whole) {  // closed while idle: once more, on a new connection
          pool_->discard(std::move(up.c));
          stats().add_upstream_retry();
          continue;
        }
        reason = "upstream write: " + ec.message();
        co_await upstream_failed(*down, ErrorKind::write, reason);
        failed = true;
        break;
      }
      const auto r = co_await up.c->buffer.read_head(*up.c->stream, MessageType::response, response);
      if (r.outcome == ReadOutcome::ok) break;
      up_watch.disarm();
      if (up_watch.fired()) {
        reason = response_timeout_reason();
        co_await upstream_failed(*down, ErrorKind::timeout, reason);
        failed = true;
        break;
      }
      if (reused && whole && r.outcome != ReadOutcome::bad && up.c->buffer.empty()) {
        // Not a byte of the response came back: the upstream had closed it while idle.
        pool_->discard(std::move(up.c));
        stats().add_upstream_retry();
        continue;
      }
      reason = "upstream response: " + (r.outcome == ReadOutcome::bad ? r.detail : r.ec.message());
      co_await upstream_failed(*down, ErrorKind::read, reason);
      failed = true;
      break;
    }
    if (failed) {
      up_watch.disarm();  // before Borrowed drops the connection it may watch
      break;
    }
    HOPCOST_CHECK(up.c);
    // Counted once the response has come back over the reused connection, before it goes
    // downstream: a client that has its response finds the reuse counted.
    if (reused) stats().add_upstream_reuse();
    if (whole) co_await from_down.discard_body(*down, request);  // all buffered: reads nothing

    // A response that closes its upstream connection leaves the downstream one open.
    response_pieces.clear();
    std::span<const std::string_view> response_head;
    if (response.close && !close_after &&
        without_connection(up.c->buffer.buffered_message(response).substr(0, response.head_bytes), response_pieces))
      response_head = response_pieces;
    std::chrono::steady_clock::time_point last_out;
    const auto f = co_await up.c->buffer.forward(*up.c->stream, *down, response, &last_out, response_head);
    up_watch.disarm();
    if (f.ec) {
      // Borrowed discards the upstream connection: it stands inside a response.
      if (!up_watch.fired()) stats().add_error(f.write_failed ? ErrorKind::write : ErrorKind::read, "response: " + f.ec.message());
      break;
    }
    stats().add_message();
    record_residence(std::string_view(id, id_len), head_in, last_out);
    ++up.c->exchanges;
    if (auto done = pool_->give_back(std::move(up.c), !response.close)) co_await done->stream->shutdown();
    if (close_after) break;
  }
  co_await down->shutdown();
}

}  // namespace hopcost
