// `hopcost compare A.json B.json [--json] [--markdown FILE] [--html FILE]`: each matched variant's headline
// figures in A and B, their change and a noise-aware verdict (docs/compare.md). Exit code
// 0 whatever changed (compare is not a gate: use `hopcost gate --baseline` for that); bad
// input throws ConfigError (exit code 2).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace hopcost {

struct CompareCommand {
  CLI::App* app = nullptr;
  std::string a, b;
  std::string markdown;  // empty: not written
  std::string html;      // empty: not written
  bool json = false;     // print the comparison as one JSON object instead of the table
};

void register_compare_command(CLI::App& parent, CompareCommand& command);
int execute_compare_command(const CompareCommand& command);  // 0; throws ConfigError

}  // namespace hopcost
