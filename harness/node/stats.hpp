// Per-node counters. Each node's counters are written by the node's own thread and read,
// as snapshots, by the thread that runs the measurement; the difference of two snapshots
// is what a node did inside the measured interval.
//
// A node has two sides: the server end of its downstream link (where it accepts) and
// the client end of its upstream link (where it connects). Counting them apart is what
// lets a report speak of each link: link i is the client side of node i (the client
// for link 0) and the server side of node i + 1.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/errors.hpp"
#include "node/guard.hpp"
#include "net/stats_sink.hpp"  // TlsSide, Negotiated, and the interface streams count through

namespace hopcost {

struct SideCounters {
  uint64_t handshakes = 0;        // completed TLS handshakes
  uint64_t handshake_cpu_ns = 0;  // thread CPU inside their SSL_do_handshake calls
  uint64_t handshake_bytes = 0;   // transport bytes read + written during them
  uint64_t wire_bytes = 0;        // transport bytes read + written, TLS records included
  uint64_t app_bytes = 0;         // plaintext bytes read + written (the HTTP messages)
  uint64_t record_cpu_ns = 0;     // thread CPU inside SSL_read/SSL_write (estimated: tls_stream.cpp)
  uint64_t handshake_errors = 0;  // failed TLS handshakes on this side (also in the node's errors)
  // Of the handshakes: those that resumed a session, and their CPU and bytes (a full
  // handshake's are the totals minus these).
  uint64_t resumed = 0, resumed_cpu_ns = 0, resumed_bytes = 0;
  uint64_t sessions_offered = 0;  // client side: handshakes that offered a session (resumed or refused)
  // Client side: 0-RTT attempts whose early data the server accepted, or rejected (the
  // data was then sent again after the handshake: not an error). Server side: accepted.
  uint64_t early_accepted = 0, early_rejected = 0;

  SideCounters operator-(const SideCounters& earlier) const;
  bool operator==(const SideCounters&) const = default;
};

struct NodeCounters {
  SideCounters server;        // its downstream link
  SideCounters client;        // its upstream link
  uint64_t messages = 0;      // requests served (origin) or relayed, response included (relay)
  ErrorCounts errors;
  uint64_t exhausted = 0;     // of the errors: for want of file descriptors or memory
  // Relays (node/relay.hpp): upstream connections opened (connected and handshaken),
  // requests whose exchange went over a pooled connection that had carried one before,
  // requests retried on a new connection after a reused one was found closed, and the
  // most connections the pool held at once (idle and in use; 0 with `1:1`). The peak is
  // a level, not a count: a difference keeps the later snapshot's.
  uint64_t upstream_opened = 0;
  uint64_t upstream_reuses = 0;
  uint64_t upstream_retries = 0;
  uint64_t upstream_pool_peak = 0;
  // What the node answered itself instead of a 200, and the timeouts that fired
  // (node/guard.hpp); each refusal and each timeout but `idle` is also among the errors.
  GuardCounts guard{};

