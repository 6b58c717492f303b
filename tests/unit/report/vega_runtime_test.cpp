#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "report/vega_runtime.hpp"

using namespace hopcost;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kDir = HOPCOST_SOURCE_DIR "/third_party/vega/";

}  // namespace

TEST_CASE("vega runtime: the embedded builds are the vendored files, byte for byte", "[report][vega]") {
  const std::string vega = read(kDir + "vega.min.js");
  const std::string vega_lite = read(kDir + "vega-lite.min.js");
  CHECK(vega_js().size() == vega.size());
  CHECK(vega_js() == vega);
  CHECK(vega_lite_js().size() == vega_lite.size());
  CHECK(vega_lite_js() == vega_lite);
  // The same text on a second call (built once).
  CHECK(vega_js().data() == vega_js().data());
  // They are the UMD builds that define the globals the report calls.
  CHECK(vega_js().find("self).vega={}") != std::string_view::npos);
  CHECK(vega_lite_js().find(".vegaLite={},") != std::string_view::npos);
}

TEST_CASE("vega runtime: the builds can be inlined in a <script> element as they are", "[report][vega]") {
  // The HTML reporter writes them verbatim between <script> and </script>: a "</script"
  // would end the element early, and "<!--" could switch the HTML parser into its
  // script-escaped states.
  for (std::string_view js : {vega_js(), vega_lite_js()}) {
    std::string lower(js);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(lower.find("</script") == std::string::npos);
    CHECK(lower.find("<!--") == std::string::npos);
    CHECK(lower.find("sourcemappingurl") == std::string::npos);
  }
}

TEST_CASE("vega runtime: the embedded versions are the ones third_party/vega/README.md names", "[report][vega]") {
  const std::string readme = read(kDir + "README.md");
  std::smatch m;
  REQUIRE(std::regex_search(readme, m, std::regex("\nVersions: (vega [0-9.]+, vega-lite [0-9.]+)\n")));
  CHECK(vega_versions() == m[1].str());
  // Each build states its own version: the versions string is read from the files.
  const std::regex both("vega ([0-9]+\\.[0-9]+\\.[0-9]+), vega-lite ([0-9]+\\.[0-9]+\\.[0-9]+)");
  std::smatch v;
  const std::string versions(vega_versions());
  REQUIRE(std::regex_match(versions, v, both));
  CHECK(vega_js().find(".version=\"" + v[1].str() + "\"") != std::string_view::npos);
  CHECK(vega_lite_js().find("=\"" + v[2].str() + "\"") != std::string_view::npos);
}
