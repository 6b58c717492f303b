// Reporters turn a Report into text, one format each (console.cpp, json.cpp, csv.cpp,
// html.cpp, markdown.cpp), all from the same data. JSON is the canonical one; every other format derives from the
// same Report and carries no number that JSON lacks.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "report/result.hpp"

namespace hopcost {

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string render(const Report& report) const = 0;
  // The file it is written to under --out; empty for the console table (stdout).
  virtual std::string_view file_name() const = 0;
};

// "table", "json", "csv", "html", "markdown"; nullptr for anything else.
std::unique_ptr<Reporter> make_reporter(std::string_view format);
// The formats `hopcost run --format` writes: table, json, csv, html. Markdown is
// `hopcost report --markdown`'s.
std::span<const std::string_view> reporter_formats();
// Every reporter make_reporter() makes: the formats above, and markdown.
std::span<const std::string_view> reporter_names();

// A headline group as every reporter names it: "inproc TLS 1.3 new pool rtt 200 µs rsa-2048".
std::string marginal_group(const Marginal& m);
// A headline figure with its interval: "+150 µs [+120, +180]", or "+300 µs" without one.
std::string marginal_figure_text(const MarginalFigure& f, std::string_view unit);

// The machine and build, as report.json and floor.json carry them.
nlohmann::ordered_json context_to_json(const Context& context);

// Writes `content` to `path` through a temporary file in the same directory and a rename,
// so that a reader never sees half a report. Throws RunError naming the path.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace hopcost
