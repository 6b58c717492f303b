// A node's guard against misbehaving peers (docs/standalone-nodes.md, "Timeouts, limits
// and refusals"): its limits, the responses it gives instead of a 200 and the timeouts
// that fire, each counted by kind. Plain data; node/watch.hpp enforces the timeouts.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace hopcost {

// What a node answered itself instead of passing a request on or serving it.
enum class Refusal : int {
  bad_request,        // 400: a head that is not HTTP/1.1, or both Content-Length and Transfer-Encoding
  payload_too_large,  // 413: a Content-Length beyond --max-body
  headers_too_large,  // 431: a head beyond 16 KiB
  not_implemented,    // 501: Transfer-Encoding (bodies must be framed by Content-Length)
  bad_gateway,        // 502: the upstream failed, or answered with what is not HTTP/1.1
  over_capacity,      // 503: --max-connections connections were open already
  gateway_timeout,    // 504: the upstream's response did not come within --response-timeout
};
inline constexpr int kRefusals = 7;
inline constexpr std::array<int, kRefusals> kRefusalStatus{400, 413, 431, 501, 502, 503, 504};
inline constexpr std::array<std::string_view, kRefusals> kRefusalLines{
    "400 Bad Request",        "413 Content Too Large",     "431 Request Header Fields Too Large",
    "501 Not Implemented",    "502 Bad Gateway",           "503 Service Unavailable",
    "504 Gateway Timeout"};

// Which wait a timeout ended.
enum class Timeout : int {
  handshake,           // the TLS handshake of an accepted connection
  head,                // the request (head, then body) after the connection was accepted or its first byte came
  idle,                // a keep-alive connection between requests (not an error: the connection is closed)
  upstream_connect,    // a relay's connect to its upstream
  upstream_handshake,  // a relay's TLS handshake with its upstream
  upstream_response,   // a relay's wait for its upstream's whole response
};
inline constexpr int kTimeouts = 6;
inline constexpr std::array<std::string_view, kTimeouts> kTimeoutNames{
    "handshake", "head", "idle", "upstream_connect", "upstream_handshake", "upstream_response"};

struct GuardCounts {
  std::array<uint64_t, kRefusals> refused{};  // by Refusal
  std::array<uint64_t, kTimeouts> timeouts{};  // by Timeout
  uint64_t& operator[](Refusal r) { return refused[static_cast<int>(r)]; }
  uint64_t& operator[](Timeout t) { return timeouts[static_cast<int>(t)]; }
  uint64_t operator[](Refusal r) const { return refused[static_cast<int>(r)]; }
  uint64_t operator[](Timeout t) const { return timeouts[static_cast<int>(t)]; }
  GuardCounts operator-(const GuardCounts& earlier) const {
    GuardCounts d;
    for (int i = 0; i < kRefusals; ++i) d.refused[i] = refused[i] - earlier.refused[i];
    for (int i = 0; i < kTimeouts; ++i) d.timeouts[i] = timeouts[i] - earlier.timeouts[i];
    return d;
  }
  bool operator==(const GuardCounts&) const = default;
};

// A node's limits. The defaults are HAProxy's and Nginx's order of magnitude, far above
// any wait of a healthy chain, so that a run never meets them (docs/standalone-nodes.md).
struct NodeLimits {
  std::chrono::nanoseconds handshake_timeout = std::chrono::seconds(10);
  std::chrono::nanoseconds head_timeout = std::chrono::seconds(10);
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(75);  // above a relay pool's 60 s
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::nanoseconds response_timeout = std::chrono::seconds(30);
  uint64_t max_body_bytes = 64ull << 20;  // --request-bytes' own maximum
  uint64_t max_connections = 0;           // accepted connections open at once; 0: no cap
  bool operator==(const NodeLimits&) const = default;
};
inline constexpr std::chrono::nanoseconds kMaxNodeTimeout = std::chrono::hours(1);

// The cap a standalone node takes without --max-connections: what its file-descriptor
// limit (RLIMIT_NOFILE, soft) leaves after a reserve of 64 descriptors, divided by the
// descriptors each connection holds (a relay's two: downstream and upstream).
uint64_t default_max_connections(int fds_per_connection);

}  // namespace hopcost
