// `hopcost load --target URL`: hopcost's load driver against a chain it did not build
// (standalone nodes, or a real proxy), like wrk. For cross-checks (docs/cross-check.md)
// and the soak (scripts/soak, docs/soak.md), which reads its --interval lines.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hopcost {

struct LoadCommand {
  CLI::App* app = nullptr;
  std::string target, ca, server_name, tls = "both";
  std::map<std::string, std::string, std::less<>> values;  // scenario keys given as flags
  bool json = false;
  std::string interval;  // --interval SECONDS: one JSON line of figures per period (empty: none)
};

void register_load_command(CLI::App& parent, LoadCommand& command);
int execute_load_command(const LoadCommand& command);  // throws ConfigError

}  // namespace hopcost
