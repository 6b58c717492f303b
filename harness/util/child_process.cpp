#include "util/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "util/errors.hpp"

namespace hopcost {

std::string self_executable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw RunError(fmt::format("cannot find this executable: {}", std::strerror(errno)));
  return std::string(buf, static_cast<size_t>(n));
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw RunError(fmt::format("pipe: {}", std::strerror(errno)));
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw RunError(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    ::dup2(fds[1], STDOUT_FILENO);            // dup2 clears O_CLOEXEC on the copy
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_ = fds[0];
}

ChildProcess::~ChildProcess() {
  if (!wait_status_) terminate(std::chrono::seconds(2));
  if (out_ >= 0) ::close(out_);
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (const size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out_ < 0) return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // end of file: the child closed its stdout or exited
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void ChildProcess::signal(int sig) const {
  if (!wait_status_ && pid_ > 0) ::kill(pid_, sig);
}

bool ChildProcess::exited() {
  if (wait_status_) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) wait_status_ = status;
  return wait_status_.has_value();
}

void ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0 || exited()) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!exited() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling a waitpid; bounded by grace
  if (!exited()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) wait_status_ = status;
  }
}

std::optional<int> ChildProcess::exit_code() const {
  if (wait_status_ && WIFEXITED(*wait_status_)) return WEXITSTATUS(*wait_status_);
  return std::nullopt;
}

std::string ChildProcess::status_text() const {
  if (!wait_status_) return "running";
  if (WIFEXITED(*wait_status_)) return fmt::format("exited with status {}", WEXITSTATUS(*wait_status_));
  if (WIFSIGNALED(*wait_status_))
    return fmt::format("killed by signal {} ({})", WTERMSIG(*wait_status_), strsignal(WTERMSIG(*wait_status_)));
  return "stopped";
}

}  // namespace hopcost
