#include "topologies/program_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "util/errors.hpp"

namespace hopcost {
namespace {

// The guard's only state: the process group it kills. Written in the guard after fork.
volatile pid_t g_guarded_group = 0;

extern "C" void guard_on_signal(int) {
  if (g_guarded_group > 0) ::kill(-g_guarded_group, SIGKILL);
  ::_exit(0);
}

// After fork, in the child: only async-signal-safe calls.
void close_inherited_fds() { ::syscall(SYS_close_range, 3U, ~0U, 0U); }

void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD, SIGQUIT}) ::signal(sig, SIG_DFL);
}

int open_output(const char* path) {
  return path[0] ? ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644) : ::open("/dev/null", O_WRONLY);
}

std::vector<char*> make_argv(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// After fork, in the child: become `who` (groups first, then gid, then uid: each step needs
// the privilege the next one drops). Only system calls. False if any step fails.
bool become(const RunAs& who) {
  if (::setgroups(who.groups.size(), who.groups.data()) != 0) return false;
  if (::setgid(who.gid) != 0 || ::setuid(who.uid) != 0) return false;
  return ::chdir("/") == 0;  // hopcost's working directory may be closed to it (/root)
}

// After fork, in the child: the parent-death signal, set after any change of credentials
// (which clears it). False if hopcost died before it took effect.
bool die_with(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  return ::getppid() == parent;
}

void child_fail(const char* msg, size_t n, int code) {
  (void)!::write(STDERR_FILENO, msg, n);
  ::_exit(code);
}

std::string describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

}  // namespace

RunAs resolve_user(const std::string& user) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
    throw ConfigError(fmt::format("there is no user {} to run as (scripts/bootstrap creates it)", user));
  RunAs r{user, pw.pw_uid, pw.pw_gid, {}};
  int n = 64;
  r.groups.resize(static_cast<size_t>(n));
  if (::getgrouplist(user.c_str(), pw.pw_gid, r.groups.data(), &n) < 0) {
    r.groups.resize(static_cast<size_t>(n));
    ::getgrouplist(user.c_str(), pw.pw_gid, r.groups.data(), &n);
  }
  r.groups.resize(static_cast<size_t>(std::max(n, 0)));
  return r;
}

ProgramProcess::ProgramProcess(std::string name, const std::string& binary, const std::vector<std::string>& args,
                               const std::string& stdout_path, const std::string& stderr_path, ProcessOptions options)
    : name_(std::move(name)), stderr_path_(stderr_path), stop_signal_(options.stop_signal) {
  // Workers whose master exits before them (Hitch's) are re-parented to the nearest
  // subreaper: hopcost, which reaps them in stop(), rather than an init that may not.
  static const bool subreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  (void)subreaper;
  // Everything the child needs is prepared before fork.
  std::vector<char*> argv = make_argv(binary, args);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw RunError(fmt::format("{}: fork: {}", name_, std::strerror(errno)));
  if (pid_ == 0) {
    ::setpgid(0, 0);
    if (!die_with(parent)) ::_exit(127);  // hopcost died before prctl took effect
    // Its outputs are opened as hopcost's user, before it becomes another.
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = open_output(stdout_path.c_str());
    const int err = open_output(stderr_path.c_str());
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    close_inherited_fds();
    reset_signals();
    if (options.run_as) {
      static const char msg[] = "hopcost: cannot change to the user to run as\n";
      if (!become(*options.run_as)) child_fail(msg, sizeof msg - 1, 125);
      if (!die_with(parent)) ::_exit(127);
    }
    ::execv(binary.c_str(), argv.data());
    const char msg[] = "hopcost: exec failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here, so that the group exists before anyone signals it
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));

  guard_ = ::fork();
  if (guard_ == 0) {
    g_guarded_group = pid_;
    struct sigaction sa {};
    sa.sa_handler = guard_on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    sigset_t only_term;
    sigfillset(&only_term);
    sigdelset(&only_term, SIGTERM);
    ::sigprocmask(SIG_SETMASK, &only_term, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) guard_on_signal(SIGTERM);
    close_inherited_fds();
    while (true) ::pause();
  }
  if (guard_ < 0) guard_ = -1;  // no guard: PR_SET_PDEATHSIG still covers the program itself
}

ProgramProcess::~ProgramProcess() {
  stop(std::chrono::seconds(2));
  if (pidfd_ >= 0) ::close(pidfd_);
}

bool ProgramProcess::exited() {
  if (wait_status_) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) wait_status_ = status;
  return wait_status_.has_value();
}

bool ProgramProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));  // readable when it exits
    } else {
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(5)));  // no pidfd: poll waitpid, bounded
    }
  }
  return true;
}

