// A relay: a proxy in the chain (the article's HAProxy, Varnish, Nginx). It reads each
// request's HTTP/1.1 framing, forwards the bytes unchanged to its upstream, and forwards
// the response back. Connection policy `1:1`: one upstream connection for each
// downstream connection, opened when the first request arrives (so with `--conn new`
// every hop makes a new connection, and every TLS hop a full handshake, per request).
//
// When the upstream cannot be reached (connect, handshake, or a failure before any byte
// of the response came back), the relay answers 502 and closes: the error is counted
// here, at the hop where it happened, and the client counts a `status` error.
#pragma once

#include "node/node.hpp"

namespace hopcost {

class Relay final : public Node {
 public:
  // `upstream` must outlive the relay; its endpoint is read when a connection is opened.
  Relay(std::string name, const LinkEnds& upstream);
  ~Relay() override { stop(); }

 private:
  asio::awaitable<void> serve(std::unique_ptr<Stream> downstream) override;
  // Counts a failure on the upstream side here and tells the client with a 502.
  asio::awaitable<void> upstream_failed(Stream& downstream, ErrorKind kind, const std::string& reason);
  const LinkEnds& upstream_;
};

}  // namespace hopcost
