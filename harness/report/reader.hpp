// The typed reader of report.json (docs/report-format.md, "Reading a report"): the one
// place where a report file is validated and turned back into a Report. The gate and
// compare read reports through it only.
//
// It reads schema_version 1 and 2. Required: a JSON object with a schema_version it
// reads, a `context` object, a `variants` array, and each variant's identity (topology,
// hops, tls, conn, placement; report/variant_key.hpp). Every other key is optional,
// because keys were added during schema 1's life: a missing one reads as its default, as
// read_key() does for the key's own fields. A key that is present must have its type:
// otherwise the message names its JSON path ("variants[3].per_hop[1].kind: expected a
// string"). `null` reads as std::nullopt, and as the default where the writer writes null
// for a figure it could not know (a real program's end, a node without residence times).
//
// What is not read back: the typed Scenario (Report::configuration keeps the configuration
// as written) and VariantResult::programs (report.json carries them in the context).
#pragma once

#include <string>
#include <string_view>

#include "report/result.hpp"

namespace hopcost {

// Reads report.json text; `name` names it in messages. Throws ConfigError:
//   "<name>:3:16: not valid JSON: syntax error while parsing value - unexpected '}'; …"
//   "<name>: not a hopcost report: no \"variants\" array"
//   "<name>: schema_version 7 is not one this build reads (1, 2, 3): written by a newer hopcost"
//   "<name>: variants[3].per_hop[1].kind: expected a string, found a number"
Report read_report(std::string_view text, const std::string& name);

// Reads PATH, or PATH/report.json when PATH is a results directory. `role` ("report",
// "baseline", "A") names it when the file is missing; messages about its content name the
// file. Throws ConfigError.
Report load_report_file(const std::string& path_or_dir, std::string_view role);

// The file load_report_file reads for PATH.
std::string report_file_path(const std::string& path_or_dir);

// The schema versions read_report reads.
inline constexpr int kReadableSchemaVersions[] = {1, 2, 3};

}  // namespace hopcost
