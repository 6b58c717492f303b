#include "run/limits.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include "util/errors.hpp"

namespace hopcost {
namespace {

constexpr uint64_t kPerProcess = 32;  // standard streams, the PKI's files, pipes to children, libraries
constexpr uint64_t kPerNode = 4;      // its listener, and its event loop's epoll, eventfd and timerfd

}  // namespace

FdNeed fd_need(const Variant& variant, const Scenario& scenario) {
  const auto c = static_cast<uint64_t>(scenario.connections);
  const auto links = static_cast<uint64_t>(variant.links.size());
  if (variant.placement == Placement::inproc)
    return {2 * c * links + kPerNode * (links + 1) + kPerProcess, "this process (--placement inproc)"};
  // Process placement: this process holds the client's end of link 0 and pipes to every
  // node; a relay both ends of its two links' connections.
  const uint64_t client = c + 3 * links + kPerNode + kPerProcess;
  const uint64_t relay = links > 1 ? 2 * c + kPerNode + kPerProcess : 0;
  return client >= relay ? FdNeed{client, "this process (the client)"} : FdNeed{relay, "each relay process"};
}

uint64_t open_file_limit() {
  rlimit fds{};
  if (getrlimit(RLIMIT_NOFILE, &fds) != 0 || fds.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return fds.rlim_cur;
}

void check_fd_limit(const std::vector<Variant>& variants, const Scenario& scenario, uint64_t limit) {
  const Variant* worst = nullptr;
  FdNeed most;
  for (const auto& v : variants)
    if (const auto need = fd_need(v, scenario); need.fds > most.fds) {
      most = need;
      worst = &v;
    }
  if (!worst || most.fds <= limit) return;
  throw ConfigError(fmt::format(
      "--connections {} over {} links ({}) needs about {} file descriptors in {} (connections x links x 2, plus "
      "listeners and event loops), more than the limit of {} (RLIMIT_NOFILE, hard limit). Lower --connections or "
      "--hops, use --placement process (each node is a process with a limit of its own), or raise the hard limit "
      "(as root: ulimit -Hn N; LimitNOFILE= for a systemd service; nofile in /etc/security/limits.conf)",
      scenario.connections, worst->links.size(), worst->label(), most.fds, most.where, limit));
}

}  // namespace hopcost
