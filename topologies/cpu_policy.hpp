// Where nodes run on CPUs (--cpu-policy). On small virtual machines waking an idle vCPU
// costs 25–30 µs (FLOORS.md), as much as a TLS record or a loopback round trip, so a
// chain whose nodes sit on different CPUs measures wake-ups as much as TLS. The policy is
// a controlled, recorded setting:
//   spread   the OS places every node's thread (the default; what a real host does)
//   pack     every node, client included, on one CPU: no request waits for a CPU to wake,
//            but the nodes take turns on it
//   pin:L    CPUs from the list L (e.g. pin:0,1) assigned to the nodes round-robin,
//            client first, then relay1 …, then the origin
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/cpu_affinity.hpp"

namespace hopcost {

struct CpuPolicy {
  enum class Kind { spread, pack, pin } kind = Kind::spread;
  std::vector<int> cpus;  // pin: the list

  std::string text() const;  // "spread", "pack", "pin:0,1"
  bool operator==(const CpuPolicy&) const = default;
};

// Throws ConfigError naming what is wrong and what is accepted (CPUs this process may use).
CpuPolicy parse_cpu_policy(std::string_view text);

// The CPU for each of `nodes` nodes, client first; none where the OS decides.
std::vector<std::optional<int>> assign_cpus(const CpuPolicy& policy, size_t nodes);

}  // namespace hopcost
