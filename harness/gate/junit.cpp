// JUnit XML for CI systems (GitHub Actions test reporters, GitLab's junit artifact
// report): one <testsuite>, one <testcase> per check, a <failure> for each failing one.
#include <fmt/format.h>

#include "gate/gate.hpp"

namespace hopcost::gate {
namespace {

// Escapes text for an attribute or element; drops the control characters XML 1.0 does
// not allow at all (everything below 0x20 but tab, newline and carriage return).
std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
    }
  }
  return out;
}

}  // namespace

std::string render_junit(const std::vector<Check>& checks, const GateSources& sources) {
  const int failures = count_failures(checks);
  const std::string suite = xml_escape("hopcost gate: " + sources.budgets);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", suite,
                     checks.size(), failures);
  out += fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n", suite,
      checks.size(), failures);
  out += "    <properties>\n";
  out +=
      fmt::format("      <property name=\"budgets\" value=\"{}\"/>\n", xml_escape(sources.budgets));
  out +=
      fmt::format("      <property name=\"report\" value=\"{}\"/>\n", xml_escape(sources.report));
  if (sources.baseline)
    out += fmt::format("      <property name=\"baseline\" value=\"{}\"/>\n",
                       xml_escape(*sources.baseline));
  out += "    </properties>\n";
  for (const auto& c : checks) {
    const std::string detail =
        fmt::format("measured {}, limit {}: {}", c.measured_text, c.limit, c.note);
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n",
                       xml_escape(c.budget), xml_escape(c.variant + ": " + c.check));
    if (!c.passed())
      out += fmt::format("      <failure message=\"{}\" type=\"budget\">{}</failure>\n",
                         xml_escape(fmt::format("measured {}, limit {}", c.measured_text, c.limit)),
                         xml_escape(detail));
    else
      out += fmt::format("      <system-out>{}</system-out>\n", xml_escape(detail));
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace hopcost::gate
