// Tier 2 and run failures. A ConfigError is bad input, rejected once at the edge with a
// message naming the flag or the file, line and key; `main` maps it to exit code 2.
// A RunError means the run itself could not be carried out (exit code 3). Failures of
// single requests are neither: they are counted (metrics/errors.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace hopcost {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum ExitCode : int { kExitOk = 0, kExitGateFailed = 1, kExitBadInput = 2, kExitRunFailed = 3 };

}  // namespace hopcost
