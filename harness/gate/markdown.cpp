// Markdown for a merge-request comment: a one-line summary, then one table row per
// check with ✅ or ❌.
#include <fmt/format.h>

#include "gate/gate.hpp"

namespace hopcost::gate {
namespace {

// Text in a table cell: '|' would end the cell and a newline the row; '<', '>' and '&'
// are written as entities so that a name can never become HTML.
std::string cell(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '|':
        out += "\\|";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// Inside a code span entities are not decoded, so only '|' (which GFM tables still
// split on) is escaped; a backtick in the text falls back to a plain cell.
std::string code(std::string_view s) {
  if (s.find('`') != std::string_view::npos) return cell(s);
  std::string out = "`";
  for (char ch : s) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n' || ch == '\r')
      out += ' ';
    else
      out += ch;
  }
  return out + "`";
}

}  // namespace

std::string render_markdown(const std::vector<Check>& checks, const GateSources& sources) {
  const int failed = count_failures(checks);
  std::string out =
      fmt::format("{} **hopcost {}** — budgets {} on {}{}\n\n", failed ? "❌" : "✅",
                  cell(summary_line(checks)), code(sources.budgets), code(sources.report),
                  sources.baseline ? ", baseline " + code(*sources.baseline) : std::string());
  for (const auto& w : sources.warnings) out += "> ⚠️ " + cell(w) + "\n\n";
  out += "| | budget | variant | check | measured | limit | note |\n";
  out += "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& c : checks)
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", c.passed() ? "✅" : "❌",
                       cell(c.budget), cell(c.variant), code(c.check), cell(c.measured_text),
                       cell(c.limit), cell(c.note));
  return out;
}

}  // namespace hopcost::gate
