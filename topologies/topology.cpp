#include "topology.hpp"

#include <fmt/format.h>

#include <array>

#include "util/check.hpp"
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

}  // namespace

std::string_view to_string(Preset preset) {
  for (const auto& p : kPresets)
    if (p.preset == preset) return p.name;
  HOPCOST_CHECK(false && "preset missing from kPresets");
}

std::vector<std::string_view> preset_names() {
  std::vector<std::string_view> out;
  for (const auto& p : kPresets) out.push_back(p.name);
  return out;
}

std::string join_links(const std::vector<LinkKind>& links) {
  std::string out;
  for (size_t i = 0; i < links.size(); ++i) {
    if (i) out += ',';
    out += to_string(links[i]);
  }
  return out;
}

std::string Topology::name() const { return preset ? std::string(to_string(*preset)) : join_links(links); }

std::vector<LinkKind> Topology::links_for(int hops) const {
  if (!preset) return links;
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
  auto flush = [&] {
    if (run.empty()) return;
    if (run.size() > static_cast<size_t>(kMaxHops))
      throw ConfigError(fmt::format("an explicit chain has {} links; accepted: {} to {}", run.size(),
                                    kMinHops, kMaxHops));
    out.push_back(Topology{std::nullopt, std::move(run)});
    run.clear();
  };
  size_t pos = 0;
  while (true) {
    const size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) throw ConfigError(fmt::format("empty item in '{}'; accepted: {}", text, accepted_words()));
    if (auto kind = parse_link_kind(item)) {
      run.push_back(*kind);
    } else {
      bool found = false;
      for (const auto& p : kPresets) {
        if (p.name == item) {
          flush();
          out.push_back(Topology{p.preset, {}});
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
