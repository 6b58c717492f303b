// A child process whose standard output is a pipe read line by line, with every wait
// bounded. The child gets SIGKILL if the thread that started it dies
// (PR_SET_PDEATHSIG), so that children never outlive the run, even when the parent is
// killed with SIGKILL; the destructor terminates it too.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hopcost {

class ChildProcess {
 public:
  // Starts `program` with `args` (argv[1]…); stderr is shared with this process.
  // Throws RunError if it cannot be started.
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of its stdout, without the newline; nullopt on end of file or when
  // `timeout` passes first.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  void signal(int sig) const;
  // Reaps it if it has exited; true if it has.
  bool exited();
  // SIGTERM, then SIGKILL if it has not exited within `grace`; reaps it.
  void terminate(std::chrono::milliseconds grace);
  // "exited with status 2", "killed by signal 9", or "running".
  std::string status_text() const;
  std::optional<int> exit_code() const;  // when it exited normally
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  std::optional<int> wait_status_;
};

// The path of the running executable (/proc/self/exe).
std::string self_executable();

}  // namespace hopcost
