// CPU clocks. On these machines CLOCK_THREAD_CPUTIME_ID is a system call (~0.5 µs a
// read, FLOORS.md), so it is read around handshake calls and at the edges of the
// measured interval, never around every byte.
#pragma once

#include <pthread.h>

#include <cstdint>

namespace hopcost {

// CPU time (user + system) consumed so far by the calling thread, in ns.
uint64_t thread_cpu_ns();

// A handle on another thread's CPU clock, readable from any thread of the process.
class ThreadCpuClock {
 public:
  ThreadCpuClock() = default;
  static ThreadCpuClock of(pthread_t thread);
  static ThreadCpuClock of_this_thread() { return of(pthread_self()); }
  uint64_t now_ns() const;  // 0 if the clock is not set
  bool valid() const { return valid_; }

 private:
  clockid_t id_{};
  bool valid_ = false;
};

}  // namespace hopcost
