#include "node/origin.hpp"

#include <fmt/format.h>

#include "http/message_buffer.hpp"

namespace hopcost {

Origin::Origin(std::string name, uint64_t response_bytes)
    : Node(std::move(name), Role::origin), body_(response_bytes, 'x') {}

asio::awaitable<void> Origin::serve(std::unique_ptr<Stream> stream) {
  MessageBuffer in;
  char head[256];
  while (true) {
    HttpHead request;
    const auto r = co_await in.read_head(*stream, MessageType::request, request);
    if (r.outcome == ReadOutcome::closed) break;
    if (r.outcome != ReadOutcome::ok) {
      stats().add_error(ErrorKind::read, r.outcome == ReadOutcome::bad ? "bad request: " + r.detail : r.ec.message());
      break;
    }
    // The id is echoed so that every node can pair its timing of the same request. Built
    // before the body is read: the id points into the buffer the body read may reuse.
    const bool close = request.close;
    const auto id = request.request_id.substr(0, 64);
    const auto n = fmt::format_to_n(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{}: {}\r\n{}\r\n",
                                    body_.size(), kRequestIdHeader, id, close ? "Connection: close\r\n" : "")
                       .size;
    if (auto ec = co_await in.discard_body(*stream, request)) {
      stats().add_error(ErrorKind::read, ec.message());
      break;
    }
    const std::string_view response[] = {std::string_view(head, n), body_};
    if (auto ec = co_await stream->write(response)) {
      stats().add_error(ErrorKind::write, ec.message());
      break;
    }
    stats().add_message();
    if (close) break;
  }
  co_await stream->shutdown();
}

}  // namespace hopcost
