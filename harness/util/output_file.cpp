#include "util/output_file.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "report/reporter.hpp"
#include "util/errors.hpp"

namespace hopcost {

void check_output_file(std::string_view flag, const std::string& path) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw ConfigError(fmt::format("{}: cannot write '{}': it is a directory", flag, path));
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw ConfigError(fmt::format("{}: cannot write '{}': no directory '{}'", flag, path, parent.string()));
}

void write_output_file(std::string_view flag, const std::string& path, std::string_view content) {
  if (path.empty()) return;
  try {
    write_file_atomically(path, content);
  } catch (const RunError& e) {
    throw ConfigError(fmt::format("{}: {}", flag, e.what()));
  }
}

}  // namespace hopcost
