// A relay: a proxy in the chain (the article's HAProxy, Varnish, Nginx). It reads each
// request's HTTP/1.1 framing, forwards the bytes to its upstream, and forwards the
// response back. Two upstream policies (node/upstream_policy.hpp):
//
// `1:1`: one upstream connection for each downstream connection, opened when the first
// request arrives and closed with it (so with `--conn new` every hop makes a new
// connection, and every TLS hop a full handshake, per request). Bytes go unchanged.
//
// `pool`: each request borrows a connection from the relay's pool (node/upstream_pool.hpp)
// for one request/response exchange and gives it back after a complete response, unless
// either side said `Connection: close`; downstream and upstream connections live apart.
// `Connection` is hop-by-hop (RFC 9110, 7.6.1), so the relay drops that header from
// the request it sends upstream (a client's `close` is about its own connection), and
// from a response that says `close` when the downstream connection stays open; every
// other byte goes unchanged. A pooled connection that the upstream closed while it was
// idle shows when it is next used: the request's write fails, or the response's first
// read fails before any byte came back. Then the request is sent again, once, on a new
// connection, and counted as a retry, not an error. Only a request that is buffered
// whole can be sent again (every request up to about 32 KiB); a larger one that meets a
// closed pooled connection fails as below.
//
// When the upstream cannot be reached (connect, handshake, or a failure before any byte
// of the response came back, on a new connection), the relay answers 502 and closes the
// downstream connection: the error is counted here, at the hop where it happened, and
// the client counts a `status` error. When it does not answer in time (the connect,
// handshake and response timeouts of node/guard.hpp), the relay answers 504 likewise. A
// failure once the response's head has gone downstream closes the downstream connection
// (the client sees a response cut short, never a hang), and the upstream connection is
// closed, never given back to the pool.
//
// Counters (NodeCounters): upstream connections opened, and with `pool` reuses, retries
// and the pool's peak size.
#pragma once

#include <memory>
#include <vector>

#include "node/node.hpp"
#include "node/upstream_policy.hpp"
#include "node/upstream_pool.hpp"

namespace hopcost {

class Relay final : public Node {
 public:
  // `upstream` must outlive the relay; its endpoint is read when a connection is opened.
  Relay(std::string name, const LinkEnds& upstream, UpstreamPolicy policy = UpstreamPolicy::one_to_one);
  ~Relay() override { stop(); }

  UpstreamPolicy policy() const { return policy_; }

 private:
  asio::awaitable<void> serve(std::unique_ptr<Stream> downstream) override;
  asio::awaitable<void> serve_one_to_one(std::unique_ptr<Stream> downstream);
  asio::awaitable<void> serve_pooled(std::unique_ptr<Stream> downstream);
  // A new upstream connection, connected within the connect timeout and handshaken
  // within the handshake timeout (`watch` watches it); on failure, null with the error
  // kind (timeout for either timeout) and reason set.
  asio::awaitable<std::unique_ptr<Stream>> open_upstream(Watch& watch, ErrorKind& kind, std::string& reason);
  // Counts a failure on the upstream side here (a timeout was counted where it fired) and
  // tells the client: 504 for a timeout, else 502.
  asio::awaitable<void> upstream_failed(Stream& downstream, ErrorKind kind, const std::string& reason);
  std::string response_timeout_reason() const;
  const LinkEnds& upstream_;
  const UpstreamPolicy policy_;
  std::unique_ptr<UpstreamPool> pool_;  // with `pool` only
};

}  // namespace hopcost
