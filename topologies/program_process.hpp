// A real program as a child process: in its own process group, stdout and stderr into
// files of the run directory, stdin from /dev/null, no file descriptor of hopcost's
// inherited. Nothing outlives hopcost:
//   - the program gets SIGKILL if hopcost dies (PR_SET_PDEATHSIG), as process_chain's
//     children do (util/child_process.hpp);
//   - its own children (Nginx and Hitch workers, varnishd's child) do not inherit that
//     setting, and an Nginx worker outlives a dead master. So a guard process, forked from
//     hopcost without exec, waits with PR_SET_PDEATHSIG = SIGTERM and kills the program's
//     whole process group when hopcost dies, however it dies (SIGKILL included);
//   - the first ProgramProcess makes hopcost a child subreaper (PR_SET_CHILD_SUBREAPER,
//     process-wide): workers whose master exits first (Hitch's) come to hopcost, and
//     stop() reaps them by pid (it never waits for any child it does not know).
// util/child_process.hpp reads a pipe and shares stderr, which suits hopcost's own nodes;
// this one is written beside it rather than changing it under process_chain.
//
// A program that refuses root (PostgreSQL, PgBouncer) runs as another user: the child takes
// that user's groups, gid and uid after fork and before exec (resolved before fork), then
// sets PR_SET_PDEATHSIG, which a change of credentials clears.
//
// Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hopcost {

// A user to run a child as, resolved before fork (nothing after fork may read /etc/passwd).
struct RunAs {
  std::string user{};
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups{};
};
// `user`'s uid, gid and groups; throws ConfigError when there is no such user.
RunAs resolve_user(const std::string& user);

struct ProcessOptions {
  std::optional<RunAs> run_as{};  // none: hopcost's user
  int stop_signal = 15;           // SIGTERM
};

class ProgramProcess {
 public:
  // Starts `binary` (a path) with `args`; throws RunError if it cannot.
  ProgramProcess(std::string name, const std::string& binary, const std::vector<std::string>& args,
                 const std::string& stdout_path, const std::string& stderr_path, ProcessOptions options = {});
  ~ProgramProcess();
  ProgramProcess(const ProgramProcess&) = delete;
  ProgramProcess& operator=(const ProgramProcess&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  // Reaps it if it has exited; true if it has.
  bool exited();
  // Waits up to `timeout` for it to exit (returns early when it does); true if it has.
  bool wait_exit(std::chrono::milliseconds timeout);
  // Its stop signal (SIGTERM unless ProcessOptions says otherwise) to the program (a master
  // stops its own workers); SIGKILL to its process group
  // if it has not exited within `grace`, and to whatever of the group is left once it has;
  // reaps it.
  void stop(std::chrono::milliseconds grace);
  // "exited with status 1", "killed by signal 9 (Killed)", or "running".
  std::string status_text() const;
  // The last `bytes` of its stderr file (for messages).
  std::string stderr_tail(size_t bytes = 1500) const;
  // The program and every descendant alive now (walks /proc/PID/task/TID/children).
  std::vector<pid_t> pids() const;

 private:
  std::string name_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  pid_t guard_ = -1;
  int pidfd_ = -1;
  std::optional<int> wait_status_;
  int stop_signal_ = 15;
};

// The descendants of `pid` (children, grandchildren …), alive now.
std::vector<pid_t> descendants_of(pid_t pid);

// User + system CPU of process `pid` (all its threads), with that of its children it has
// reaped (cutime, cstime): /proc/PID/stat. nullopt once it is gone.
std::optional<std::chrono::nanoseconds> process_cpu(pid_t pid);
// The same, in its two parts: its own (utime + stime) and its reaped children's (cutime + cstime).
struct ProcessTimes {
  std::chrono::nanoseconds self{0};
  std::chrono::nanoseconds reaped{0};
};
std::optional<ProcessTimes> process_times(pid_t pid);

// The CPU of `pids` (each with its reaped children), read so that a process that exits
// meanwhile is counted once. A program that forks a process per connection (PostgreSQL's
// backends) has children exit and be reaped all the time: one read after its parent's would
// be lost, one read before it counted twice (its own times, then in its parent's cutime).
// `list()` gives the processes alive now; they are read until two passes agree on which
// processes there are and on what each has reaped (bounded: 20 passes, then the last).
std::chrono::nanoseconds stable_group_cpu(const std::function<std::vector<pid_t>()>& list);

// Runs a command to completion with stdout and stderr together, bounded by `timeout`
// (killed then). For version strings and configuration checks.
struct CommandOutput {
  std::optional<int> exit_code;  // none: killed or timed out
  std::string output;
  bool timed_out = false;
};
CommandOutput run_to_completion(const std::string& binary, const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout, const std::optional<RunAs>& run_as = std::nullopt);

// The path of `name` on PATH, then in /usr/local/sbin, /usr/sbin and /sbin (where Debian
// puts haproxy, nginx, varnishd and hitch, and which a non-root PATH leaves out); nullopt
// if it is nowhere. A `name` with a '/' is a path: itself if it is executable.
std::optional<std::string> find_binary(const std::string& name);

}  // namespace hopcost
