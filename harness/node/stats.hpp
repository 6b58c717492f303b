// Per-node counters. Each node's counters are written by the node's own thread and read,
// as snapshots, by the thread that runs the measurement; the difference of two snapshots
// is what a node did inside the measured interval.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/errors.hpp"

namespace hopcost {

enum class TlsSide { client, server };

// What one TLS handshake settled on, read back from the session.
struct Negotiated {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"
  std::string group;    // "X25519"
  bool operator==(const Negotiated&) const = default;
};

struct NodeCounters {
  uint64_t handshakes_server = 0;      // completed handshakes where this node was the server
  uint64_t handshakes_client = 0;      // ... the client
  uint64_t handshake_cpu_ns_server = 0;  // thread CPU inside the handshake calls
  uint64_t handshake_cpu_ns_client = 0;
  uint64_t messages = 0;               // requests served (origin) or relayed (relay)
  uint64_t bytes_read = 0;             // transport bytes, TLS records included
  uint64_t bytes_written = 0;
  ErrorCounts errors;

  NodeCounters operator-(const NodeCounters& earlier) const;
  uint64_t handshakes() const { return handshakes_server + handshakes_client; }
  uint64_t handshake_cpu_ns() const { return handshake_cpu_ns_server + handshake_cpu_ns_client; }
};

class NodeStats {
 public:
  void add_handshake(TlsSide side, uint64_t cpu_ns) {
    auto& n = side == TlsSide::server ? handshakes_server_ : handshakes_client_;
    auto& c = side == TlsSide::server ? handshake_cpu_ns_server_ : handshake_cpu_ns_client_;
    n.fetch_add(1, std::memory_order_relaxed);
    c.fetch_add(cpu_ns, std::memory_order_relaxed);
  }
  void add_message() { messages_.fetch_add(1, std::memory_order_relaxed); }
  void add_read(uint64_t n) { bytes_read_.fetch_add(n, std::memory_order_relaxed); }
  void add_written(uint64_t n) { bytes_written_.fetch_add(n, std::memory_order_relaxed); }
  // Counts one error; the first detail of each kind is kept to explain the count.
  void add_error(ErrorKind kind, std::string_view detail);

  // Keeps the first server-side negotiation seen (every handshake of a node's link is
  // configured alike, so the first speaks for all).
  void note_negotiated(const Negotiated& n);

  NodeCounters snapshot() const;
  std::optional<Negotiated> negotiated() const;
  std::string first_error(ErrorKind kind) const;

 private:
  std::atomic<uint64_t> handshakes_server_{0}, handshakes_client_{0};
  std::atomic<uint64_t> handshake_cpu_ns_server_{0}, handshake_cpu_ns_client_{0};
  std::atomic<uint64_t> messages_{0}, bytes_read_{0}, bytes_written_{0};
  std::array<std::atomic<uint64_t>, kErrorKinds> errors_{};

  std::atomic<bool> has_negotiated_{false};
  mutable std::mutex mutex_;  // guards the strings below; taken once per kind, not per request
  std::optional<Negotiated> negotiated_;
  std::array<std::string, kErrorKinds> first_error_;
};

}  // namespace hopcost
