#include "topologies/launcher.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "topologies/program_process.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

constexpr std::chrono::seconds kCommandTimeout{10};
// Long enough for an answer that is an error: HAProxy retries a failed upstream connection
// 3 times, 1 s apart, before its 503.
constexpr std::chrono::milliseconds kProbeTimeout{5000};
constexpr std::chrono::milliseconds kBetweenProbes{10};
constexpr std::chrono::milliseconds kLogWait{300};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RunError(fmt::format("cannot read {}", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_all(const std::string& path, const std::string& text, mode_t mode, const std::optional<RunAs>& owner = {}) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw RunError(fmt::format("cannot write {}", path));
  }
  ::chmod(path.c_str(), mode);
  if (owner && ::chown(path.c_str(), owner->uid, owner->gid) != 0)
    throw RunError(fmt::format("cannot give {} to {}: {}", path, owner->user, std::strerror(errno)));
}

// The owner of a config's private files, when it is not hopcost's user.
std::optional<RunAs> owner_of(const ProgramConfig& config) {
  if (config.owner.empty()) return std::nullopt;
  RunAs r = resolve_user(config.owner);
  if (r.uid == ::geteuid()) return std::nullopt;
  return r;
}

std::optional<RunAs> run_as(const std::string& user) {
  if (user.empty()) return std::nullopt;
  return resolve_user(user);
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// A socket file nobody listens on any more (connect refused) is stale.
void remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool refused = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == ECONNREFUSED;
  ::close(fd);
  if (refused) ::unlink(path.c_str());
}

std::string tail(const std::string& text, size_t bytes) {
  std::string t = text.size() > bytes ? "…" + text.substr(text.size() - bytes) : text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  return t;
}

// Does something accept connections on the Unix socket `path`?
bool accepts(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A listening Unix socket at `path` for as long as it lives, unless something is there.
class PlaceholderSocket {
 public:
  explicit PlaceholderSocket(const std::string& path) : path_(path) {
    struct stat st {};
    sockaddr_un addr{};
    if (::lstat(path.c_str(), &st) == 0 || path.size() >= sizeof addr.sun_path) return;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 1) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~PlaceholderSocket() {
    if (fd_ < 0) return;
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  PlaceholderSocket(PlaceholderSocket&& o) noexcept : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)) {}
  PlaceholderSocket(const PlaceholderSocket&) = delete;
  PlaceholderSocket& operator=(const PlaceholderSocket&) = delete;
  PlaceholderSocket& operator=(PlaceholderSocket&&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

bool log_has(const std::string& path, const std::string& id) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (const AccessRecord r = parse_access_line(line); r.request_id == id) return true;
  return false;
}

}  // namespace

std::string resolve_binary(const ProgramCommand& command) {
  const auto path = find_binary(command.binary);
  if (!path) throw MissingProgram(command.binary, command.package);
  return *path;
}

void write_program_files(const ProgramConfig& config) {
  if (config.run_dir_searchable && !config.files.empty()) {
    const std::string dir = std::filesystem::path(config.files.front().path).parent_path().string();
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) ::chmod(dir.c_str(), (st.st_mode & 07777) | S_IXOTH);
  }
  const std::optional<RunAs> owner = owner_of(config);
  for (const auto& f : config.files) write_all(f.path, f.text, f.secret ? 0600 : 0644, f.secret ? owner : std::nullopt);
  for (const auto& b : config.bundles) {
    std::string text;
    for (const auto& part : b.parts) {
      std::string p = read_all(part);
      if (!p.empty() && p.back() != '\n') p += '\n';
      text += p;
    }
    write_all(b.path, text, 0600, owner);  // it holds a private key
  }
  for (const auto& s : config.sockets) remove_stale_socket(s);
}

void make_private_dirs(const ProgramConfig& config) {
  const std::optional<RunAs> owner = owner_of(config);
  for (const auto& d : config.private_dirs) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);  // an earlier run's, killed before it could remove it
    if (::mkdir(d.c_str(), 0700) != 0) throw RunError(fmt::format("cannot create {}: {}", d, std::strerror(errno)));
    if (owner && ::chown(d.c_str(), owner->uid, owner->gid) != 0)
      throw RunError(fmt::format("cannot give {} to {}: {}", d, owner->user, std::strerror(errno)));
  }
}

bool step_passes(const ProgramStep& step, std::chrono::milliseconds timeout, std::string* output) {
  const std::string binary = resolve_binary(step.command);
  const CommandOutput out = run_to_completion(binary, step.command.args, timeout, run_as(step.run_as));
  if (output) *output = out.timed_out ? out.output + " (timed out)" : out.output;
  return out.exit_code == 0 && (step.expect.empty() || trimmed(out.output) == step.expect);
}

std::string run_step(const ProgramStep& step, std::chrono::milliseconds timeout) {
  std::string output;
  if (step_passes(step, timeout, &output)) return output;
  throw RunError(fmt::format("{} failed ({}{}){}: {}", step.what, step.command.text(),
                             step.run_as.empty() ? "" : ", as " + step.run_as,
                             step.expect.empty() ? "" : fmt::format(", expected '{}'", step.expect),
                             trimmed(output).empty() ? "no output" : tail(trimmed(output), 1500)));
}

