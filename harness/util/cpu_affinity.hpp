// CPU affinity, in one place: which CPUs this process may use, and pinning a thread (for
// a scope, or for good). Everything that pins (the CPU policy, nodes, floors, benchmarks)
// goes through here.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <optional>
#include <vector>

namespace hopcost {

// The CPUs this process may run on.
std::vector<int> allowed_cpus();

// Pins `thread` to `cpu`; false if the kernel refuses. The one place affinity is set.
bool pin_thread(pthread_t thread, int cpu);
// Pins the calling thread (or, for a whole process, its main thread before any other
// starts) to `cpu`; false if the kernel refuses.
bool pin_this_thread(int cpu);

// For a scope: keeps the calling thread's CPUs, pins it to `cpu` if given, and gives it
// back its CPUs at the end of the scope.
class ScopedCpuPin {
 public:
  explicit ScopedCpuPin(std::optional<int> cpu = std::nullopt);
  ~ScopedCpuPin();
  ScopedCpuPin(const ScopedCpuPin&) = delete;
  ScopedCpuPin& operator=(const ScopedCpuPin&) = delete;

 private:
  cpu_set_t saved_{};
  bool restore_ = false;
};

}  // namespace hopcost
