// Golden tests: every reporter renders a fixed report exactly as its file in
// tests/golden/ says. After a deliberate format change, regenerate with
//   HOPCOST_UPDATE_GOLDEN=1 build/tests/hopcost_unit_tests "[golden]"
// and review the diff: other tools read these formats.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "report/html.hpp"
#include "report/reporter.hpp"
#include "tests/support/golden_report.hpp"

using namespace hopcost;
using hopcost::testing::fixed_report;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void check_text(const std::string& actual, const std::string& file) {
  const std::string path = HOPCOST_SOURCE_DIR "/tests/golden/" + file;
  if (std::getenv("HOPCOST_UPDATE_GOLDEN")) std::ofstream(path) << actual;
  CHECK(actual == read(path));
}

void check_golden(std::string_view format, const std::string& file) {
  check_text(make_reporter(format)->render(fixed_report()), file);
}

}  // namespace

TEST_CASE("JSON reporter matches its golden file", "[golden]") { check_golden("json", "report.json"); }
TEST_CASE("CSV reporter matches its golden file", "[golden]") { check_golden("csv", "report.csv"); }
TEST_CASE("console table matches its golden file", "[golden]") { check_golden("table", "report.txt"); }
TEST_CASE("Markdown reporter matches its golden file", "[golden]") { check_golden("markdown", "report.md"); }

// The page as the HTML reporter writes it, but for the vendored runtime's 750 kB (which
// tests/unit/report/vega_runtime_test.cpp pins): its tables, every plot's specification
// and data, and the script that draws them. A gated run's page also shows the verdicts.
TEST_CASE("HTML reporter matches its golden file, runtime aside", "[golden]") {
  HtmlOptions options;
  options.omit_runtime = true;
  options.gate = std::vector<HtmlGateRow>{
      {"p99 budget", "terminate-once 2 hops TLS 1.3 new inproc", "300 µs", "<= 2500 µs", "point comparison", true},
      {"cpu ratio", "tls-everywhere / terminate-once", "2.50×", "<= 2×", "clear", false}};
  check_text(render_html(fixed_report(), options), "report.html");
  const std::string full = make_reporter("html")->render(fixed_report());
  CHECK(full.find("<!-- the Vega runtime") == std::string::npos);
  CHECK(full.find("vegaLite") != std::string::npos);
}
