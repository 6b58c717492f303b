#include "run/marginal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "metrics/statistics.hpp"
#include "net/link_kind.hpp"

namespace hopcost {
namespace {

int tls_links(const VariantResult& v) {
  return static_cast<int>(std::count_if(v.links.begin(), v.links.end(), [](const std::string& k) {
    const auto kind = parse_link_kind(k);
    return kind && traits(*kind).tls;
  }));
}


}  // namespace

std::vector<Marginal> marginal_tls_hop(const std::vector<VariantResult>& variants) {
  // Groups: variants that differ only in topology and hops (at the same --rtt; a link of
  // an explicit chain may have its own), at the same offered rate (or all closed loop).
  // The TLS setup too: chains without TLS links join every group of their kind.
  using Group = std::tuple<std::string, std::string, std::string, std::optional<std::string>, double, std::string,
                           std::optional<double>>;
  auto rtts = [](const VariantResult& v) { return v.chain_rtt_us; };
  auto setup = [](const VariantResult& v) { return v.tls_setup(); };
  std::map<Group, std::vector<const VariantResult*>> groups;
  for (const auto& v : variants)
    if (!v.failure && v.requests > 0 && v.upstream)
      groups[{v.placement, v.tls, v.conn, v.upstream, rtts(v), setup(v), v.rate}].push_back(&v);
  // A chain without relays is the same under every upstream policy: it belongs to each group.
  for (const auto& v : variants) {
    if (v.failure || v.requests == 0 || v.upstream) continue;
    bool placed = false;
    for (auto& [key, members] : groups)
      if (std::get<0>(key) == v.placement && std::get<1>(key) == v.tls && std::get<2>(key) == v.conn &&
          std::get<4>(key) == rtts(v) && std::get<5>(key) == setup(v) && std::get<6>(key) == v.rate) {
        members.push_back(&v);
        placed = true;
      }
    if (!placed) groups[{v.placement, v.tls, v.conn, std::nullopt, rtts(v), setup(v), v.rate}].push_back(&v);
  }
  std::vector<Marginal> out;
  for (const auto& [key, members] : groups) {
    // One point per run: per repeat when there are repeats.
    auto fit = [&](auto value_of) {
      std::vector<Point> points;
      for (const VariantResult* v : members)
        for (int r = 0; r < v->repeats; ++r)
          points.push_back({static_cast<double>(tls_links(*v)), static_cast<double>(v->hops), value_of(*v, r)});
      return tls_link_slope(points);
    };
    auto at = [](const VariantResult& v, const char* name, int r, double single) {
      const auto it = v.repeat_values.find(name);
      return it == v.repeat_values.end() ? single : it->second[static_cast<size_t>(r)];
    };
    const auto p50 = fit([&](const VariantResult& v, int r) { return at(v, "latency_us.p50", r, v.latency_us.p50); });
    if (!p50) continue;  // every variant has the same number of TLS links
    const auto p99 = fit([&](const VariantResult& v, int r) { return at(v, "latency_us.p99", r, v.latency_us.p99); });
    const auto cpu = fit([&](const VariantResult& v, int r) { return at(v, "cpu_us_per_request", r, v.cpu_us_per_request); });
    // Handshake CPU per request: a link's handshake CPU times how often it happens.
    const auto hs = fit([&](const VariantResult& v, int r) {
      return at(v, "handshake_cpu_us", r, v.handshake_cpu_us) * at(v, "handshakes_per_request", r, v.handshakes_per_request);
    });
    Marginal m;
    double rtt = 0;
    std::tie(m.placement, m.tls, m.conn, m.upstream, rtt, m.tls_setup, m.rate) = key;
    m.rtt_us = rtt;
    auto put = [](MarginalFigure& f, const std::optional<Slope>& s) {
      if (s) f = {s->value, s->ci95};
    };
    put(m.latency_us_p50, p50);
    put(m.latency_us_p99, p99);
    put(m.cpu_us_per_request, cpu);
    put(m.handshake_cpu_us, hs);
    m.points = p50->points;
    m.hops_held_equal = p50->hops_held_equal;
    m.confounded = p50->confounded;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace hopcost
