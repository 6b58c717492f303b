// `hopcost pki --out DIR`: a CA and node certificates as PEM files, for standalone
// nodes and real clients.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hopcost {

struct PkiCommand {
  CLI::App* app = nullptr;
  std::string out;
  std::vector<std::string> names{"localhost"};
};

void register_pki_command(CLI::App& parent, PkiCommand& command);
int execute_pki_command(const PkiCommand& command);  // throws ConfigError, RunError

}  // namespace hopcost
