#include "cli/report_command.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "report/html.hpp"
#include "report/reader.hpp"
#include "report/reporter.hpp"
#include "util/errors.hpp"
#include "util/output_file.hpp"

namespace hopcost {

void register_report_command(CLI::App& parent, ReportCommand& c) {
  c.app = parent.add_subcommand("report", "Re-render a report.json: as an HTML page, as Markdown, or as the console table");
  c.app->add_option("report", c.report, "The report: report.json, or the results directory holding it")
      ->required()
      ->type_name("REPORT.json");
  c.app->add_option("--html", c.html, "Write the HTML report (one file, works offline; docs/html-report.md)")
      ->type_name("FILE");
  c.app->add_option("--markdown", c.markdown, "Write the report as Markdown")->type_name("FILE");
  c.app->footer(
      "With neither --html nor --markdown, prints the console table.\nReads every schema_version listed in "
      "docs/report-format.md.\nExit codes: 0, 2 bad input (a missing or unreadable file, not a hopcost report, a "
      "schema_version this build does not read).");
}

int execute_report_command(const ReportCommand& c) {
  check_output_file("--html", c.html);
  check_output_file("--markdown", c.markdown);
  const Report report = load_report_file(c.report, "report");
  // Rendered before anything is written, so that a failure leaves no file half done.
  const std::string html = c.html.empty() ? "" : render_html(report);
  const std::string markdown = c.markdown.empty() ? "" : make_reporter("markdown")->render(report);
  write_output_file("--html", c.html, html);
  write_output_file("--markdown", c.markdown, markdown);
  if (c.html.empty() && c.markdown.empty()) {
    fmt::print("{}", make_reporter("table")->render(report));
  } else {
    for (const auto& [what, path] : {std::pair{"HTML", c.html}, std::pair{"Markdown", c.markdown}})
      if (!path.empty()) fmt::print(stderr, "hopcost: wrote {} ({})\n", path, what);
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace hopcost
