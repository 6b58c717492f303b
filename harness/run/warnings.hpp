// What makes a report's figures unreliable, said once, in report.json and on the console. Pure.
#pragma once

#include <string>
#include <vector>

#include "report/result.hpp"

namespace hopcost {

// Pure: reasons the figures of `report` may be unreliable.
std::vector<std::string> report_warnings(const Report& report);

}  // namespace hopcost
