// A node killed mid-run, in each placement (issue 14, item 4): the run exits 3,
// report.json names the node (and the program, and how it ended) in its variant's
// failure, and no process of the run outlives it.
//
// What can be killed depends on the placement (topologies/placement.hpp):
// - process: each hopcost node is a process of its own (`hopcost hop`, `hopcost origin`).
//   Each position is killed here (the entry relay, a middle one, the origin) in a
//   tls-everywhere chain, and in a run of two variants the other variant still runs.
// - inproc: hopcost's own nodes are threads of the run. Nothing can kill one alone: a
//   signal kills the run, and that case is process_test.cpp's, real_programs_test.cpp's
//   and database_test.cpp's ("never outlive"). The nodes of an inproc run that are
//   processes are the real programs: the relays (HAProxy, stunnel, Varnish here; Nginx
//   in real_programs_test.cpp) and the database tail's PostgreSQL and PgBouncer. Each is
//   killed mid-run below ([real]: ctest label e2e-real).
// Counts and names, never times.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace hopcost;
using namespace hopcost::test;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// A scratch directory the database's user can enter (PostgreSQL runs as hopcost-db).
struct RunDir : TempDir {
  RunDir() {
    fs::permissions(path, fs::perms::others_exec, fs::perm_options::add);
    fs::create_directories(scratch());
  }
  std::string scratch() const { return (path / "scratch").string(); }
  std::string out() const { return (path / "out").string(); }
};

// `hopcost run ARGS --out DIR/out` as a child, its temporary directories (TMPDIR) under
// DIR/scratch, so that every process of the run mentions DIR (processes_under).
std::unique_ptr<ChildProcess> start_run(const RunDir& dir, const std::string& args) {
  std::vector<std::string> argv{"TMPDIR=" + dir.scratch(), HOPCOST_BINARY};
  std::istringstream in(args + " --out " + dir.out());
  for (std::string a; in >> a;) argv.push_back(a);
  return std::make_unique<ChildProcess>("/usr/bin/env", argv);  // env execs hopcost: the same pid
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  char state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

std::string exe_name(pid_t pid) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).filename().string();
}

// The hopcost node process of `run` named `name` (its --name).
pid_t node_process(pid_t run, const std::string& name) {
  for (pid_t p : children_of(run))
    if (contains(proc_cmdline(p), "--name " + name + " ")) return p;
  return 0;
}

// The run has ended with exit 3 and a report whose one failed variant names `needles`.
// Returns that variant.
json failed_run(ChildProcess& run, const RunDir& dir, const std::vector<std::string>& needles) {
  REQUIRE(eventually([&] { return run.exited(); }, 60s));
  CHECK(run.exit_code() == 3);
  const fs::path report_path = fs::path(dir.out()) / "report.json";
  REQUIRE(fs::exists(report_path));
  const json report = json::parse(read_file(report_path));
  json failed;
  for (const auto& v : report["variants"])
    if (v["failed"].get<bool>()) {
      CHECK(failed.is_null());  // one variant failed, no more
      failed = v;
    }
  REQUIRE(failed.is_object());
  REQUIRE(failed["failure"].is_string());
  const std::string failure = failed["failure"];
  INFO(failure);
  for (const auto& n : needles) CHECK(contains(failure, n));
  return failed;
}

// Nothing of the run is left: no process mentions its directories.
void check_no_orphans(const RunDir& dir, const std::vector<pid_t>& seen) {
  std::vector<pid_t> left;
  const bool gone = eventually([&] { return (left = processes_under(dir.path.string())).empty(); }, 10s);
  INFO("left: " << describe(left));
  CHECK(gone);
  for (pid_t p : seen) CHECK(eventually([&] { return !alive(p); }, 5s));
  for (pid_t p : left) ::kill(p, SIGKILL);  // not to leak them into the other tests
}

}  // namespace

// --- process placement -----------------------------------------------------------------

TEST_CASE("process placement: a node SIGKILLed mid-run, wherever it is, fails the variant by name, exit 3, no node left") {
  for (const std::string victim : {"relay1", "relay2", "origin"}) {
    DYNAMIC_SECTION(victim) {
      RunDir dir;
      auto run = start_run(dir, "run -q --no-floors --placement process --topology tls-everywhere --hops 3 --tls 1.3 "
                                "--conn keepalive --duration 3 --warmup 0 --connections 2");
      std::vector<pid_t> nodes;
      REQUIRE(eventually([&] { return (nodes = children_of(run->pid())).size() == 3; }));
      // Requests flow once relay1 holds the client's 2 connections and its 2 upstream ones
      // besides its listener.
      pid_t relay1 = 0;  // once it has exec'd: before, its command line is the run's
      REQUIRE(eventually([&] { return (relay1 = node_process(run->pid(), "relay1")) != 0; }));
      REQUIRE(eventually([&] { return socket_count(relay1) >= 5; }));
      const pid_t target = node_process(run->pid(), victim);
      REQUIRE(target);
      REQUIRE(::kill(target, SIGKILL) == 0);
      const json v = failed_run(*run, dir, {victim + " (pid " + std::to_string(target) + ")", "killed by signal 9"});
      CHECK_THAT(v["failure"].get<std::string>(), Catch::StartsWith(victim + " "));
      check_no_orphans(dir, nodes);
    }
  }
}

