// What one run of a variant measured, as a VariantResult: the differences of the nodes'
// snapshots over the measured interval, per request, per node and per link. Pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "load/driver.hpp"
#include "metrics/attribution.hpp"
#include "metrics/instructions.hpp"
#include "node/snapshot.hpp"
#include "report/result.hpp"
#include "scenario/scenario.hpp"

namespace hopcost {

struct ChainPlan;

// Pure: the certificates (each with its private key) a chain's plan needs: a server
// identity per TLS link, a client identity per mutual-TLS link, the root CA, and the
// intermediates (one chain shared by every leaf, as a deployment would).
CertificateBill certificate_bill(const ChainPlan& plan);

// Pure: the figures of one run of a variant from its load result, the nodes' snapshots
// at the start and the end of the measured interval (client first, then chain order),
// and the per-hop attribution. `floors` (optional) adds the ratios to the floors.
// `logged`: what real programs' access logs say of their TLS sessions, chain order
// (relays, then the origin), for links whose two ends are real programs.
VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeSnapshot>& before, const std::vector<NodeSnapshot>& after,
                        const Attribution& attribution, const std::optional<FloorFigures>& floors = {},
                        const std::vector<LoggedTls>& logged = {});

// Pure: sets the ratios of a result's figures to the floors (none without floors).
void compare_with_floors(VariantResult& v, const std::optional<FloorFigures>& floors);

// Pure: adds instruction counts (by node name, `client` included) to a result.
void add_instructions(VariantResult& v, const std::map<std::string, InstructionCounts>& counts);

}  // namespace hopcost
