// The round-trip floor of a chain on an emulated network (issue #9): the latency an
// infinitely fast chain would have at its links' round-trip times, counted per link:
//   - the request and its response: 1 rtt;
//   - when the link's connection is new for the request: the TCP handshake, 1 rtt, and
//     the TLS handshake, 1 rtt for TLS 1.3 and 2 for TLS 1.2 (False Start is off, as is
//     BoringSSL's default: the client waits for the server's Finished before it sends);
//     a resumed handshake 1 rtt in either version, and an accepted 0-RTT none (the
//     request goes with the ClientHello). A link is expected to resume when its client
//     end offers sessions (`resume`, `0rtt`, --upstream-resume on) and its server issues
//     tickets; whether it did is in the report's per-link counts.
// Nginx and Varnish relays at 1:1 open an upstream connection per request, so the link
// behind them is new for every request even with keep-alive clients.
// A link's connection is new for each request when the client's policy is not keepalive and
// every relay before it is `1:1` (a 1:1 relay opens an upstream connection per downstream
// one; a pooling relay reuses them, so behind it only the request's round trip is left).
// Relays connect upstream only when a request has arrived, so the links' round trips add up.
#pragma once

#include <optional>

#include "load/conn_policy.hpp"
#include "topologies/plan.hpp"

namespace hopcost {

// Round trips on link i of `plan` per request, as counted above.
int round_trips(const ChainPlan& plan, ConnPolicy conn, size_t link);

// Σ round_trips × rtt over the links, in µs; none when every link has rtt 0.
std::optional<double> network_floor_us(const ChainPlan& plan, ConnPolicy conn);

}  // namespace hopcost