void check_program_config(const ProgramConfig& config) {
  write_program_files(config);
  for (const auto& p : config.processes) {
    if (!p.check) continue;
    const std::string binary = resolve_binary(*p.check);
    std::vector<PlaceholderSocket> placeholders;
    for (const auto& path : p.check_needs_sockets) placeholders.emplace_back(path);
    const CommandOutput out = run_to_completion(binary, p.check->args, kCommandTimeout);
    if (out.exit_code == 0) continue;
    throw ConfigError(fmt::format("{} rejects the configuration of node {} ({}{}): {}", p.name, config.node, p.check->text(),
                                  out.timed_out ? ", timed out" : "", tail(out.output, 1500)));
  }
}

std::string program_version(const ProgramCommand& command) {
  const std::string binary = resolve_binary(command);
  const CommandOutput out = run_to_completion(binary, command.args, kCommandTimeout);
  std::string lower_name = command.binary;
  for (char& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::istringstream lines(out.output);
  std::string first;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (first.empty()) first = line;
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find(lower_name) != std::string::npos && lower.find_first_of("0123456789") != std::string::npos) return line;
  }
  return first.empty() ? "unknown" : first;
}

ProbeTarget probe_target(const ProgramNode& node) {
  ProbeTarget t;
  t.endpoint = node.listen.endpoint;
  t.tls = traits(node.listen.kind).tls;
  t.ca = node.listen.ca;
  t.server_name = node.tls_name.empty() ? node.name : node.tls_name;
  if (node.listen.mtls) {
    t.client_cert = node.probe_cert;
    t.client_key = node.probe_key;
  }
  t.request_id_header = node.request_id_header;
  return t;
}

namespace {

// The kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range): the ports it
// hands out to binds of port 0 and to outgoing connections.
int first_ephemeral_port() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 32768;
  in >> lo;
  return lo;
}

