// `hopcost gate REPORT.json --budgets FILE [--baseline BASE.json] [--junit FILE]
// [--markdown FILE]`: checks a report against latency budgets (docs/gate.md). Exit code 0
// when every check passes, 1 when one fails; bad input throws ConfigError (exit code 2).
// `hopcost run --gate` uses gate_report() from gate/gate_report.hpp.
#pragma once

#include <string>

#include "gate/gate_report.hpp"

namespace CLI {
class App;
}

namespace hopcost {

struct GateCommand {
  CLI::App* app = nullptr;
  std::string report;
  std::string budgets;
  std::string baseline;  // empty: none
  std::string junit;     // empty: not written
  std::string markdown;  // empty: not written
};

void register_gate_command(CLI::App& parent, GateCommand& command);
int execute_gate_command(const GateCommand& command);  // 0 or 1; throws ConfigError

}  // namespace hopcost
