// `hopcost floor [--full] [--out DIR] [--cpus same|cross|both]`: the crypto and loopback
// floors of this machine (harness/floor), as a table and as floor.json.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace hopcost {

struct FloorCommand {
  CLI::App* app = nullptr;
  bool full = false;
  std::string out = ".";
  std::string cpus = "same";
  std::string scenario;  // also the handshake floors of every TLS configuration this scenario uses
};

void register_floor_command(CLI::App& parent, FloorCommand& command);
int execute_floor_command(const FloorCommand& command);  // throws ConfigError, RunError

}  // namespace hopcost
