// Runs variants: builds each chain, drives it, and turns what was counted into a
// VariantResult. Variants run one after another, each on a fresh chain, in one process.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "load/driver.hpp"
#include "node/stats.hpp"
#include "report/result.hpp"
#include "scenario/scenario.hpp"
#include "tls/pki.hpp"

namespace hopcost {

// What one node did inside the measured interval.
struct NodeDelta {
  std::string name;
  std::string role;
  NodeCounters counters;  // after − before
  uint64_t cpu_ns = 0;    // thread CPU, after − before
  std::map<std::string, std::string> first_errors;
};

// Pure: the figures of a variant from its load result and node deltas (client first).
VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeDelta>& nodes, const std::optional<Negotiated>& negotiated);

// Builds the variant's chain with certificates from `pki`, drives it, tears it down.
// Throws RunError if the chain cannot be built.
VariantResult run_variant(const Variant& variant, const Scenario& scenario, const Pki& pki);

struct Progress {
  std::function<void(size_t index, size_t count, const Variant&)> started;
  std::function<void(size_t index, size_t count, const VariantResult&)> finished;
};

// Every variant of the scenario, in order, under one CA made for this run.
Report run_scenario(const Scenario& scenario, const Progress& progress);

}  // namespace hopcost
