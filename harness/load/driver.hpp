// The load driver. It runs on the calling thread, which is the chain's client node.
//
// Closed loop (no rate): `connections` connections, each sending its next request as
// soon as the previous response has arrived (wrk's model). Latency runs from the moment
// the request starts to the last byte of its response.
//
// Open loop (a rate): each connection sends on the schedule of load/pacer.hpp, and
// latency runs from the request's intended send time, which corrects for coordinated
// omission; the latency from the actual send is kept beside it. When the chain cannot
// keep up, requests go out late (and their latency shows it) and the run still ends on
// time: nothing is sent after the duration, so the achieved rate falls short of the
// requested one, and the report says so.
//
// With --conn new a request starts with the connect, so latency includes connecting
// and the handshake of the first link: that is the cost the article talks about.
//
// The measured interval opens at a barrier after warm-up and closes at one after its
// duration (load/window.hpp): no request begun before it is counted in it, and the
// nodes' snapshots are taken at the barriers, when nothing is in flight. With
// keep-alive, warm-up extends until every connection is established. A request counts
// if it started inside the interval; no request starts after it closes, and those in
// flight are awaited (each bounded by the timeout). Failed requests are counted by
// kind, never as latency.
//
// Interval figures (`interval`, for a soak): every period of wall time from the start,
// warm-up included, the driver hands `on_interval` the latency of the requests that
// ended in it and its errors by kind, then starts afresh: one more histogram, reset each
// period, so a run of any length costs the same memory. The last period is cut short
// when the run ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "load/conn_policy.hpp"
#include "metrics/attribution.hpp"
#include "metrics/errors.hpp"
#include "metrics/histogram.hpp"
#include "net/link.hpp"
#include "node/stats.hpp"

namespace hopcost {

// One period of `LoadSettings::interval`: requests that ended in it, whatever phase.
struct IntervalFigures {
  int index = 0;                         // 1, 2, …
  std::chrono::nanoseconds end{0};       // since the driver started
  std::chrono::nanoseconds length{0};    // the period's (the last may be shorter)
  // Where the window stood when the period ended: "warmup" (opening included), "measured",
  // or "ended" (closing, closed, or failed to open).
  std::string_view phase;
  int established = 0;                   // keep-alive: connections open and carrying requests
  uint64_t requests = 0;                 // successful ones
  const Histogram* latency_ns = nullptr; // their latency (open loop: from the intended send)
  ErrorCounts errors;                    // failed ones, by kind
};

struct LoadSettings {
  ConnPolicy conn = ConnPolicy::keepalive;
  int connections = 16;
  std::chrono::nanoseconds warmup{0};
  std::chrono::nanoseconds duration{std::chrono::seconds(1)};
  std::chrono::nanoseconds timeout{std::chrono::seconds(5)};
  uint64_t request_bytes = 0;  // request body; 0 sends a GET
  std::optional<double> rate;  // requests per second over all connections: open loop
  uint64_t requests = 0;       // measured requests to make; the interval ends with them (0: --duration)
  // Keep-alive: how much longer warm-up may last for every connection to be established;
  // past it the run fails (RunError), saying how long setup took.
  std::chrono::nanoseconds setup_limit{std::chrono::seconds(60)};
  std::function<void(const std::string&)> notice;  // progress worth telling the user (warm-up extended)
  std::chrono::nanoseconds interval{0};            // period of on_interval (0: none)
  std::function<void(const IntervalFigures&)> on_interval{};
  // Each measured request's (id, latency), for hopcost run's attribution. A long run that
  // has no use for them (hopcost load) leaves them out: 16 bytes a request otherwise.
  bool keep_samples = true;
};

// Run on the driver's thread at the window's edges, when nothing is in flight: where
// the nodes are snapshotted.
struct WindowEdges {
  std::function<void()> opened, closed;
};

struct LoadResult {
  Histogram latency_ns;               // successful measured requests (open loop: from the intended send)
  Histogram uncorrected_ns;           // open loop: the same requests, from the actual send
  uint64_t requests = 0;              // successful measured requests
  ErrorCounts errors;                 // failed measured requests, by kind
  std::chrono::nanoseconds measured{0};  // window start to the last measured completion (the nodes' CPU window)
  // What throughput divides by: the time requests were being sent and answered, from the
  // window start to the end of the duration or, if later, to the last *successful*
  // completion. A request that times out after the end does not stretch it.
  std::chrono::nanoseconds rate_window{0};
  std::vector<ResidenceSample> samples;  // (request id, latency) of each successful measured request
  std::chrono::nanoseconds warmup_extension{0};  // how much longer than asked warm-up lasted
  std::optional<int> established_at_open;        // keep-alive: connections established when the window opened
};

// Drives the chain whose first link is `entry`. `client` collects the client node's
// counters (handshakes, bytes, errors with their first detail). Throws RunError if the
// window could not open (keep-alive connections not established within setup_limit).
LoadResult run_closed_loop(const LinkEnds& entry, const LoadSettings& settings, NodeStats& client,
                           const WindowEdges& edges);

}  // namespace hopcost