bool bindable(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

// A port below the ephemeral range, where neither hopcost's own nodes (they bind port 0)
// nor any outgoing connection (a probe, a relay's upstream) can take it between this
// check and the program's own bind; free now, picked at random so that runs side by side
// rarely try the same one.
uint16_t free_loopback_port() {
  const int first = 10000, last = std::min(first_ephemeral_port() - 1, 65535);
  static std::mt19937 random(std::random_device{}());
  if (last > first) {
    std::uniform_int_distribution<int> pick(first, last);
    for (int attempt = 0; attempt < 200; ++attempt) {
      const auto port = static_cast<uint16_t>(pick(random));
      if (bindable(port)) return port;
    }
  }
  // No room below the range: let the kernel pick one (it may hand it out again before the
  // program binds it, rarely).
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (!ok) throw RunError(fmt::format("cannot find a free loopback port: {}", std::strerror(err)));
  return ntohs(a.sin_port);
}

std::string worker_user(ProgramKind kind, bool root) {
  if (!root) return {};
  switch (kind) {
    case ProgramKind::nginx:
      return "root";
    case ProgramKind::varnish:
      return "nobody";
    case ProgramKind::haproxy:
    case ProgramKind::stunnel:
      break;
  }
  return {};
}

LaunchedProgram::LaunchedProgram(ProgramConfig config, ProbeTarget probe, LaunchOptions options)
    : config_(std::move(config)), options_(options) {
  start(&probe);
}

LaunchedProgram::LaunchedProgram(ProgramConfig config, LaunchOptions options) : config_(std::move(config)), options_(options) {
  HOPCOST_CHECK(config_.ready_check.has_value());
  start(nullptr);
}

void LaunchedProgram::start(const ProbeTarget* probe) {
  std::vector<std::string> binaries;
  std::vector<ProcessOptions> process_options;
  for (const auto& p : config_.processes) {
    binaries.push_back(resolve_binary(p.command));
    versions_[p.name] = program_version(p.version);
    process_options.push_back({run_as(p.run_as), p.stop_signal});
  }
  try {
    make_private_dirs(config_);
    if (options_.check_config) check_program_config(config_);
    else write_program_files(config_);
    const auto step = [this](const ProgramStep& st) {
      try {
        run_step(st);
      } catch (const RunError& e) {
        throw RunError(fmt::format("node {} ({}): {}", config_.node, program_name(config_), e.what()));
      }
    };
    for (const auto& st : config_.before_start) step(st);
    for (size_t i = 0; i < config_.processes.size(); ++i) {
      const ProcessPlan& p = config_.processes[i];
      processes_.push_back(
          std::make_unique<ProgramProcess>(p.name, binaries[i], p.command.args, p.stdout_path, p.stderr_path, process_options[i]));
      helper_.push_back(p.helper);
      if (!p.listens_on.empty()) wait_listening(*processes_.back(), p.listens_on);
    }
    if (probe) wait_ready(*probe, options_.ready_timeout);
    else wait_ready_check(*config_.ready_check, options_.ready_timeout);
    for (const auto& st : config_.after_ready) {
      check_running();
      step(st);
    }
  } catch (...) {
    stop();
    throw;
  }
}

LaunchedProgram::~LaunchedProgram() { stop(); }

void LaunchedProgram::process_failed(ProgramProcess& p, std::string_view what) {
  p.exited();
  const std::string err = p.stderr_tail();
  throw RunError(fmt::format("{} (pid {}) of node {} {}: {}{}", p.name(), p.pid(), config_.node, what, p.status_text(),
                             err.empty() ? "" : "; its stderr ends: " + err));
}

void LaunchedProgram::check_running() {
  for (auto& p : processes_)
    if (p->exited()) process_failed(*p, "exited");
}

void LaunchedProgram::wait_listening(ProgramProcess& p, const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  while (!accepts(path)) {
    if (p.exited()) process_failed(p, "exited before the node was ready");
    if (std::chrono::steady_clock::now() >= deadline) process_failed(p, fmt::format("did not listen on {} in time", path));
    p.wait_exit(kBetweenProbes);  // wakes at once if it exits
  }
}

void LaunchedProgram::wait_ready_check(const ProgramStep& check, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::string last;
  while (true) {
    for (auto& p : processes_)
      if (p->exited()) process_failed(*p, "exited before the node was ready");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (step_passes(check, std::max(left, std::chrono::milliseconds(1)), &last)) return;
    if (Clock::now() >= deadline)
      throw RunError(fmt::format("node {} ({}) not ready within {} ms: the last check ({}) said: {}", config_.node,
                                 program_name(config_), timeout.count(), check.command.text(), tail(trimmed(last), 1500)));
    processes_.front()->wait_exit(kBetweenProbes);  // not a readiness sleep: the next check decides; wakes if it exits
  }
}

void LaunchedProgram::wait_ready(const ProbeTarget& probe, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::string last = "no probe yet";
  for (int attempt = 1;; ++attempt) {
    for (auto& p : processes_)
      if (p->exited()) process_failed(*p, "exited before the node was ready");
    const std::string id = fmt::format("probe-{}", attempt);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const ProbeResult r = probe_http(probe, id, std::min(left, kProbeTimeout));
    if (options_.ready_when_connected && r.connected) return;
    // A program that relays bytes (no access log: stunnel) and closes the connection it
    // accepted (and did the TLS handshake on) without a byte of answer is up: its
    // upstream, which listens before it starts, refused it (a certificate that fails
    // verification). The run's client counts that fault; waiting would only time out.
    if (config_.access_log.path.empty() && r.connected && r.closed_unanswered) return;
    if (r.answered) {
      if (config_.access_log.path.empty()) return;
      // Answered: ready once its access log shows the request (HAProxy writes the line
      // after the response; varnishncsa reads varnishd's log as it can).
      const auto log_deadline = std::min(deadline, Clock::now() + kLogWait);
      while (true) {
        if (log_has(config_.access_log.path, id)) return;
        if (Clock::now() >= log_deadline) break;
        processes_.front()->wait_exit(kBetweenProbes);  // returns early if it exits
      }
      last = fmt::format("answered {} but the access log {} does not show request {}", r.status, config_.access_log.path, id);
    } else if (left >= kProbeTimeout || last == "no probe yet" || r.error.find("timed out") == std::string::npos) {
      // (A probe cut short by the deadline only times out: the error before it says more.)
      last = r.error;
    }
    if (Clock::now() >= deadline)
      throw RunError(fmt::format("node {} ({}) not ready within {} ms: the last probe of {}: {}", config_.node,
                                 program_name(config_), timeout.count(), probe.endpoint.to_string(), last));
    processes_.front()->wait_exit(kBetweenProbes);  // not a readiness sleep: the next probe decides; wakes if it exits
  }
}

std::vector<ProgramPid> LaunchedProgram::pids() const {
  std::vector<ProgramPid> out;
  for (size_t i = 0; i < processes_.size(); ++i)
    for (pid_t pid : processes_[i]->pids()) out.push_back({processes_[i]->name(), pid, helper_[i]});
  return out;
}

std::chrono::nanoseconds LaunchedProgram::cpu() const {
  return stable_group_cpu([this] {
    std::vector<pid_t> out;
    for (const auto& p : pids()) out.push_back(p.pid);
    return out;
  });
}

void LaunchedProgram::stop() {
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) (*it)->stop(options_.stop_grace);
  for (const auto& s : config_.sockets) remove_stale_socket(s);  // HAProxy leaves its Unix socket behind
  for (const auto& d : config_.private_dirs) {
    std::error_code ignored;
    std::filesystem::remove_all(d, ignored);
  }
}

std::unique_ptr<LaunchedProgram> launch_program(ProgramKind kind, const ProgramNode& node, LaunchOptions options) {
  return std::make_unique<LaunchedProgram>(program_config(kind, node), probe_target(node), options);
}

}  // namespace hopcost
