// Tier 3 of the error tiers: a failure during a run is counted by kind, never recorded
// as a latency sample, and the run goes on.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace hopcost {

enum class ErrorKind : int {
  connect,    // the transport connection could not be made
  handshake,  // the TLS handshake failed (bad certificate, wrong name, protocol error)
  read,       // reading failed or the peer closed before a whole message arrived
  write,      // writing failed
  timeout,    // no whole response within --timeout
  status,     // a whole response arrived, but not with status 200 (e.g. a relay's 502)
  query,      // the app's database answered its query (or its login) with an error (--db)
};
inline constexpr int kErrorKinds = 7;
inline constexpr std::array<std::string_view, kErrorKinds> kErrorKindNames{
    "connect", "handshake", "read", "write", "timeout", "status", "query"};

struct ErrorCounts {
  std::array<uint64_t, kErrorKinds> by_kind{};

  uint64_t& operator[](ErrorKind k) { return by_kind[static_cast<int>(k)]; }
  uint64_t operator[](ErrorKind k) const { return by_kind[static_cast<int>(k)]; }
  uint64_t total() const {
    uint64_t t = 0;
    for (auto c : by_kind) t += c;
    return t;
  }
  bool operator==(const ErrorCounts&) const = default;
};

}  // namespace hopcost
