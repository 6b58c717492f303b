// The topology grammar and its per-link settings (topologies/topology.cpp: --topology and
// a scenario's `topology`), and round-trip times as users write them (util/duration.cpp:
// --rtt, rtt=). Input: the text of one --topology value.
//
// Properties: bad text is one ConfigError; every topology parsed prints (name()) to its
// canonical form, which parses back to exactly that topology; its links for every hop
// count it accepts are within the limits, the first one TLS for a preset; an accepted
// round-trip time prints (format_rtt) to a text that parses back to the same time.
#include <string>

#include "fuzz.hpp"
#include "topologies/topology.hpp"
#include "util/duration.hpp"
#include "util/errors.hpp"

using namespace hopcost;

namespace {

void check_topology(const Topology& t) {
  const std::string name = t.name();
  std::vector<Topology> again;
  try {
    again = parse_topologies(name);
  } catch (const ConfigError&) {
    FUZZ_CHECK(false);  // a canonical name must parse
  }
  FUZZ_CHECK(again.size() == 1 && again.front() == t && again.front().name() == name);
  if (t.is_explicit()) {
    FUZZ_CHECK(!t.links.empty() && t.links.size() <= static_cast<size_t>(kMaxHops));
    FUZZ_CHECK(t.overrides.size() == t.links.size());
    FUZZ_CHECK(t.links_for(3) == t.links && t.overrides_for(3) == t.overrides);
    return;
  }
  const int most = *t.preset == Preset::mesh ? kMaxMeshServices : kMaxHops;
  for (int hops = kMinHops; hops <= most; ++hops) {
    const auto links = t.links_for(hops);
    FUZZ_CHECK(!links.empty() && links.front() == LinkKind::tls);
    FUZZ_CHECK(t.overrides_for(static_cast<int>(links.size())).size() == links.size());
    if (*t.preset == Preset::mesh) FUZZ_CHECK(mesh_node_names(static_cast<int>(links.size())).size() == links.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  std::vector<Topology> topologies;
  try {
    topologies = parse_topologies(text);
  } catch (const ConfigError& e) {
    FUZZ_CHECK(*e.what() != '\0');
  }
  for (const Topology& t : topologies) check_topology(t);
  std::chrono::nanoseconds rtt{};
  try {
    rtt = parse_rtt(text);
  } catch (const ConfigError& e) {
    FUZZ_CHECK(*e.what() != '\0');
    return 0;
  }
  FUZZ_CHECK(rtt.count() >= 0 && rtt <= kMaxRtt);
  try {
    FUZZ_CHECK(parse_rtt(format_rtt(rtt)) == rtt);
  } catch (const ConfigError&) {
    FUZZ_CHECK(false);  // a printed time must parse
  }
  return 0;
}
