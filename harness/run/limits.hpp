// Limits checked before anything starts (issue #8): a run that needs more file
// descriptors than the process may open would fail its accepts and connects mid-run
// (EMFILE), and its figures with them. Pure arithmetic, and one check that throws.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace hopcost {

struct FdNeed {
  uint64_t fds = 0;   // file descriptors the busiest process holds at most
  std::string where;  // which process that is: "this process", "each relay process"
};

// What one variant needs at most. A chain holds a socket at each end of every
// connection of every link: with C client connections over L links, 2·C·L sockets, all in
// this process under inproc placement, and 2·C in the busiest node process (a relay)
// under process placement, where this process holds the client's C. Each node adds its
// listener and its event loop (epoll, eventfd, timerfd), and a process some fixed ones.
FdNeed fd_need(const Variant& variant, const Scenario& scenario);

// RLIMIT_NOFILE's soft limit, which main() has raised to the hard limit.
uint64_t open_file_limit();

// Throws ConfigError naming the need, the limit and the flags that set them, if any
// variant of `variants` needs more than `limit` file descriptors.
void check_fd_limit(const std::vector<Variant>& variants, const Scenario& scenario, uint64_t limit);

}  // namespace hopcost
