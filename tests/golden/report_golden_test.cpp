// Golden tests: every reporter renders a fixed report exactly as its file in
// tests/golden/ says. After a deliberate format change, regenerate with
//   HOPCOST_UPDATE_GOLDEN=1 build/tests/hopcost_unit_tests "[golden]"
// and review the diff: other tools read these formats.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

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

void check_golden(std::string_view format, const std::string& file) {
  const std::string path = HOPCOST_SOURCE_DIR "/tests/golden/" + file;
  const std::string actual = make_reporter(format)->render(fixed_report());
  if (std::getenv("HOPCOST_UPDATE_GOLDEN")) std::ofstream(path) << actual;
  CHECK(actual == read(path));
}

}  // namespace

TEST_CASE("JSON reporter matches its golden file", "[golden]") { check_golden("json", "report.json"); }
TEST_CASE("CSV reporter matches its golden file", "[golden]") { check_golden("csv", "report.csv"); }
TEST_CASE("console table matches its golden file", "[golden]") { check_golden("table", "report.txt"); }
