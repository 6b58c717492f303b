#include "run/summarize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "run/network_floor.hpp"
#include "topologies/plan.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

double per(double total, uint64_t count) { return count ? total / static_cast<double>(count) : 0.0; }
double us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

LatencySummary summary_us(const Histogram& h) {
  return {us(h.value_at_percentile(50)), us(h.value_at_percentile(90)), us(h.value_at_percentile(99)),
          us(h.value_at_percentile(99.9)), us(h.max()), h.mean() / 1000.0};
}

}  // namespace

CertificateBill certificate_bill(const ChainPlan& plan) {
  CertificateBill b;
  for (const auto& l : plan.links) {
    if (!traits(l.kind).tls) continue;
    ++b.server;
    if (l.mtls) ++b.client;
    b.ca = 1;
    b.intermediate = std::max(b.intermediate, l.chain_depth);
  }
  b.total = b.server + b.client + b.ca + b.intermediate;
  return b;
}

void compare_with_floors(VariantResult& v, const std::optional<FloorFigures>& floors) {
  v.handshake_cpu_vs_floor.reset();
  if (!floors || v.handshake_cpu_us <= 0) return;
  // A real program's handshakes are not timed (its TLS work is inside its CPU): the
  // variant's handshake CPU covers hopcost's ends only, and takes no ratio.
  if (std::any_of(v.nodes.begin(), v.nodes.end(), [](const NodeResult& n) { return n.implementation != "hopcost"; }))
    return;
  // A variant is compared with the floors of its own TLS configuration, never another's:
  // its full handshakes with the full floor, its resumed ones with the resumed floor,
  // weighted by how many of each it did. A floor the run did not measure leaves no ratio.
  auto by_setup = [&](const std::string& name) -> double {
    const auto it = floors->handshake_cpu_us_by_setup.find(name);
    return it == floors->handshake_cpu_us_by_setup.end() ? 0.0 : it->second;
  };
  const double full = !default_floor_configuration(v)                ? by_setup(v.tls_configuration())
                      : parse_tls_version(v.tls) == TlsVersion::v1_2 ? floors->handshake_tls12_cpu_us
                                                                     : floors->handshake_tls13_cpu_us;
  const double share = v.handshakes_resumed_share;
  const double resumed = share > 0 ? by_setup(v.resumed_configuration()) : 0.0;
  if ((share < 1 && full <= 0) || (share > 0 && resumed <= 0)) return;
  const double expected = (1 - share) * full + share * resumed;
  if (expected > 0) v.handshake_cpu_vs_floor = v.handshake_cpu_us / expected;
}

namespace {

// Why requests on link `link` may share connections (keep-alive on the client's link, a
// pool, or a relay whose upstream connections follow its downstream ones), or none when
// each request has its own connection there: then one request logged is one handshake.
std::optional<std::string> shared_connections(const ChainPlan& plan, ConnPolicy conn, size_t link) {
  if (link == 0)
    return conn == ConnPolicy::keepalive ? std::optional<std::string>("the client keeps its connections alive")
                                         : std::nullopt;
  const NodeSpec& relay = plan.nodes[link - 1];
  if (!relay.user_config.empty())
    return fmt::format("{}'s upstream connections are its own configuration's ({})", relay.name, relay.user_config);
  if (relay.upstream == UpstreamPolicy::pool) return fmt::format("{} pools its upstream connections", relay.name);
  // Nginx and Varnish at 1:1 open one upstream connection per request; HAProxy
  // (http-reuse never), stunnel and hopcost's relay one per downstream connection.
  if (relay.implementation == Implementation::nginx || relay.implementation == Implementation::varnish) return std::nullopt;
  return shared_connections(plan, conn, link - 1);
}

struct LoggedCount {
  uint64_t full = 0, resumed = 0;
  std::string source;
};

}  // namespace

VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeSnapshot>& before, const std::vector<NodeSnapshot>& after,
                        const Attribution& attribution, const std::optional<FloorFigures>& floors,
                        const std::vector<LoggedTls>& logged) {
  HOPCOST_CHECK(before.size() == after.size());
  VariantResult v;
  const ChainPlan plan = make_plan(variant, scenario);
  static_cast<VariantKey&>(v) = variant_key(variant, plan);
  for (const auto& l : plan.links) v.links.emplace_back(to_string(l.kind));
  v.cpu_policy = scenario.cpu_policy.text();
  v.connections = scenario.connections;

  v.requests = load.requests;
  v.warmup_extended_s = std::chrono::duration<double>(load.warmup_extension).count();
  v.connections_established = load.established_at_open;
  v.measured_s = std::chrono::duration<double>(load.measured).count();
  const double rate_window_s = std::chrono::duration<double>(load.rate_window).count();
  v.throughput_rps = rate_window_s > 0 ? static_cast<double>(load.requests) / rate_window_s : 0.0;
  v.latency_us = summary_us(load.latency_ns);
  v.network_floor_us = network_floor_us(plan, variant.conn);
  if (v.network_floor_us && load.requests > 0) v.latency_vs_network_floor = v.latency_us.p50 / *v.network_floor_us;
  v.latency_out_of_range = load.latency_ns.out_of_range();
  v.latency_histogram = load.latency_ns.buckets();
  if (variant.rate) {
    v.requested_rps = *variant.rate;
    v.uncorrected_latency_us = summary_us(load.uncorrected_ns);
    v.uncorrected_latency_histogram = load.uncorrected_ns.buckets();
  }

  auto real = [&](size_t node) { return after[node].implementation != "hopcost"; };
  std::vector<NodeCounters> d;
  uint64_t link_handshakes = 0, link_resumed = 0, handshake_cpu_ns = 0, tls_cpu_ns = 0, cpu_ns = 0;
  // Snapshots are client first, then chain order, as the plan's CPUs.
  auto cpu_of = [&](size_t i) { return i == 0 ? plan.client_cpu : i - 1 < plan.nodes.size() ? plan.nodes[i - 1].cpu : std::nullopt; };
  for (size_t i = 0; i < after.size(); ++i) {
    d.push_back(after[i].counters - before[i].counters);
    for (int k = 0; k < kErrorKinds; ++k) {
      v.errors.by_kind[k] += d[i].errors.by_kind[k];
      v.warmup_errors.by_kind[k] += before[i].counters.errors.by_kind[k];
    }
    v.exhausted += after[i].counters.exhausted;
    if (!v.first_exhausted && !after[i].first_exhausted.empty())
      v.first_exhausted = fmt::format("{}: {}", after[i].name, after[i].first_exhausted);
    // A real node's CPU sums the processes alive at each snapshot: one that exited in
    // between can take its CPU with it. Never below zero.
    const uint64_t node_cpu_ns = after[i].cpu_ns >= before[i].cpu_ns ? after[i].cpu_ns - before[i].cpu_ns : 0;
    NodeResult r;
    r.name = after[i].name;
    r.role = std::string(to_string(after[i].role));
    r.implementation = after[i].implementation;
    if (!after[i].version.empty()) r.version = after[i].version;
    r.handshakes = d[i].handshakes();
    r.handshake_cpu_us = per(us(d[i].handshake_cpu_ns()), r.handshakes);
    r.cpu_us = us(node_cpu_ns);
    r.cpu_us_per_request = per(r.cpu_us, load.requests);
    r.bytes_per_request = per(static_cast<double>(d[i].wire_bytes()), load.requests);
    r.cpu = cpu_of(i);
    r.errors = d[i].errors;
    for (int k = 0; k < kErrorKinds; ++k)
      if (d[i].errors.by_kind[k] > 0) r.first_errors[std::string(kErrorKindNames[k])] = after[i].first_errors[k];
    if (!real(i) && after[i].role != Role::client) r.guard = d[i].guard;
    if (after[i].role == Role::relay) {
      r.upstream_connections_opened = d[i].upstream_opened;
      r.upstream_reuses = d[i].upstream_reuses;
      r.upstream_retries = d[i].upstream_retries;
      r.upstream_pool_peak = after[i].counters.upstream_pool_peak;
    }
    if (real(i)) {
      // Each helper's CPU over the window (a helper missing from a snapshot counts 0 there).
      r.helpers.emplace();
      for (const auto& [process, ns] : after[i].helper_cpu_ns) {
        uint64_t start = 0;
        for (const auto& [p, b] : before[i].helper_cpu_ns)
          if (p == process) start = b;
        r.helpers->push_back({process, per(us(ns > start ? ns - start : 0), load.requests)});
      }
    }
    v.nodes.push_back(std::move(r));
    // Every link handshake has exactly one server end: counting those counts links.
    handshake_cpu_ns += d[i].handshake_cpu_ns();
    tls_cpu_ns += d[i].handshake_cpu_ns() + d[i].record_cpu_ns();
    cpu_ns += node_cpu_ns;
    // As negotiated on the first TLS link: the first node that served a handshake.
    if (!v.tls_version && after[i].negotiated) {
      v.tls_version = after[i].negotiated->version;
      v.tls_cipher = after[i].negotiated->cipher;
      v.tls_group = after[i].negotiated->group;
    }
    // Where its server end is a real program, as its client end saw it.
    if (!v.tls_version && i + 1 < after.size() && real(i + 1) && after[i].negotiated_upstream) {
      v.tls_version = after[i].negotiated_upstream->version;
      v.tls_cipher = after[i].negotiated_upstream->cipher;
      v.tls_group = after[i].negotiated_upstream->group;
    }
  }
  // A link's handshakes and bytes are counted at its server end, or at its client end
  // where the server end is a real program (it keeps no counters); none where both are.
  const bool per_link = after.size() == variant.links.size() + 1;
  auto counted_end = [&](size_t link) -> const SideCounters* {
    if (!real(link + 1)) return &d[link + 1].server;
    if (!real(link)) return &d[link].client;
    return nullptr;
  };
  // Where both ends are real programs, a program's access log may say, per measured
  // request, whether its connection on the link resumed: a count of handshakes where each
  // request has a connection of its own there. Otherwise the link stays uncounted, and why.
  std::vector<std::optional<LoggedCount>> logged_count(variant.links.size());
  std::vector<std::string> uncounted(variant.links.size(), "both ends are real programs, which keep no counters");
  if (per_link)
    for (size_t i = 1; i < variant.links.size(); ++i) {
      if (counted_end(i) || !traits(variant.links[i]).tls) continue;
      // logged[] is chain order (relays, then the origin): link i's server end is logged[i], its client end logged[i - 1].
      const LoggedTls* server = i < logged.size() ? &logged[i] : nullptr;
      const LoggedTls* client = i - 1 < logged.size() ? &logged[i - 1] : nullptr;
      const std::unordered_map<uint64_t, bool>* log = nullptr;
      std::string source;
      if (server && server->listen_resumed) {
        log = &*server->listen_resumed;
        source = server->program + "'s log (server end)";
      } else if (client && client->upstream_resumed) {
        log = &*client->upstream_resumed;
        source = client->program + "'s log (client end)";
      }
      if (!log) {
        uncounted[i] += fmt::format(", and neither logs its TLS sessions on this link ({} on its upstream end, {} on its "
                                    "listening end: only HAProxy logs both, Nginx its listening end)",
                                    after[i].implementation, after[i + 1].implementation);
        continue;
      }
      // A log says per request whether its connection resumed: a count of handshakes
      // only where each request has its own connection.
      if (const auto shared = shared_connections(plan, variant.conn, i)) {
        uncounted[i] += fmt::format("; {} says per request whether its connection resumed, but requests share "
                                    "connections on this link ({}), so that counts no handshakes",
                                    source, *shared);
        continue;
      }
      LoggedCount c{0, 0, source};
      for (const auto& sample : load.samples)
        if (const auto it = log->find(sample.request_id); it != log->end()) ++(it->second ? c.resumed : c.full);
      if (c.full + c.resumed == 0) {
        uncounted[i] += fmt::format("; {} holds none of the measured requests", source);
        continue;
      }
      link_handshakes += c.full + c.resumed;
      link_resumed += c.resumed;
      logged_count[i] = std::move(c);
    }
  if (per_link) {
    for (size_t i = 0; i < variant.links.size(); ++i)
      if (const SideCounters* c = counted_end(i)) {
        link_handshakes += c->handshakes;
        link_resumed += c->resumed;
      }
  } else {
    for (size_t i = 0; i < d.size(); ++i) {
      link_handshakes += d[i].server.handshakes;
      link_resumed += d[i].server.resumed;
    }
  }
  v.handshakes_per_request = per(static_cast<double>(link_handshakes), load.requests);
  v.handshakes_per_second = v.measured_s > 0 ? static_cast<double>(link_handshakes) / v.measured_s : 0.0;
  v.handshakes_resumed_share = per(static_cast<double>(link_resumed), link_handshakes);
  v.certificates = certificate_bill(plan);
  v.handshake_cpu_us = per(us(handshake_cpu_ns), link_handshakes);
  v.cpu_us_per_request = per(us(cpu_ns), load.requests);
  v.tls_cpu_share = cpu_ns ? static_cast<double>(tls_cpu_ns) / static_cast<double>(cpu_ns) : 0.0;
  compare_with_floors(v, floors);

  // Link i: the client end is node i (the client for link 0), the server end node i + 1.
  if (after.size() == variant.links.size() + 1) {
    for (size_t i = 0; i < variant.links.size(); ++i) {
      const SideCounters& client = d[i].client;
      static const SideCounters kNone{};
      const SideCounters* counted = counted_end(i);
      // Counts (handshakes, bytes) at the end that keeps them; CPU at each end.
      const SideCounters& server = counted ? *counted : kNone;
      const SideCounters& server_cpu = d[i + 1].server;
      LinkResult l;
      l.client_end = after[i].implementation;
      l.server_end = after[i + 1].implementation;
      if (counted) l.counted_at = counted == &d[i + 1].server ? "server end" : "client end";
      if (logged_count[i]) l.counted_at = logged_count[i]->source;
      if (!counted && !logged_count[i]) l.uncounted_reason = uncounted[i];
      l.link = static_cast<int>(i);
      l.kind = std::string(to_string(variant.links[i]));
      l.rtt_us = v.link_rtt_us[i];
      if (traits(variant.links[i]).tls) {
        const LinkSpec& spec = plan.links[i];
        l.key_type = std::string(to_string(spec.key));
        l.mtls = spec.mtls;
        // At the link's server end, or its client end where the server is a real program.
        if (after[i + 1].negotiated)
          l.tls_group = after[i + 1].negotiated->group;
        else if (after[i].negotiated_upstream)
          l.tls_group = after[i].negotiated_upstream->group;
        // Failed handshakes, at each end, and the reason. A node keeps one first text per
        // error kind for both its sides; a relay's upstream (client-side) texts start
        // with "upstream handshake: ", so a text is taken only from the side of this link
        // (none rather than another link's).
        l.handshake_errors_client = d[i].client.handshake_errors;
        l.handshake_errors_server = d[i + 1].server.handshake_errors;
        constexpr std::string_view kUpstream = "upstream handshake: ";
        const auto& client_text = after[i].first_errors[static_cast<int>(ErrorKind::handshake)];
        const auto& server_text = after[i + 1].first_errors[static_cast<int>(ErrorKind::handshake)];
        const bool client_side = i == 0 || client_text.rfind(kUpstream, 0) == 0;
        const bool server_side = server_text.rfind(kUpstream, 0) != 0;
        if (l.handshake_errors_client && client_side && !client_text.empty())
          l.handshake_error = client_text.rfind(kUpstream, 0) == 0 ? client_text.substr(kUpstream.size()) : client_text;
        else if (l.handshake_errors_server && server_side && !server_text.empty())
          l.handshake_error = server_text;
      }
      if (i < attribution.added_us.size()) l.added_latency_us = attribution.added_us[i];
      if (i < attribution.added_own_us.size()) l.added_latency_own_us = attribution.added_own_us[i];
      if (i < attribution.unknown_reason.size()) l.unknown_reason = attribution.unknown_reason[i];
      if (i < attribution.resolution_ns.size())
        l.added_latency_resolution_us = static_cast<double>(attribution.resolution_ns[i]) / 1000.0;
      for (const auto& j : attribution.joint)
        if (j.first_hop == i) {
          l.added_latency_joint_us = j.added_us;
          l.joint_last_link = static_cast<int>(std::min(j.last_hop, variant.links.size() - 1));
          l.joint_includes_origin = j.last_hop == variant.links.size();
        }
      l.handshake_cpu_us_client = per(us(client.handshake_cpu_ns), client.handshakes);
      l.handshake_cpu_us_server = per(us(server_cpu.handshake_cpu_ns), server_cpu.handshakes);
      l.handshake_bytes = per(static_cast<double>(server.handshake_bytes), server.handshakes);
      if (traits(variant.links[i]).tls) {
        l.resume = plan.links[i].resume;
        // Full is what did not resume: a refused resumption, or one with no session to
        // offer, counts as the full handshake it was (tls_stream.cpp).
        const uint64_t full = server.handshakes - server.resumed, client_full = client.handshakes - client.resumed;
        l.handshakes_full = per(static_cast<double>(full), load.requests);
        l.handshakes_resumed = per(static_cast<double>(server.resumed), load.requests);
        if (logged_count[i]) {
          l.handshakes_full = per(static_cast<double>(logged_count[i]->full), load.requests);
          l.handshakes_resumed = per(static_cast<double>(logged_count[i]->resumed), load.requests);
        }
        auto mean = [](uint64_t total, uint64_t n, double scale) -> std::optional<double> {
          if (n == 0) return std::nullopt;
          return static_cast<double>(total) * scale / static_cast<double>(n);
        };
        l.handshake_bytes_full = mean(server.handshake_bytes - server.resumed_bytes, full, 1.0);
        l.handshake_bytes_resumed = mean(server.resumed_bytes, server.resumed, 1.0);
        l.handshake_cpu_us_full_client = mean(client.handshake_cpu_ns - client.resumed_cpu_ns, client_full, 1e-3);
        l.handshake_cpu_us_full_server = mean(server_cpu.handshake_cpu_ns - server_cpu.resumed_cpu_ns,
                                              server_cpu.handshakes - server_cpu.resumed, 1e-3);
        l.handshake_cpu_us_resumed_client = mean(client.resumed_cpu_ns, client.resumed, 1e-3);
        l.handshake_cpu_us_resumed_server = mean(server_cpu.resumed_cpu_ns, server_cpu.resumed, 1e-3);
        l.sessions_offered = per(static_cast<double>(client.sessions_offered), load.requests);
        l.early_data_accepted = per(static_cast<double>(client.early_accepted), load.requests);
        l.early_data_rejected = per(static_cast<double>(client.early_rejected), load.requests);
      }
      l.bytes_per_request = per(static_cast<double>(server.wire_bytes), load.requests);
      l.overhead_bytes_per_request = per(static_cast<double>(server.wire_bytes - server.app_bytes), load.requests);
      if (floors && !traits(variant.links[i]).tls && attribution.samples > 0 && !l.unknown_reason) {
        const double rtt = traits(variant.links[i]).transport == Transport::tcp ? floors->loopback_tcp_rtt_us
                                                                                 : floors->loopback_uds_rtt_us;
        if (rtt > 0) l.added_latency_vs_floor = l.added_latency_us.p50 / rtt;
      }
      v.per_hop.push_back(std::move(l));
    }
  }
  v.origin_us = attribution.origin_us;
  v.origin_unknown_reason = attribution.origin_unknown_reason;
  v.attribution_samples = attribution.samples;
  v.attribution_negative = attribution.negative;
  const uint64_t minimum = scenario.requests ? std::min(scenario.requests, kMinMeasuredRequests) : kMinMeasuredRequests;
  if (v.requests < minimum || v.measured_s <= 0) {
    v.failure = fmt::format("{} requests succeeded in the measured interval ({:.3f} s), fewer than the minimum of {}{}",
                            v.requests, v.measured_s, minimum,
                            v.errors.total() ? fmt::format("; {} errors were counted in it", v.errors.total()) : "");
    // Where handshakes failed says why.
    for (const auto& l : v.per_hop)
      if (l.handshake_error) {
        *v.failure += fmt::format("; handshakes fail on link {} ({} to {}): {}", l.link, v.nodes[static_cast<size_t>(l.link)].name,
                                  v.nodes[static_cast<size_t>(l.link) + 1].name, *l.handshake_error);
        break;
      }
  }
  return v;
}

void add_instructions(VariantResult& v, const std::map<std::string, InstructionCounts>& counts) {
  if (counts.empty()) return;
  uint64_t total = 0, handshake = 0, link_handshakes = 0;
  for (auto& n : v.nodes) {
    const auto it = counts.find(n.name);
    if (it == counts.end()) continue;
    n.instructions_per_request = per(static_cast<double>(it->second.total), v.requests);
    if (n.handshakes) n.instructions_per_handshake = per(static_cast<double>(it->second.handshake), n.handshakes);
    total += it->second.total;
    handshake += it->second.handshake;
  }
  v.instructions_per_request = per(static_cast<double>(total), v.requests);
  // As for handshake CPU: every link handshake has one server end and one client end.
  // handshakes_per_request was computed as link handshakes / requests: this recovers the
  // count exactly (llround absorbs the division's rounding).
  link_handshakes = static_cast<uint64_t>(std::llround(v.handshakes_per_request * static_cast<double>(v.requests)));
  if (link_handshakes) v.handshake_instructions = per(static_cast<double>(handshake), link_handshakes);
}

}  // namespace hopcost
