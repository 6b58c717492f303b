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
  std::map<std::string, std::vector<std::string>, std::less<>> values;  // scenario key -> flag values
  bool quiet = false;
};

void register_run_command(CLI::App& parent, RunCommand& command);

// Runs it; returns the exit code. Throws ConfigError (exit 2) or RunError (exit 3).
int execute_run_command(const RunCommand& command);

}  // namespace hopcost
