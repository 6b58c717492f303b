// `hopcost report REPORT.json [--html FILE] [--markdown FILE]`: re-renders a report.json
// (of any schema version the typed reader reads) as HTML or Markdown, or as the console
// table when neither is asked for. Bad input (a missing, truncated or non-hopcost file, a
// schema version this build does not read) throws ConfigError (exit code 2) before
// anything is written.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace hopcost {

struct ReportCommand {
  CLI::App* app = nullptr;
  std::string report;
  std::string html, markdown;  // empty: not written
};

void register_report_command(CLI::App& parent, ReportCommand& command);
int execute_report_command(const ReportCommand& command);  // 0; throws ConfigError

}  // namespace hopcost
