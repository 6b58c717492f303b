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

// What became of a 0-RTT attempt (the client sent its first write as early data).
enum class EarlyData { none, accepted, rejected };

// One completed TLS handshake, as its end saw it.
struct HandshakeDone {
  uint64_t cpu_ns = 0;      // thread CPU inside the library's handshake work (tls_stream.cpp)
  uint64_t bytes = 0;       // transport bytes read and written during it
  bool resumed = false;     // an abbreviated handshake: a session was resumed
  bool offered = false;     // clients: a session was offered (resumed or not)
  EarlyData early = EarlyData::none;
};

class StatsSink {
 public:
  virtual void add_handshake(TlsSide side, const HandshakeDone& h) = 0;
  virtual void add_wire(TlsSide side, uint64_t n) = 0;        // transport bytes
  virtual void add_app(TlsSide side, uint64_t n) = 0;         // plaintext bytes
  virtual void add_record_cpu(TlsSide side, uint64_t ns) = 0;  // inside SSL_read/SSL_write
  virtual void note_negotiated(TlsSide side, const Negotiated& n) = 0;

 protected:
  ~StatsSink() = default;
};

}  // namespace hopcost
