#include "node/origin.hpp"

#include "http/message_buffer.hpp"

namespace hopcost {

Origin::Origin(std::string name, uint64_t response_bytes)
    : Node(std::move(name), Role::origin), body_(response_bytes, 'x') {}

asio::awaitable<void> Origin::serve(std::unique_ptr<Stream> stream) {
  MessageBuffer in;
  Watch watch(watchdog());
  char head[256];
  for (bool first = true;; first = false) {
    HttpHead request;
    await_request(watch, *stream, in, first);
    const auto read = co_await in.read_head(*stream, MessageType::request, request);  // named: GCC 12
    if (Refused refused; !admit(read, request, watch, refused)) {
      if (refused.kind) co_await refuse(*stream, *refused.kind, refused.reason);
      break;
    }
    // The id is echoed, and recorded with this node's residence time, so that the
    // timings of one request can be paired across nodes.
    const auto head_in = std::chrono::steady_clock::now();
    const bool close = request.close;
    char id[32];  // kept: the view into the buffer does not outlive the body's read
    const std::string_view id_text(id, request.request_id.copy(id, sizeof id));
    const std::string_view response_head_text = response_head(head, "200 OK", body_.size(), id_text, close);
    if (auto ec = co_await in.discard_body(*stream, request)) {  // still inside the head timeout
      if (!watch.fired()) stats().add_error(ErrorKind::read, ec.message());
      break;
    }
    watch.disarm();
    const std::string_view response[] = {response_head_text, body_};
    const auto last_out = std::chrono::steady_clock::now();  // see Node::record_residence
    if (auto ec = co_await stream->write(response)) {
      stats().add_error(ErrorKind::write, ec.message());
      break;
    }
    stats().add_message();
    record_residence(id_text, head_in, last_out);
    if (close) break;
  }
  co_await stream->shutdown();
}

}  // namespace hopcost
