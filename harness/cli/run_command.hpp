// `hopcost run`: options bound from the scenario key table, and the run itself.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hopcost {

struct RunCommand {
  CLI::App* app = nullptr;
  std::string scenario_file;
  // Scenario key -> the values given on the command line: one per occurrence for list
  // keys, the last one for the others. Keys not given are absent.
  std::map<std::string, std::vector<std::string>, std::less<>> values;
  bool quiet = false;
  bool no_floors = false;
  // --gate: gate the report just written (docs/gate.md).
  std::string gate, baseline, junit, markdown;
  std::vector<std::string> argv;  // the whole command line, to run it again under callgrind
};

void register_run_command(CLI::App& parent, RunCommand& command);

// Runs it; returns the exit code. Throws ConfigError (exit 2) or RunError (exit 3).
int execute_run_command(const RunCommand& command);

}  // namespace hopcost
