// The headline: what one more TLS link costs, fitted over the variants of a run. Pure.
#pragma once

#include <vector>

#include "report/result.hpp"

namespace hopcost {

// Pure: the cost of one TLS link in each group of variants (same placement, TLS version,
// connection policy) whose variants differ in their number of TLS links.
std::vector<Marginal> marginal_tls_hop(const std::vector<VariantResult>& variants);

}  // namespace hopcost
