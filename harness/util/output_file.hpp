// Output files named by a flag (--markdown FILE, --html FILE, --junit FILE): checked
// before any work, so that bad input fails first (exit 2), and written whole or not at
// all (write_file_atomically).
#pragma once

#include <string>
#include <string_view>

namespace hopcost {

// Throws ConfigError naming `flag` when `path` is a directory or its directory does not
// exist. An empty path (the flag was not given) passes.
void check_output_file(std::string_view flag, const std::string& path);

// Writes `content` to `path` atomically; throws ConfigError naming `flag` when it cannot.
// An empty path writes nothing.
void write_output_file(std::string_view flag, const std::string& path, std::string_view content);

}  // namespace hopcost
