// report.json through the typed reader (report/reader.cpp: `hopcost gate`, `compare`,
// `report`). Input: the file's text.
//
// Properties: a bad report is one ConfigError naming it; an accepted one written again
// (report_to_json_text, the JSON reporter) reads back, and writing that gives the same
// text: write(read(write(read(x)))) == write(read(x)), so no field is lost or drifts
// between the writer and the reader.
#include <string>

#include "fuzz.hpp"
#include "report/json.hpp"
#include "report/reader.hpp"
#include "util/errors.hpp"

using namespace hopcost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name = "report.json";
  Report report;
  try {
    report = read_report(fuzz::as_text(data, size), name);
  } catch (const ConfigError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with(name));
    return 0;
  }
  const std::string once = report_to_json_text(report);
  Report again;
  try {
    again = read_report(once, "written.json");
  } catch (const ConfigError&) {
    FUZZ_CHECK(false);  // what the writer writes, the reader reads
  }
  FUZZ_CHECK(report_to_json_text(again) == once);
  return 0;
}
