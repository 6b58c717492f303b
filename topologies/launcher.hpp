// Runs what a launcher generated (program.hpp's ProgramConfig), the same way for every
// program: finds the binaries (a missing one is MissingProgram, exit 2, naming its Debian
// package), writes the configuration into the run directory, has the program check it
// (`haproxy -c`, `nginx -t`, `varnishd -C`, `hitch --test`; stunnel has no check),
// starts every process in the foreground in its own process group (program_process.hpp:
// nothing outlives hopcost), and waits until the node answers a real HTTP request on its
// listening end and that request shows in its access log, bounded in time. A process that
// exits first is reported by name, with its exit status and the tail of its stderr.
//
// Start a LaunchedProgram from a thread that lives as long as it does (the main thread):
// PR_SET_PDEATHSIG fires when the thread that forked the program ends.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "topologies/http_probe.hpp"
#include "topologies/program.hpp"

namespace hopcost {

class ProgramProcess;

struct LaunchOptions {
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds stop_grace{std::chrono::seconds(3)};
  bool check_config = true;  // run the program's own check before starting it
  // Ready once a connection (and its TLS handshake) to the listening end succeeds, without
  // an HTTP answer: for a layer-4 program whose upstream is meant to fail (stunnel closes
  // the client's connection when its upstream's verification fails). Without it, a
  // program with no access log is ready once it closes a probe it accepted without
  // answering, which is what stunnel does when its upstream fails.
  bool ready_when_connected = false;
};

// One process of a running node, for CPU from /proc/PID/stat (every thread is in it).
struct ProgramPid {
  std::string process{};  // "nginx", "hitch" …
  pid_t pid = 0;
  bool helper = false;    // a helper's CPU is the node's, and also shown on its own
};

class LaunchedProgram {
 public:
  // Started and ready; throws MissingProgram, ConfigError (the check failed) or RunError
  // (a process exited, or no answer in time), leaving no process behind.
  LaunchedProgram(ProgramConfig config, ProbeTarget probe, LaunchOptions options = {});
  // The same for a program that is not an HTTP relay: ready once `config.ready_check`
  // passes (required). In order: its private directories are made, its files written, its
  // before_start steps run, its processes started, its readiness checked, its after_ready
  // steps run; a step that fails is a RunError with its command and output.
  LaunchedProgram(ProgramConfig config, LaunchOptions options = {});
  ~LaunchedProgram();
  LaunchedProgram(const LaunchedProgram&) = delete;
  LaunchedProgram& operator=(const LaunchedProgram&) = delete;

  const ProgramConfig& config() const { return config_; }
  // Every process of every part of the node, alive now: masters, workers, helpers.
  std::vector<ProgramPid> pids() const;
  // Their CPU (user + system, threads and reaped children included) now, summed, each
  // process once even while children exit (stable_group_cpu).
  std::chrono::nanoseconds cpu() const;
  // Each process's version line, by process name ("haproxy" -> "HAProxy version 2.6.12 …").
  const std::map<std::string, std::string>& versions() const { return versions_; }
  // Throws RunError naming the first process that has exited, how, and its stderr's tail.
  void check_running();
  // Stops every process, the last started first, then removes the private directories;
  // idempotent.
  void stop();

 private:
  void start(const ProbeTarget* probe);
  [[noreturn]] void process_failed(ProgramProcess& p, std::string_view what);
  void wait_ready(const ProbeTarget& probe, std::chrono::milliseconds timeout);
  void wait_ready_check(const ProgramStep& check, std::chrono::milliseconds timeout);
  void wait_listening(ProgramProcess& p, const std::string& path);

  ProgramConfig config_;
  LaunchOptions options_;
  std::map<std::string, std::string> versions_;
  std::vector<std::unique_ptr<ProgramProcess>> processes_;  // in start order
  std::vector<bool> helper_;
};

// Convenience: generate and launch `kind` for `node`, probing its listening end.
std::unique_ptr<LaunchedProgram> launch_program(ProgramKind kind, const ProgramNode& node, LaunchOptions options = {});

// The steps, each usable alone ---------------------------------------------------------

// The binary's path; throws MissingProgram naming its Debian package.
std::string resolve_binary(const ProgramCommand& command);
// Writes the files and bundles; removes stale sockets (nobody listening). Secret files and
// bundles are made the owner's (ProgramConfig::owner). Throws RunError.
void write_program_files(const ProgramConfig& config);
// Makes the private directories fresh (0700, the owner's). Throws RunError.
void make_private_dirs(const ProgramConfig& config);
// Runs `step` (as its user) to completion; its output. Throws RunError naming the step, its
// command, how it ended and its output's tail when it fails or its output is not `expect`.
std::string run_step(const ProgramStep& step, std::chrono::milliseconds timeout = std::chrono::seconds(60));
// Whether `step` passes now (for readiness checks): its output in `output`.
bool step_passes(const ProgramStep& step, std::chrono::milliseconds timeout, std::string* output = nullptr);
// Runs each process's own check of its files (written first). Throws ConfigError with the
// checker's output.
void check_program_config(const ProgramConfig& config);
// The version line of `command`'s output; throws MissingProgram.
std::string program_version(const ProgramCommand& command);
// What the readiness probe of `node`'s listening end sends and verifies.
ProbeTarget probe_target(const ProgramNode& node);
// A loopback TCP port nobody listens on now, for a program's listening end (programs
// cannot report a port 0 they bound): one below the kernel's ephemeral range, which it
// never hands to a bind of port 0 or an outgoing connection, so that nothing of the run
// takes it before the program binds it. (Were it taken, the program would exit with
// "address in use", reported by name like any early exit.)
uint16_t free_loopback_port();
// The user a program's workers should run as (ProgramNode::user) when hopcost runs as
// `root`: Nginx's as root, so that they reach hopcost's Unix sockets (mode 0755, root's);
// Hitch's as nobody, since Hitch refuses root workers (varnishd's socket for it is mode
// 666). Not root: empty, every process runs as hopcost's user.
std::string worker_user(ProgramKind kind, bool root);

}  // namespace hopcost
