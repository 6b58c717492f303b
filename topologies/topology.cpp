#include "topology.hpp"

#include <fmt/format.h>

#include <array>

#include "util/check.hpp"
#include "util/duration.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

struct PresetRow {
  Preset preset;
  std::string_view name;
};
constexpr std::array kPresets{
    PresetRow{Preset::tls_everywhere, "tls-everywhere"},
    PresetRow{Preset::terminate_once, "terminate-once"},
    PresetRow{Preset::unix_socket, "unix-socket"},
    PresetRow{Preset::mesh, "mesh"},
};

std::string accepted_words() {
  std::string out;
  for (const auto& p : kPresets) out += fmt::format("{}, ", p.name);
  out += "or a list of link kinds (";
  bool first = true;
  for (const auto& k : all_link_kinds()) {
    out += fmt::format("{}{}", first ? "" : ", ", k.name);
    first = false;
  }
  return out + ")";
}

constexpr std::string_view kLinkKeys =
    "rtt=TIME (0, 200us, 1ms ...), upstream=1:1|pool, key=KEY, mtls=on|off, resume=on|off, node=IMPLEMENTATION";

// "rtt=1ms/upstream=pool", the settings after a link kind in `item`.
LinkOverride parse_override(std::string_view item, std::string_view settings) {
  LinkOverride o;
  size_t pos = 0;
  while (true) {
    const size_t colon = settings.find('/', pos);
    const std::string_view setting = settings.substr(pos, colon == std::string_view::npos ? settings.npos : colon - pos);
    const size_t eq = setting.find('=');
    const std::string_view key = setting.substr(0, eq), value = eq == std::string_view::npos ? "" : setting.substr(eq + 1);
    if (eq == std::string_view::npos || value.empty())
      throw ConfigError(fmt::format("'{}': '{}' is not key=value; accepted keys: {}", item, setting, kLinkKeys));
    if (key == "rtt") {
      try {
        o.rtt = parse_rtt(value);
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("'{}': rtt: {}", item, e.what()));
      }
    } else if (key == "key") {
      o.key = parse_key_type(value);
      if (!o.key)
        throw ConfigError(fmt::format("'{}': key: unknown key type '{}'; accepted: {}", item, value, kKeyTypes.accepted()));
    } else if (key == "mtls") {
      if (value != "on" && value != "off")
        throw ConfigError(fmt::format("'{}': mtls: unknown value '{}'; accepted: on, off", item, value));
      o.mtls = value == "on";
    } else if (key == "resume") {
      if (value != "on" && value != "off")
        throw ConfigError(fmt::format("'{}': resume: unknown value '{}'; accepted: on, off", item, value));
      o.resume = value == "on";
    } else if (key == "node") {
      o.node = parse_implementation(value);
      if (!o.node)
        throw ConfigError(fmt::format("'{}': node: unknown implementation '{}'; accepted: {}", item, value,
                                      kImplementations.accepted()));
    } else if (key == "upstream") {
      o.upstream = parse_upstream_policy(value);
      if (!o.upstream)
        throw ConfigError(fmt::format("'{}': upstream: unknown value '{}'; accepted: {}", item, value, kUpstreamPolicies.accepted()));
    } else {
      throw ConfigError(fmt::format("'{}': unknown key '{}'; accepted keys: {}", item, key, kLinkKeys));
    }
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return o;
}

}  // namespace

std::string_view to_string(Preset preset) {
  for (const auto& p : kPresets)
    if (p.preset == preset) return p.name;
  HOPCOST_CHECK(false && "preset missing from kPresets");
}

std::string join_links(const std::vector<LinkKind>& links) {
  std::string out;
  for (size_t i = 0; i < links.size(); ++i) {
    if (i) out += ',';
    out += to_string(links[i]);
  }
  return out;
}

std::string Topology::name() const {
  if (preset) return std::string(to_string(*preset));
  std::string out;
  for (size_t i = 0; i < links.size(); ++i) {
    if (i) out += ',';
    out += to_string(links[i]);
    if (i >= overrides.size()) continue;
    if (overrides[i].rtt) out += "/rtt=" + format_rtt(*overrides[i].rtt);
    if (overrides[i].upstream) out += "/upstream=" + std::string(to_string(*overrides[i].upstream));
    if (overrides[i].key) out += "/key=" + std::string(to_string(*overrides[i].key));
    if (overrides[i].mtls) out += std::string("/mtls=") + (*overrides[i].mtls ? "on" : "off");
    if (overrides[i].resume) out += std::string("/resume=") + (*overrides[i].resume ? "on" : "off");
    if (overrides[i].node) out += "/node=" + std::string(to_string(*overrides[i].node));
  }
  return out;
}

