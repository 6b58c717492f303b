// Runs variants: builds each chain, drives it, and turns what was counted into a
// VariantResult; runs repeats interleaved and aggregates them; fits the marginal cost of
// a TLS link; says what makes figures unreliable. Variants run one after another, each
// on a fresh chain, in one process.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "load/driver.hpp"
#include "metrics/attribution.hpp"
#include "metrics/instructions.hpp"
#include "node/snapshot.hpp"
#include "report/result.hpp"
#include "scenario/scenario.hpp"
#include "tls/pki.hpp"

namespace hopcost {

// Pure: the figures of one run of a variant from its load result, the nodes' snapshots
// at the start and the end of the measured interval (client first, then chain order),
// and the per-hop attribution. `floors` (optional) adds the ratios to the floors.
VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeSnapshot>& before, const std::vector<NodeSnapshot>& after,
                        const Attribution& attribution, const std::optional<FloorFigures>& floors = {});

// Pure: sets the ratios of a result's figures to the floors (none without floors).
void compare_with_floors(VariantResult& v, const std::optional<FloorFigures>& floors);

// Pure: adds instruction counts (by node name, `client` included) to a result.
void add_instructions(VariantResult& v, const std::map<std::string, InstructionCounts>& counts);

// Pure: K runs of one variant as one result: headline figures are medians, with their
// values per repeat and the 95% interval of their mean; requests and errors are totals;
// the rest comes from the run with the median p50. A failed run makes the result failed.
VariantResult aggregate(std::vector<VariantResult> runs);

// Pure: the cost of one TLS link in each group of variants (same placement, TLS version,
// connection policy) whose variants differ in their number of TLS links.
std::vector<Marginal> marginal_tls_hop(const std::vector<VariantResult>& variants);

// Pure: reasons the figures of `report` may be unreliable.
std::vector<std::string> report_warnings(const Report& report);

// Something worth telling the user while a variant runs (warm-up extended).
using Notice = std::function<void(const std::string&)>;

// Builds the variant's chain with certificates from `pki`, drives it, tears it down.
// Throws RunError if the chain cannot be built; a node that dies during the run, or a
// setup that does not finish, sets the result's `failure`.
VariantResult run_variant(const Variant& variant, const Scenario& scenario, const Pki& pki,
                          const std::optional<FloorFigures>& floors = {}, const Notice& notice = {});

struct Progress {
  // `repeat` counts from 0 to repeats − 1.
  std::function<void(size_t index, size_t count, int repeat, const Variant&)> started;
  std::function<void(size_t index, size_t count, int repeat, const VariantResult&)> finished;
  Notice notice;
};

// Every variant of the scenario, `repeat` times interleaved (A B C A B C), under one CA
// made for this run. `floors`, when given, are recorded and compared with.
Report run_scenario(const Scenario& scenario, const Progress& progress, const std::optional<FloorFigures>& floors = {});

}  // namespace hopcost