void ProgramProcess::stop(std::chrono::milliseconds grace) {
  const std::vector<pid_t> workers = descendants_of(pid_ > 0 && !wait_status_ ? pid_ : -1);
  if (pid_ > 0 && !exited()) {
    // The program itself first: a master stops its workers and reaps them (signalled all
    // at once, workers outlive their master as orphans, and this machine's init does not
    // reap them).
    ::kill(pid_, stop_signal_);
    if (!wait_exit(grace)) ::kill(-pid_, SIGKILL);
  }
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);  // workers the program left behind (the group outlives its leader)
    if (!wait_status_) {
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) wait_status_ = status;
    }
  }
  // Orphaned workers are hopcost's children now (or about to be): reap them, bounded.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (pid_t w : workers) {
    while (::waitpid(w, nullptr, WNOHANG) != w && ::access(fmt::format("/proc/{}", w).c_str(), F_OK) == 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // until its master reaped it or it is re-parented here
  }
  if (guard_ > 0) {
    ::kill(guard_, SIGKILL);
    ::waitpid(guard_, nullptr, 0);
    guard_ = -1;
  }
}

std::string ProgramProcess::status_text() const { return wait_status_ ? describe(*wait_status_) : "running"; }

std::string ProgramProcess::stderr_tail(size_t bytes) const {
  std::ifstream in(stderr_path_, std::ios::binary);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  if (text.size() > bytes) text = "…" + text.substr(text.size() - bytes);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::vector<pid_t> ProgramProcess::pids() const {
  if (wait_status_) return {};
  std::vector<pid_t> out{pid_};
  for (pid_t p : descendants_of(pid_)) out.push_back(p);
  return out;
}

std::vector<pid_t> descendants_of(pid_t pid) {
  std::vector<pid_t> out;
  std::vector<pid_t> todo{pid};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    std::error_code ec;
    // A child is listed under the thread that forked it: read every thread's list.
    for (const auto& task : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", p), ec)) {
      std::ifstream in(task.path() / "children");
      pid_t child;
      while (in >> child) {
        out.push_back(child);
        todo.push_back(child);
      }
    }
  }
  return out;
}

std::optional<std::chrono::nanoseconds> process_cpu(pid_t pid) {
  const auto t = process_times(pid);
  if (!t) return std::nullopt;
  return t->self + t->reaped;
}

std::chrono::nanoseconds stable_group_cpu(const std::function<std::vector<pid_t>()>& list) {
  struct Pass {
    std::vector<std::pair<pid_t, std::chrono::nanoseconds>> reaped;  // by pid, in list order
    std::chrono::nanoseconds total{0};
  };
  auto read = [&] {
    Pass p;
    for (pid_t pid : list()) {
      const auto t = process_times(pid);
      if (!t) continue;  // gone meanwhile: the next pass sees the set change
      p.reaped.emplace_back(pid, t->reaped);
      p.total += t->self + t->reaped;
    }
    return p;
  };
  Pass last = read();
  for (int pass = 0; pass < 20; ++pass) {
    Pass next = read();
    // Reaped times only grow: equal in two passes, nothing was reaped from the start of the
    // first to the end of the second, so the second counted every process once.
    if (next.reaped == last.reaped) return next.total;
    last = std::move(next);
  }
  return last.total;
}

std::optional<ProcessTimes> process_times(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> f;
  for (std::string w; rest >> w && f.size() < 15;) f.push_back(w);
  if (f.size() < 15) return std::nullopt;
  // After the command: state is field 3, so field N is f[N - 3]: utime 14, stime 15, cutime 16, cstime 17.
  static const long hz = ::sysconf(_SC_CLK_TCK);
  const auto ns = [](long long ticks) { return std::chrono::nanoseconds(ticks * (1'000'000'000LL / hz)); };
  return ProcessTimes{ns(std::stoll(f[11]) + std::stoll(f[12])), ns(std::stoll(f[13]) + std::stoll(f[14]))};
}

CommandOutput run_to_completion(const std::string& binary, const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout, const std::optional<RunAs>& run_as) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw RunError(fmt::format("pipe: {}", std::strerror(errno)));
  std::vector<char*> argv = make_argv(binary, args);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw RunError(fmt::format("{}: fork: {}", binary, std::strerror(errno)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    if (!die_with(parent)) ::_exit(127);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, STDIN_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    close_inherited_fds();
    reset_signals();
    if (run_as) {
      static const char msg[] = "hopcost: cannot change to the user to run as\n";
      if (!become(*run_as)) child_fail(msg, sizeof msg - 1, 125);
      if (!die_with(parent)) ::_exit(127);
    }
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  CommandOutput r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // end of file: it exited (or closed its outputs)
    r.output.append(buf, static_cast<size_t>(got));
  }
  ::close(fds[0]);
  if (r.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  // Bounded: after end of file it exits at once; after a timeout it was killed.
  if (::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !r.timed_out) r.exit_code = WEXITSTATUS(status);
  return r;
}

std::optional<std::string> find_binary(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream s(path);
    for (std::string d; std::getline(s, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
  for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) dirs.emplace_back(d);
  for (const auto& d : dirs) {
    const std::string candidate = d + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

}  // namespace hopcost
