// Helpers for tests that run hopcost's binary and real tools.
#pragma once

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "util/child_process.hpp"

namespace hopcost::test {

struct CommandResult {
  int code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command to completion.
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CommandResult run_hopcost(const std::string& args) { return run_command(std::string(HOPCOST_BINARY) + " " + args); }

struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hopcost-test-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()));
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  std::filesystem::path path;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A standalone hopcost node, started and ready (it has printed the address it bound).
struct Node {
  std::unique_ptr<ChildProcess> process;
  std::string url;
};

inline Node start_node(const std::vector<std::string>& args) {
  Node n;
  n.process = std::make_unique<ChildProcess>(HOPCOST_BINARY, args);
  const auto line = n.process->read_line(std::chrono::seconds(10));
  INFO("node " << args.front() << " did not start");
  REQUIRE(line);
  REQUIRE(line->rfind("listening on ", 0) == 0);
  n.url = line->substr(13);
  return n;
}

// "tls://127.0.0.1:1234" -> "127.0.0.1:1234"
inline std::string host_port(const std::string& url) { return url.substr(url.find("://") + 3); }

// The children of process `pid` (Linux: /proc/PID/task/PID/children).
inline std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child;
  while (in >> child) out.push_back(child);
  return out;
}

// How many sockets process `pid` holds open.
inline size_t socket_count(pid_t pid) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    const auto target = std::filesystem::read_symlink(fd.path(), ec);
    if (!ec && target.string().rfind("socket:", 0) == 0) ++n;
  }
  return n;
}

inline bool alive(pid_t pid) {
  // A zombie still has a /proc entry: read its state.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// A process's command line, its NULs as spaces.
inline std::string proc_cmdline(pid_t pid) {
  std::string s = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

// Live processes (zombies left out), other than this one, whose executable's path contains
// `exe` (any, if empty) and whose command line, working directory or open files mention
// `dir`. A program's workers may rename themselves (Nginx's "nginx: worker process",
// PostgreSQL's backends), but their working directory or their logs stay under `dir`.
inline std::vector<pid_t> processes_under(const std::string& dir, const std::string& exe = "") {
  namespace fs = std::filesystem;
  auto mentions_dir = [&](const std::string& s) { return s.find(dir) != std::string::npos; };
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string d = e.path().filename().string();
    if (d.empty() || !std::all_of(d.begin(), d.end(), ::isdigit)) continue;
    const pid_t pid = std::stoi(d);
    if (pid == ::getpid() || !alive(pid)) continue;
    std::error_code ec2;
    if (!exe.empty() && fs::read_symlink(e.path() / "exe", ec2).string().find(exe) == std::string::npos) continue;
    bool mentions = mentions_dir(proc_cmdline(pid)) || mentions_dir(fs::read_symlink(e.path() / "cwd", ec2).string());
    if (!mentions)
      for (const auto& fd : fs::directory_iterator(e.path() / "fd", ec2))
        if (std::error_code ec3; mentions_dir(fs::read_symlink(fd.path(), ec3).string())) {
          mentions = true;
          break;
        }
    if (mentions && alive(pid)) out.push_back(pid);
  }
  return out;
}

// "PID COMMAND LINE; " for each, for a failure's message.
inline std::string describe(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids) s += std::to_string(p) + " " + proc_cmdline(p) + "; ";
  return s;
}

// Waits, bounded, until `done()` holds; polls every 10 ms.
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace hopcost::test