  NodeCounters operator-(const NodeCounters& earlier) const;
  const SideCounters& side(TlsSide s) const { return s == TlsSide::server ? server : client; }
  uint64_t handshakes() const { return server.handshakes + client.handshakes; }
  uint64_t handshake_cpu_ns() const { return server.handshake_cpu_ns + client.handshake_cpu_ns; }
  uint64_t record_cpu_ns() const { return server.record_cpu_ns + client.record_cpu_ns; }
  uint64_t wire_bytes() const { return server.wire_bytes + client.wire_bytes; }
};

class NodeStats final : public StatsSink {
 public:
  void add_handshake(TlsSide side, const HandshakeDone& h) override {
    auto& s = at(side);
    s.handshakes.fetch_add(1, kRelaxed);
    s.handshake_cpu_ns.fetch_add(h.cpu_ns, kRelaxed);
    s.handshake_bytes.fetch_add(h.bytes, kRelaxed);
    if (h.resumed) {
      s.resumed.fetch_add(1, kRelaxed);
      s.resumed_cpu_ns.fetch_add(h.cpu_ns, kRelaxed);
      s.resumed_bytes.fetch_add(h.bytes, kRelaxed);
    }
    if (h.offered) s.sessions_offered.fetch_add(1, kRelaxed);
    if (h.early == EarlyData::accepted) s.early_accepted.fetch_add(1, kRelaxed);
    if (h.early == EarlyData::rejected) s.early_rejected.fetch_add(1, kRelaxed);
  }
  void add_wire(TlsSide side, uint64_t n) override { at(side).wire_bytes.fetch_add(n, kRelaxed); }
  void add_app(TlsSide side, uint64_t n) override { at(side).app_bytes.fetch_add(n, kRelaxed); }
  void add_record_cpu(TlsSide side, uint64_t ns) override { at(side).record_cpu_ns.fetch_add(ns, kRelaxed); }
  void add_message() { messages_.fetch_add(1, kRelaxed); }
  void add_upstream_opened() { upstream_opened_.fetch_add(1, kRelaxed); }
  void add_upstream_reuse() { upstream_reuses_.fetch_add(1, kRelaxed); }
  void add_upstream_retry() { upstream_retries_.fetch_add(1, kRelaxed); }
  // Raises the pool's peak to `size` if it is higher (one writer: the relay's thread).
  void note_upstream_pool_size(uint64_t size) {
    if (size > upstream_pool_peak_.load(kRelaxed)) upstream_pool_peak_.store(size, kRelaxed);
  }
  // Counts one error; the first detail of each kind is kept to explain the count. An
  // error for want of file descriptors or memory (EMFILE, ENFILE, ENOMEM, ENOBUFS, by
  // their text) is also counted as `exhausted`, with its first detail.
  void add_error(ErrorKind kind, std::string_view detail);
  // A failed TLS handshake on `side`: an error of kind handshake, and its side's count,
  // so that the report can say on which link it happened.
  void add_handshake_failure(TlsSide side, std::string_view detail) {
    at(side).handshake_errors.fetch_add(1, kRelaxed);
    add_error(ErrorKind::handshake, detail);
  }

  // A response the node gave instead of serving or passing on the request.
  void add_refusal(Refusal r) { refused_[static_cast<int>(r)].fetch_add(1, kRelaxed); }
  // A timeout that fired after `seconds`: counted, and but for `idle` an error of kind
  // timeout (an idle keep-alive connection closed is no failure).
  void add_timeout(Timeout t, double seconds);

  // Keeps the first negotiation seen on each side (every handshake of a node's link is
  // configured alike, so the first speaks for all).
  void note_negotiated(TlsSide side, const Negotiated& n) override;

  NodeCounters snapshot() const;
  std::optional<Negotiated> negotiated(TlsSide side = TlsSide::server) const;
  std::string first_error(ErrorKind kind) const;
  std::string first_exhausted() const;

 private:
  static constexpr auto kRelaxed = std::memory_order_relaxed;
  struct AtomicSide {
    std::atomic<uint64_t> handshakes{0}, handshake_cpu_ns{0}, handshake_bytes{0}, wire_bytes{0}, app_bytes{0},
        record_cpu_ns{0}, handshake_errors{0}, resumed{0}, resumed_cpu_ns{0}, resumed_bytes{0}, sessions_offered{0},
        early_accepted{0}, early_rejected{0};
    SideCounters load() const;
  };
  AtomicSide& at(TlsSide side) { return side == TlsSide::server ? server_ : client_; }

  AtomicSide server_, client_;
  std::atomic<uint64_t> messages_{0};
  std::array<std::atomic<uint64_t>, kErrorKinds> errors_{};
  std::atomic<uint64_t> exhausted_{0};
  std::atomic<uint64_t> upstream_opened_{0}, upstream_reuses_{0}, upstream_retries_{0}, upstream_pool_peak_{0};
  std::array<std::atomic<uint64_t>, kRefusals> refused_{};
  std::array<std::atomic<uint64_t>, kTimeouts> timeouts_{};

  std::array<std::atomic<bool>, 2> has_negotiated_{};
  mutable std::mutex mutex_;  // guards the strings below; taken once per kind, not per request
  std::array<std::optional<Negotiated>, 2> negotiated_;  // by side: server, client
  std::array<std::string, kErrorKinds> first_error_;
  std::string first_exhausted_;
};

// Whether an error's text says the system ran out of file descriptors or memory.
bool is_exhaustion(std::string_view detail);

}  // namespace hopcost
