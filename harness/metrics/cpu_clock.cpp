#include "metrics/cpu_clock.hpp"

#include <ctime>

#include "util/check.hpp"

namespace hopcost {
namespace {
uint64_t read_clock(clockid_t id) {
  timespec ts{};
  HOPCOST_CHECK(clock_gettime(id, &ts) == 0);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

uint64_t thread_cpu_ns() { return read_clock(CLOCK_THREAD_CPUTIME_ID); }

ThreadCpuClock ThreadCpuClock::of(pthread_t thread) {
  ThreadCpuClock c;
  c.valid_ = pthread_getcpuclockid(thread, &c.id_) == 0;
  return c;
}

uint64_t ThreadCpuClock::now_ns() const { return valid_ ? read_clock(id_) : 0; }

}  // namespace hopcost
