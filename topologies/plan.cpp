#include "topologies/plan.hpp"

#include <algorithm>

#include "topologies/chain.hpp"
#include "topologies/cpu_policy.hpp"
#include "util/check.hpp"

namespace hopcost {

ChainPlan make_plan(const Variant& v, const Scenario& s) {
  ChainPlan plan;
  const auto overrides = v.topology.overrides_for(v.hops());
  HOPCOST_CHECK(overrides.size() == v.links.size());
  for (size_t i = 0; i < v.links.size(); ++i) {
    LinkSpec l{v.links[i], v.tls, s.tickets, overrides[i].rtt.value_or(v.rtt)};
    if (traits(l.kind).tls) {
      l.key = overrides[i].key.value_or(v.key);
      l.group = v.group;
      l.mtls = overrides[i].mtls.value_or(s.mtls);
      l.chain_depth = s.chain_depth;
      l.expired = s.expired_cert && *s.expired_cert == static_cast<int>(i);
      // The client's link resumes by its connection policy, a relay's by --upstream-resume.
      l.resume = i == 0 ? resumes(v.conn) : overrides[i].resume.value_or(v.upstream_resume);
      l.resume_by = v.resume;
      // Only idempotent requests go as early data (it can be replayed): a request with a
      // body is a POST, and waits for the handshake.
      l.early_data = i == 0 && v.conn == ConnPolicy::zero_rtt && v.tls == TlsVersion::v1_3 && s.request_bytes == 0;
    }
    plan.links.push_back(l);
  }
  const auto cpus = assign_cpus(s.cpu_policy, v.links.size() + 1);  // client first
  plan.client_cpu = cpus.front();
  const auto names = v.topology.preset == Preset::mesh ? mesh_node_names(v.hops()) : node_names(v.hops());
  for (size_t i = 0; i < names.size(); ++i) {
    NodeSpec n;
    n.name = names[i];
    n.role = i + 1 < names.size() ? Role::relay : Role::origin;
    n.cpu = cpus[i + 1];
    n.response_bytes = s.response_bytes;
    if (n.role == Role::relay) {
      n.upstream = overrides[i + 1].upstream.value_or(v.upstream.value_or(UpstreamPolicy::one_to_one));
      // Node i listens on link i: a node= there names it; else --relay (a preset by position).
      const Implementation chosen =
          v.relay == kArticleRelays && i < article_relays().size() ? article_relays()[i]
                                                                   : parse_implementation(v.relay).value_or(Implementation::hopcost);
      n.implementation = overrides[i].node.value_or(chosen);
      if (n.implementation != Implementation::hopcost) {
        n.workers = s.relay_workers;
        n.cache_hits = n.implementation == Implementation::varnish && s.varnish_cache;
        for (const auto& [node, file] : s.relay_config)
          if (node == n.name) n.user_config = file;
      }
    }
    plan.nodes.push_back(std::move(n));
  }
  plan.db = v.db;
  plan.db_timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(s.timeout);
  plan.limits.head_timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(s.head_timeout);
  plan.limits.idle_timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(s.idle_timeout);
  return plan;
}

ChainPlan simple_plan(const std::vector<LinkKind>& links, TlsVersion tls, uint64_t response_bytes) {
  ChainPlan plan;
  const auto names = node_names(static_cast<int>(links.size()));
  for (size_t i = 0; i < links.size(); ++i) {
    LinkSpec l;
    l.kind = links[i];
    l.tls = tls;
    plan.links.push_back(l);
    NodeSpec n;
    n.name = names[i];
    n.role = i + 1 < links.size() ? Role::relay : Role::origin;
    n.response_bytes = response_bytes;
    plan.nodes.push_back(std::move(n));
  }
  return plan;
}

VariantKey variant_key(const Variant& v, const ChainPlan& plan) {
  VariantKey k;
  k.topology = v.topology.name();
  k.hops = plan.hops();
  k.tls = std::string(to_string(v.tls));
  k.conn = std::string(to_string(v.conn));
  k.placement = std::string(to_string(v.placement));
  // Relays that all share one policy are keyed by it; per-relay policies by "mixed".
  for (const auto& n : plan.nodes) {
    if (n.role != Role::relay) continue;
    const std::string policy(to_string(n.upstream));
    k.upstream = !k.upstream || *k.upstream == policy ? policy : "mixed";
  }
  for (const auto& l : plan.links) k.link_rtt_us.push_back(std::chrono::duration<double, std::micro>(l.rtt).count());
  k.chain_rtt_us = std::chrono::duration<double, std::micro>(v.rtt).count();
  // TLS settings: the TLS links' own, "mixed" where they differ.
  auto same = [](std::optional<std::string>& into, std::string value) {
    into = !into || *into == value ? value : "mixed";
  };
  std::optional<std::string> mtls;
  for (const auto& l : plan.links) {
    if (!traits(l.kind).tls) continue;
    same(k.key, std::string(to_string(l.key)));
    if (l.group) same(k.group, std::string(to_string(*l.group)));
    same(mtls, l.mtls ? "all" : "none");
    k.chain_depth = std::max(k.chain_depth, l.chain_depth);
  }
  if (mtls) k.mtls = *mtls == "all" ? "on" : *mtls == "none" ? "off" : "mixed";
  // The relays' implementations: the preset's name, the one every relay has, or the list.
  std::string relays;
  bool all_same = true;
  for (const auto& n : plan.nodes) {
    if (n.role != Role::relay) continue;
    const std::string impl(to_string(n.implementation));
    if (!relays.empty()) all_same &= relays.substr(0, relays.find(',')) == impl;
    relays += (relays.empty() ? "" : ",") + impl;
  }
  if (!relays.empty()) {
    const bool preset = v.relay == kArticleRelays && std::none_of(v.topology.overrides.begin(), v.topology.overrides.end(),
                                                                  [](const LinkOverride& o) { return o.node.has_value(); });
    k.relay = preset ? std::string(kArticleRelays) : all_same ? relays.substr(0, relays.find(',')) : relays;
  }
  for (size_t i = 0; i < plan.links.size(); ++i) {
    if (!traits(plan.links[i].kind).tls) continue;
    if (v.tls == TlsVersion::v1_2) k.resume = std::string(to_string(v.resume));
    if (i > 0) same(k.upstream_resume, plan.links[i].resume ? "on" : "off");
  }
  const auto rtt = plan.links.front().rtt;
  if (std::all_of(plan.links.begin(), plan.links.end(), [&](const LinkSpec& l) { return l.rtt == rtt; }))
    k.rtt_us = std::chrono::duration<double, std::micro>(rtt).count();
  k.rate = v.rate;
  if (v.db)
    k.db = VariantKey::Db{std::string(to_string(v.db->mode)), std::string(to_string(v.db->link)),
                          v.db->mode == DbMode::pgbouncer ? std::optional<std::string>(to_string(v.db->server_link)) : std::nullopt,
                          std::string(to_string(v.db->policy))};
  return k;
}

}  // namespace hopcost
