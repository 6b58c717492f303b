#include "node/relay.hpp"

#include <fmt/format.h>

#include "http/message_buffer.hpp"

namespace hopcost {

Relay::Relay(std::string name, const LinkEnds& upstream) : Node(std::move(name), Role::relay), upstream_(upstream) {}

asio::awaitable<void> Relay::upstream_failed(Stream& downstream, ErrorKind kind, const std::string& reason) {
  stats().add_error(kind, reason);
  const std::string body = fmt::format("{}: {}\n", name(), reason);
  const std::string head =
      fmt::format("HTTP/1.1 502 Bad Gateway\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.size());
  const std::string_view pieces[] = {head, body};
  co_await downstream.write(pieces);
}

asio::awaitable<void> Relay::serve(std::unique_ptr<Stream> down) {
  std::unique_ptr<Stream> up;
  MessageBuffer from_down, from_up;
  while (true) {
    HttpHead request;
    auto r = co_await from_down.read_head(*down, MessageType::request, request);
    if (r.outcome == ReadOutcome::closed) break;
    if (r.outcome != ReadOutcome::ok) {
      stats().add_error(ErrorKind::read, r.outcome == ReadOutcome::bad ? "bad request: " + r.detail : r.ec.message());
      break;
    }
    const bool close_after = request.close;
    const auto head_in = std::chrono::steady_clock::now();
    char id[32];  // the request id, kept: the view into the buffer does not outlive forward()
    const size_t id_len = request.request_id.copy(id, sizeof id);
    // Reasons are built before the co_await that takes them: GCC 12 can destroy a
    // temporary made inside a co_await expression twice (see docs/architecture.md).
    std::string reason;
    if (!up) {
      auto [ec, stream] = co_await connect_end(upstream_, stats());
      if (ec) {
        reason = "upstream connect: " + ec.message();
        co_await upstream_failed(*down, ErrorKind::connect, reason);
        break;
      }
      if ((ec = co_await stream->handshake())) {
        reason = "upstream handshake: " + ec.message();
        co_await upstream_failed(*down, ErrorKind::handshake, reason);
        break;
      }
      up = std::move(stream);
    }
    if (auto f = co_await from_down.forward(*down, *up, request); f.ec) {
      reason = (f.write_failed ? "upstream write: " : "request body: ") + f.ec.message();
      if (f.write_failed)
        co_await upstream_failed(*down, ErrorKind::write, reason);
      else
        stats().add_error(ErrorKind::read, reason);
      break;
    }
    HttpHead response;
    r = co_await from_up.read_head(*up, MessageType::response, response);
    if (r.outcome != ReadOutcome::ok) {
      reason = "upstream response: " + (r.outcome == ReadOutcome::bad ? r.detail : r.ec.message());
      co_await upstream_failed(*down, ErrorKind::read, reason);
      break;
    }
    std::chrono::steady_clock::time_point last_out;
    if (auto f = co_await from_up.forward(*up, *down, response, &last_out); f.ec) {
      stats().add_error(f.write_failed ? ErrorKind::write : ErrorKind::read, "response: " + f.ec.message());
      break;
    }
    stats().add_message();
    record_residence(std::string_view(id, id_len), head_in, last_out);
    if (close_after || response.close) break;
  }
  if (up) co_await up->shutdown();
  co_await down->shutdown();
}

}  // namespace hopcost
