#include "load/pacer.hpp"

#include <cmath>

#include "util/check.hpp"

namespace hopcost {

Pacer::Pacer(TimePoint start, double rate_per_s, int connections, int index) {
  HOPCOST_CHECK(rate_per_s > 0 && connections > 0 && index >= 0 && index < connections);
  const double interval_ns = 1e9 * connections / rate_per_s;
  interval_ = std::chrono::nanoseconds(std::llround(interval_ns));
  first_ = start + std::chrono::nanoseconds(std::llround(interval_ns * index / connections));
}

Pacer::TimePoint Pacer::intended(uint64_t k) const { return first_ + interval_ * static_cast<int64_t>(k); }

}  // namespace hopcost
