// Runs variants: builds each chain from its plan, drives it, and turns what was counted
// into a VariantResult (run/summarize.hpp); runs repeats interleaved and aggregates them
// (run/aggregate.hpp); fits the marginal cost of a TLS link (run/marginal.hpp); says what
// makes figures unreliable (run/warnings.hpp). Variants run one after another, each on a
// fresh chain, in one process.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "load/driver.hpp"
#include "metrics/attribution.hpp"
#include "metrics/instructions.hpp"
#include "node/snapshot.hpp"
#include "report/result.hpp"
#include "run/aggregate.hpp"
#include "run/marginal.hpp"
#include "run/summarize.hpp"
#include "run/warnings.hpp"
#include "scenario/scenario.hpp"
#include "tls/pki.hpp"

namespace hopcost {

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
