// What a link end counts, as net/ sees it: the side of the node it is on, what a TLS
// handshake negotiated, and the counters a stream adds to. The node's statistics
// (node/stats.hpp) implement the interface, so that net/ does not include node/.
#pragma once

#include <cstdint>
#include <string>

namespace hopcost {

enum class TlsSide { client, server };

// What one TLS handshake settled on, read back from the session.
struct Negotiated {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"
  std::string group;    // "X25519"
  bool operator==(const Negotiated&) const = default;
};

class StatsSink {
 public:
  // A completed TLS handshake: thread CPU inside its SSL_do_handshake calls, and the
  // transport bytes read and written during it.
  virtual void add_handshake(TlsSide side, uint64_t cpu_ns, uint64_t bytes) = 0;
  virtual void add_wire(TlsSide side, uint64_t n) = 0;        // transport bytes
  virtual void add_app(TlsSide side, uint64_t n) = 0;         // plaintext bytes
  virtual void add_record_cpu(TlsSide side, uint64_t ns) = 0;  // inside SSL_read/SSL_write
  virtual void note_negotiated(const Negotiated& n) = 0;

 protected:
  ~StatsSink() = default;
};

}  // namespace hopcost
