#include "node/guard.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace hopcost {

uint64_t default_max_connections(int fds_per_connection) {
  constexpr uint64_t kReserve = 64;  // listeners, the event loop, logs, a probe, a child's pipes
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1'000'000;
  const uint64_t fds = limit.rlim_cur;
  return std::max<uint64_t>(1, (fds > kReserve ? fds - kReserve : 0) / std::max(1, fds_per_connection));
}

}  // namespace hopcost
