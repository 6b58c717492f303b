// Repeats of one variant as one result: medians, per-repeat values and 95% intervals of
// the headline figures. Pure.
#pragma once

#include <vector>

#include "report/result.hpp"

namespace hopcost {

// Pure: K runs of one variant as one result: headline figures are medians, with their
// values per repeat and the 95% interval of their mean; requests and errors are totals;
// the rest comes from the run with the median p50. A failed run makes the result failed.
VariantResult aggregate(std::vector<VariantResult> runs);

}  // namespace hopcost
