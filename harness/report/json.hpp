// report.json's writer (json.cpp), for those that need a report's JSON form rather than
// its text: the gate looks a budget's metric path up in a variant's JSON form, so that the
// name of each figure has one definition, the writer's (docs/gate.md, "Metric paths").
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "report/result.hpp"

namespace hopcost {

// One variant as report.json carries it (every key, figures rounded as written).
nlohmann::ordered_json variant_to_json(const VariantResult& variant);
// The whole report.json text, as the JSON reporter renders it.
std::string report_to_json_text(const Report& report);

}  // namespace hopcost
