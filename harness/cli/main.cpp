// hopcost: a thin main. Subcommands parse their flags; errors become exit codes here:
// 0 success, 1 a gate or budget failed, 2 bad input, 3 the run itself failed.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/compare_command.hpp"
#include "cli/floor_command.hpp"
#include "cli/gate_command.hpp"
#include "cli/load_command.hpp"
#include "cli/node_command.hpp"
#include "cli/pki_command.hpp"
#include "cli/report_command.hpp"
#include "cli/run_command.hpp"
#include "hopcost_build_info.hpp"
#include "util/errors.hpp"

int main(int argc, char** argv) {
  using namespace hopcost;
  // A chain of N hops in one process holds about 2·N sockets per client connection:
  // take every file descriptor the hard limit allows (Debian's soft default is 1024).
  if (rlimit fds{}; getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
    fds.rlim_cur = fds.rlim_max;
    setrlimit(RLIMIT_NOFILE, &fds);
  }
  CLI::App app{"hopcost measures what TLS costs at each hop of a service chain: TLS on every hop against TLS "
               "terminated once at the edge, or Unix-socket hops behind it.",
               "hopcost"};
  app.set_version_flag("--version", std::string("hopcost ") + HOPCOST_VERSION + " (" + HOPCOST_GIT_REVISION + ")");
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success, 1 a gate or budget failed, 2 bad input, 3 the run itself failed.\n"
             "Run 'hopcost run --help' for the flags of a run.");
  RunCommand run;
  run.argv.assign(argv, argv + argc);
  register_run_command(app, run);
  NodeCommand origin, hop;
  register_node_commands(app, origin, hop);
  PkiCommand pki;
  register_pki_command(app, pki);
  LoadCommand load;
  register_load_command(app, load);
  GateCommand gate;
  register_gate_command(app, gate);
  FloorCommand floor_cmd;
  register_floor_command(app, floor_cmd);
  CompareCommand compare;
  register_compare_command(app, compare);
  ReportCommand report;
  register_report_command(app, report);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  try {
    if (run.app->parsed()) return execute_run_command(run);
    if (origin.app->parsed()) return execute_node_command(origin);
    if (hop.app->parsed()) return execute_node_command(hop);
    if (pki.app->parsed()) return execute_pki_command(pki);
    if (load.app->parsed()) return execute_load_command(load);
    if (gate.app->parsed()) return execute_gate_command(gate);
    if (floor_cmd.app->parsed()) return execute_floor_command(floor_cmd);
    if (compare.app->parsed()) return execute_compare_command(compare);
    if (report.app->parsed()) return execute_report_command(report);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "hopcost: %s\n", e.what());
    return kExitBadInput;
  } catch (const RunError& e) {
    std::fprintf(stderr, "hopcost: run failed: %s\n", e.what());
    return kExitRunFailed;
  }
  return kExitOk;
}