TEST_CASE("process placement: a node killed in one variant fails that one, the next still runs, and the run exits 3") {
  RunDir dir;
  auto run = start_run(dir, "run -q --no-floors --placement process --topology tls-everywhere,terminate-once --hops 3 "
                            "--tls 1.3 --conn keepalive --duration 2 --warmup 0 --connections 2");
  std::vector<pid_t> first;
  REQUIRE(eventually([&] { return (first = children_of(run->pid())).size() == 3; }));
  pid_t relay1 = 0;  // once it has exec'd: before, its command line is the run's
  REQUIRE(eventually([&] { return (relay1 = node_process(run->pid(), "relay1")) != 0; }));
  REQUIRE(eventually([&] { return socket_count(relay1) >= 5; }));
  const pid_t relay2 = node_process(run->pid(), "relay2");
  REQUIRE(relay2);
  REQUIRE(::kill(relay2, SIGKILL) == 0);
  failed_run(*run, dir, {"relay2 (pid " + std::to_string(relay2) + ")", "killed by signal 9"});
  const json report = json::parse(read_file(fs::path(dir.out()) / "report.json"));
  REQUIRE(report["variants"].size() == 2);
  for (const auto& v : report["variants"]) {
    if (v["failed"].get<bool>()) continue;
    INFO(v["topology"]);
    CHECK(v["failure"].is_null());
    CHECK(v["requests"].get<uint64_t>() > 0);
    CHECK(v["errors"]["total"] == 0);
  }
  check_no_orphans(dir, first);
}

// --- inproc placement: real programs ---------------------------------------------------

TEST_CASE("inproc placement: a real relay SIGKILLed mid-run fails its variant naming the program and node, exit 3, "
          "nothing left",
          "[real]") {
  struct Case {
    std::string relay;    // --relay
    std::string program;  // the process killed: the one hopcost started (a master, a manager)
  };
  for (const Case& c : {Case{"haproxy", "haproxy"}, Case{"stunnel", "stunnel"}, Case{"varnish", "varnishd"}}) {
    DYNAMIC_SECTION(c.relay) {
      RunDir dir;
      auto run = start_run(dir, "run -q --no-floors --topology tls-everywhere --hops 2 --tls 1.3 --conn keepalive "
                                "--duration 4 --warmup 0 --connections 2 --relay " + c.relay);
      // Requests flow once the origin (a thread of hopcost) has accepted a connection from
      // the relay: hopcost then holds the client's 2, the origin's listener, and that one.
      REQUIRE(eventually([&] { return run->exited() || socket_count(run->pid()) >= 4; }, 30s));
      REQUIRE_FALSE(run->exited());
      // The program's process that hopcost started: the one whose parent is not the same
      // program (Varnish's manager, not its child).
      std::vector<pid_t> all = processes_under(dir.scratch());
      INFO(describe(all));
      pid_t target = 0;
      for (pid_t p : all)
        if (contains(exe_name(p), c.program) && !contains(exe_name(parent_of(p)), c.program)) target = p;
      REQUIRE(target);
      REQUIRE(::kill(target, SIGKILL) == 0);
      failed_run(*run, dir, {c.program, "(pid " + std::to_string(target) + ")", "of node relay1", "killed by signal 9"});
      check_no_orphans(dir, all);
    }
  }
}

TEST_CASE("inproc placement: PgBouncer or PostgreSQL SIGKILLed mid-run fails the variant naming it, exit 3, nothing left",
          "[real]") {
  for (const std::string program : {"pgbouncer", "postgres"}) {
    DYNAMIC_SECTION(program) {
      RunDir dir;
      auto run = start_run(dir, "run -q --no-floors --topology tls-everywhere --hops 1 --tls 1.3 --conn keepalive "
                                "--db pgbouncer --db-link tls --db-server-link tcp --db-policy pooled "
                                "--duration 6 --warmup 0 --connections 2");
      // PostgreSQL's postmaster (the process hopcost started; its backends are its
      // children) or PgBouncer, once the load runs. (Not at PgBouncer's first login: that
      // is hopcost's readiness check, while the chain is still being built.)
      pid_t target = 0;
      std::vector<pid_t> all;
      REQUIRE(eventually(
          [&] {
            if (run->exited()) return true;
            all = processes_under(dir.path.string());
            pid_t pgbouncer = 0, postmaster = 0;
            for (pid_t p : all) {
              if (exe_name(p) == "pgbouncer") pgbouncer = p;
              if (exe_name(p) == "postgres" && exe_name(parent_of(p)) != "postgres") postmaster = p;
            }
            // hopcost holds the client's 2 connections, the app's listener and the 2 it
            // accepted, and at least one to PgBouncer: requests are being served.
            if (!pgbouncer || !postmaster || socket_count(run->pid()) < 6) return false;
            target = program == "pgbouncer" ? pgbouncer : postmaster;
            return true;
          },
          60s));
      REQUIRE_FALSE(run->exited());
      INFO(describe(all));
      REQUIRE(::kill(target, SIGKILL) == 0);
      failed_run(*run, dir, {program, "(pid " + std::to_string(target) + ")", "killed by signal 9"});
      check_no_orphans(dir, all);
    }
  }
}
