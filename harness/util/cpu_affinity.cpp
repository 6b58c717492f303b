#include "util/cpu_affinity.hpp"

namespace hopcost {

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

bool pin_thread(pthread_t thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(thread, sizeof set, &set) == 0;
}

bool pin_this_thread(int cpu) { return pin_thread(pthread_self(), cpu); }

ScopedCpuPin::ScopedCpuPin(std::optional<int> cpu) {
  restore_ = pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) == 0;
  if (cpu) pin_this_thread(*cpu);
}

ScopedCpuPin::~ScopedCpuPin() {
  if (restore_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
}

}  // namespace hopcost
