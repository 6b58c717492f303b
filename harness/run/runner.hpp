// Runs variants: builds each chain, drives it, and turns what was counted into a
// VariantResult. Variants run one after another, each on a fresh chain, in one process.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "load/driver.hpp"
#include "node/snapshot.hpp"
#include "report/result.hpp"
#include "scenario/scenario.hpp"
#include "tls/pki.hpp"

namespace hopcost {

// Pure: the figures of a variant from its load result and the nodes' snapshots at the
// start and the end of the measured interval (client first, then the chain's order).
VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeSnapshot>& before, const std::vector<NodeSnapshot>& after);

// Builds the variant's chain with certificates from `pki`, drives it, tears it down.
// Throws RunError if the chain cannot be built; a node that dies during the run sets
// the result's `failure`.
VariantResult run_variant(const Variant& variant, const Scenario& scenario, const Pki& pki);

struct Progress {
  std::function<void(size_t index, size_t count, const Variant&)> started;
  std::function<void(size_t index, size_t count, const VariantResult&)> finished;
};

// Every variant of the scenario, in order, under one CA made for this run.
Report run_scenario(const Scenario& scenario, const Progress& progress);

}  // namespace hopcost