int mesh_links(int services) { return 3 * services - 1; }

// Link i of a mesh: 0 the client's; then for each service, sidecar -> service (1 mod 3),
// service -> its sidecar's way out (2 mod 3), sidecar -> next sidecar (0 mod 3).
std::vector<std::string> mesh_node_names(int links) {
  std::vector<std::string> names;
  for (int i = 0; i < links; ++i) {
    const int service = i / 3 + 1;
    names.push_back(i % 3 == 0 ? fmt::format("sidecar{}", service)
                    : i % 3 == 1 ? fmt::format("service{}", service)
                                 : fmt::format("sidecar{}-out", service));
  }
  return names;
}

std::vector<LinkOverride> Topology::overrides_for(int hops) const {
  if (preset == Preset::mesh) {
    std::vector<LinkOverride> out(static_cast<size_t>(hops));
    for (int i = 0; i < hops; ++i) {
      if (i % 3 == 0 && i > 0) {  // sidecar to sidecar
        out[i].mtls = true;
        out[i].upstream = UpstreamPolicy::pool;
      } else if (i % 3 != 0) {  // sidecar and service share a host
        out[i].rtt = std::chrono::nanoseconds(0);
      }
    }
    return out;
  }
  if (preset) return std::vector<LinkOverride>(static_cast<size_t>(hops));
  return overrides;
}

std::vector<LinkKind> Topology::links_for(int hops) const {
  if (!preset) return links;
  if (preset == Preset::mesh) {  // `hops` counts services
    HOPCOST_CHECK(hops >= 1 && hops <= kMaxMeshServices);
    std::vector<LinkKind> out(static_cast<size_t>(mesh_links(hops)), LinkKind::tcp);
    for (size_t i = 0; i < out.size(); i += 3) out[i] = LinkKind::tls;
    return out;
  }
  HOPCOST_CHECK(hops >= kMinHops && hops <= kMaxHops);
  // The first link is the one the client (the outside world) uses: always TLS.
  std::vector<LinkKind> out(static_cast<size_t>(hops), LinkKind::tls);
  const LinkKind behind = *preset == Preset::tls_everywhere   ? LinkKind::tls
                          : *preset == Preset::terminate_once ? LinkKind::tcp
                                                              : LinkKind::uds;
  for (size_t i = 1; i < out.size(); ++i) out[i] = behind;
  return out;
}

std::vector<Topology> parse_topologies(std::string_view text) {
  std::vector<Topology> out;
  std::vector<LinkKind> run;  // the explicit chain being collected
  std::vector<LinkOverride> overrides;
  auto flush = [&] {
    if (run.empty()) return;
    if (run.size() > static_cast<size_t>(kMaxHops))
      throw ConfigError(fmt::format("an explicit chain has {} links; accepted: {} to {}", run.size(),
                                    kMinHops, kMaxHops));
    if (overrides.front().upstream || overrides.front().resume)
      throw ConfigError(fmt::format("'{}': {}= is set on a link whose client is a relay; the first link's "
                                    "client is the load driver (use --conn for it)",
                                    join_links(run), overrides.front().upstream ? "upstream" : "resume"));
    if (overrides.back().node && *overrides.back().node != Implementation::hopcost)
      throw ConfigError(fmt::format("'{}': node= is set on the last link, whose node is the origin; the origin is "
                                    "always hopcost's (node= names a relay)",
                                    join_links(run)));
    out.push_back(Topology{std::nullopt, std::move(run), std::move(overrides)});
    run.clear();
    overrides.clear();
  };
  size_t pos = 0;
  while (true) {
    const size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) throw ConfigError(fmt::format("empty item in '{}'; accepted: {}", text, accepted_words()));
    const size_t colon = item.find('/');
    if (auto kind = parse_link_kind(item.substr(0, colon))) {
      run.push_back(*kind);
      overrides.push_back(colon == std::string_view::npos ? LinkOverride{} : parse_override(item, item.substr(colon + 1)));
      if (!traits(*kind).tls && (overrides.back().key || overrides.back().mtls || overrides.back().resume))
        throw ConfigError(fmt::format("'{}': key=, mtls= and resume= apply to TLS links only", item));
    } else if (colon != std::string_view::npos) {
      throw ConfigError(fmt::format("unknown link kind in '{}'; settings follow a link kind ({})", item, accepted_words()));
    } else {
      bool found = false;
      for (const auto& p : kPresets) {
        if (p.name == item) {
          flush();
          out.push_back(Topology{p.preset, {}, {}});
          found = true;
        }
      }
      if (!found) throw ConfigError(fmt::format("unknown topology item '{}'; accepted: {}", item, accepted_words()));
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  flush();
  return out;
}

}  // namespace hopcost
