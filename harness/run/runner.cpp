#include "run/runner.hpp"

#include <pthread.h>
#include <sched.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numeric>

#include "metrics/cpu_clock.hpp"
#include "run/network_floor.hpp"
#include "topologies/chain.hpp"
#include "topologies/cpu_policy.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

double per(double total, uint64_t count) { return count ? total / static_cast<double>(count) : 0.0; }
double us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

LatencySummary summary_us(const Histogram& h) {
  return {us(h.value_at_percentile(50)), us(h.value_at_percentile(90)), us(h.value_at_percentile(99)),
          us(h.value_at_percentile(99.9)), us(h.max()), h.mean() / 1000.0};
}

// A headline figure of a result, by its JSON name.
double& figure(VariantResult& v, std::string_view name) {
  if (name == "throughput_rps") return v.throughput_rps;
  if (name == "latency_us.p50") return v.latency_us.p50;
  if (name == "latency_us.p99") return v.latency_us.p99;
  if (name == "cpu_us_per_request") return v.cpu_us_per_request;
  if (name == "handshake_cpu_us") return v.handshake_cpu_us;
  if (name == "handshakes_per_request") return v.handshakes_per_request;
  if (name == "tls_cpu_share") return v.tls_cpu_share;
  HOPCOST_CHECK(false && "a headline figure without an accessor");
}

int tls_links(const VariantResult& v) {
  return static_cast<int>(std::count_if(v.links.begin(), v.links.end(), [](const std::string& k) {
    const auto kind = parse_link_kind(k);
    return kind && traits(*kind).tls;
  }));
}


}  // namespace

void compare_with_floors(VariantResult& v, const std::optional<FloorFigures>& floors) {
  v.handshake_cpu_vs_floor.reset();
  if (!floors || v.handshake_cpu_us <= 0) return;
  const double floor =
      parse_tls_version(v.tls) == TlsVersion::v1_2 ? floors->handshake_tls12_cpu_us : floors->handshake_tls13_cpu_us;
  if (floor > 0) v.handshake_cpu_vs_floor = v.handshake_cpu_us / floor;
}

VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeSnapshot>& before, const std::vector<NodeSnapshot>& after,
                        const Attribution& attribution, const std::optional<FloorFigures>& floors) {
  HOPCOST_CHECK(before.size() == after.size());
  VariantResult v;
  const ChainPlan plan = make_plan(variant, scenario);
  static_cast<VariantKey&>(v) = variant_key(variant, plan);
  for (const auto& l : plan.links) {
    v.links.emplace_back(to_string(l.kind));
    v.link_rtt_us.push_back(std::chrono::duration<double, std::micro>(l.rtt).count());
  }
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
  if (scenario.rate) {
    v.requested_rps = *scenario.rate;
    v.uncorrected_latency_us = summary_us(load.uncorrected_ns);
  }

  std::vector<NodeCounters> d;
  uint64_t link_handshakes = 0, handshake_cpu_ns = 0, tls_cpu_ns = 0, cpu_ns = 0;
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
    const uint64_t node_cpu_ns = after[i].cpu_ns - before[i].cpu_ns;
    NodeResult r;
    r.name = after[i].name;
    r.role = std::string(to_string(after[i].role));
    r.handshakes = d[i].handshakes();
    r.handshake_cpu_us = per(us(d[i].handshake_cpu_ns()), r.handshakes);
    r.cpu_us = us(node_cpu_ns);
    r.cpu_us_per_request = per(r.cpu_us, load.requests);
    r.bytes_per_request = per(static_cast<double>(d[i].wire_bytes()), load.requests);
    r.cpu = cpu_of(i);
    r.errors = d[i].errors;
    for (int k = 0; k < kErrorKinds; ++k)
      if (d[i].errors.by_kind[k] > 0) r.first_errors[std::string(kErrorKindNames[k])] = after[i].first_errors[k];
    v.nodes.push_back(std::move(r));
    // Every link handshake has exactly one server end: counting those counts links.
    link_handshakes += d[i].server.handshakes;
    handshake_cpu_ns += d[i].handshake_cpu_ns();
    tls_cpu_ns += d[i].handshake_cpu_ns() + d[i].record_cpu_ns();
    cpu_ns += node_cpu_ns;
    // As negotiated on the first TLS link: the first node that served a handshake.
    if (!v.tls_version && after[i].negotiated) {
      v.tls_version = after[i].negotiated->version;
      v.tls_cipher = after[i].negotiated->cipher;
      v.tls_group = after[i].negotiated->group;
    }
  }
  v.handshakes_per_request = per(static_cast<double>(link_handshakes), load.requests);
  v.handshake_cpu_us = per(us(handshake_cpu_ns), link_handshakes);
  v.cpu_us_per_request = per(us(cpu_ns), load.requests);
  v.tls_cpu_share = cpu_ns ? static_cast<double>(tls_cpu_ns) / static_cast<double>(cpu_ns) : 0.0;
  compare_with_floors(v, floors);

  // Link i: the client end is node i (the client for link 0), the server end node i + 1.
  if (after.size() == variant.links.size() + 1) {
    for (size_t i = 0; i < variant.links.size(); ++i) {
      const SideCounters& client = d[i].client;
      const SideCounters& server = d[i + 1].server;
      LinkResult l;
      l.link = static_cast<int>(i);
      l.kind = std::string(to_string(variant.links[i]));
      l.rtt_us = v.link_rtt_us[i];
      if (i < attribution.added_us.size()) l.added_latency_us = attribution.added_us[i];
      if (i < attribution.added_own_us.size()) l.added_latency_own_us = attribution.added_own_us[i];
      l.handshake_cpu_us_client = per(us(client.handshake_cpu_ns), client.handshakes);
      l.handshake_cpu_us_server = per(us(server.handshake_cpu_ns), server.handshakes);
      l.handshake_bytes = per(static_cast<double>(server.handshake_bytes), server.handshakes);
      l.bytes_per_request = per(static_cast<double>(server.wire_bytes), load.requests);
      l.overhead_bytes_per_request = per(static_cast<double>(server.wire_bytes - server.app_bytes), load.requests);
      if (floors && !traits(variant.links[i]).tls && attribution.samples > 0) {
        const double rtt = traits(variant.links[i]).transport == Transport::tcp ? floors->loopback_tcp_rtt_us
                                                                                 : floors->loopback_uds_rtt_us;
        if (rtt > 0) l.added_latency_vs_floor = l.added_latency_us.p50 / rtt;
      }
      v.per_hop.push_back(std::move(l));
    }
  }
  v.origin_us = attribution.origin_us;
  v.attribution_samples = attribution.samples;
  v.attribution_negative = attribution.negative;
  const uint64_t minimum = scenario.requests ? std::min(scenario.requests, kMinMeasuredRequests) : kMinMeasuredRequests;
  if (v.requests < minimum || v.measured_s <= 0)
    v.failure = fmt::format("{} requests succeeded in the measured interval ({:.3f} s), fewer than the minimum of {}{}",
                            v.requests, v.measured_s, minimum,
                            v.errors.total() ? fmt::format("; {} errors were counted in it", v.errors.total()) : "");
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

VariantResult aggregate(std::vector<VariantResult> runs) {
  HOPCOST_CHECK(!runs.empty());
  ErrorCounts errors, warmup_errors;
  uint64_t requests = 0, exhausted = 0;
  for (const auto& r : runs) {
    requests += r.requests;
    exhausted += r.exhausted;
    for (int k = 0; k < kErrorKinds; ++k) {
      errors.by_kind[k] += r.errors.by_kind[k];
      warmup_errors.by_kind[k] += r.warmup_errors.by_kind[k];
    }
  }
  const auto first_exhausted =
      std::find_if(runs.begin(), runs.end(), [](const VariantResult& r) { return r.first_exhausted.has_value(); });
  const auto failed = std::find_if(runs.begin(), runs.end(), [](const VariantResult& r) { return r.failure; });
  std::vector<size_t> order(runs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return runs[a].latency_us.p50 < runs[b].latency_us.p50; });
  VariantResult out = failed != runs.end() ? *failed : runs[order[(order.size() - 1) / 2]];
  out.requests = requests;
  out.errors = errors;
  out.warmup_errors = warmup_errors;
  out.exhausted = exhausted;
  if (first_exhausted != runs.end()) out.first_exhausted = first_exhausted->first_exhausted;
  out.repeats = static_cast<int>(runs.size());
  if (runs.size() > 1 && !out.failure) {
    for (const char* name : kHeadlineFigures) {
      std::vector<double> values;
      for (auto& r : runs) values.push_back(figure(r, name));
      figure(out, name) = median(values);
      if (const auto ci = mean_ci95(values)) out.ci95[name] = *ci;
      out.repeat_values[name] = std::move(values);
    }
  }
  return out;
}

std::vector<Marginal> marginal_tls_hop(const std::vector<VariantResult>& variants) {
  // Groups: variants that differ only in topology and hops.
  using Group = std::tuple<std::string, std::string, std::string, std::optional<std::string>, std::optional<double>>;
  std::map<Group, std::vector<const VariantResult*>> groups;
  for (const auto& v : variants)
    if (!v.failure && v.requests > 0 && v.upstream) groups[{v.placement, v.tls, v.conn, v.upstream, v.rtt_us}].push_back(&v);
  // A chain without relays is the same under every upstream policy: it belongs to each group.
  for (const auto& v : variants) {
    if (v.failure || v.requests == 0 || v.upstream) continue;
    bool placed = false;
    for (auto& [key, members] : groups)
      if (std::get<0>(key) == v.placement && std::get<1>(key) == v.tls && std::get<2>(key) == v.conn &&
          std::get<4>(key) == v.rtt_us) {
        members.push_back(&v);
        placed = true;
      }
    if (!placed) groups[{v.placement, v.tls, v.conn, std::nullopt, v.rtt_us}].push_back(&v);
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
    std::tie(m.placement, m.tls, m.conn, m.upstream, m.rtt_us) = key;
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

std::vector<std::string> report_warnings(const Report& report) {
  std::vector<std::string> w = context_warnings(report.context);
  const auto& c = report.context;
  if (!c.cpu_governor.empty() && c.cpu_governor != "performance")
    w.push_back(fmt::format("the CPU frequency governor is '{}', not 'performance': clock speed may vary during the run",
                            c.cpu_governor));
  if (report.scenario.count_instructions)
    w.push_back("run under callgrind (--count-instructions): about 50 times slower, so times, rates and CPU figures "
                "are not representative; instruction counts are");
  if (report.floors)
    for (const auto& [name, spread] : report.floors->spread)
      if (spread > kFloorSpreadWarning)
        w.push_back(fmt::format("floor {} spread {:.0f}% over its {} rounds (more than {:.0f}%): the machine was noisy "
                                "while floors were measured, and ratios to this floor are uncertain",
                                name, 100 * spread, report.floors->rounds, 100 * kFloorSpreadWarning));
  int most_nodes = 0;
  for (const auto& v : report.variants) most_nodes = std::max(most_nodes, v.hops + 1);
  if (report.scenario.cpu_policy.kind == CpuPolicy::Kind::spread && c.cores > 0 && most_nodes > c.cores)
    w.push_back(fmt::format("up to {} busy node threads (client included) share {} cores: latency includes waiting for "
                            "a CPU and waking one (docs/cpu-placement.md)",
                            most_nodes, c.cores));
  // First: nodes that ran out of file descriptors or memory make every figure suspect.
  for (const auto& v : report.variants)
    if (v.exhausted > 0)
      w.insert(w.begin(), fmt::format("{}: nodes ran out of file descriptors or memory: {} errors, the first: {}", v.label(),
                                      v.exhausted, v.first_exhausted.value_or("?")));
  for (const auto& v : report.variants) {
    if (v.warmup_errors.total() > 0) {
      std::string kinds;
      for (int k = 0; k < kErrorKinds; ++k)
        if (v.warmup_errors.by_kind[k])
          kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", kErrorKindNames[k], v.warmup_errors.by_kind[k]);
      w.push_back(fmt::format("{}: {} errors during warm-up ({}), not counted in the figures", v.label(),
                              v.warmup_errors.total(), kinds));
    }
    if (v.connections_established && *v.connections_established < v.connections)
      w.push_back(fmt::format("{}: only {} of {} keep-alive connections were open when the window opened (the others "
                              "had failed): the window includes reconnections and their handshakes",
                              v.label(), *v.connections_established, v.connections));
    if (v.failure) continue;
    if (v.handshake_cpu_vs_floor && *v.handshake_cpu_vs_floor < 1.0)
      w.push_back(fmt::format("{}: handshake CPU is {:.2f}x its floor, below 1: a handshake in the chain does at least "
                              "the floor's work, so the machine was slower while the floor was measured than during "
                              "the run",
                              v.label(), *v.handshake_cpu_vs_floor));
    // Failed requests are the client's errors; the relays' and the origin's count the same
    // failures again where they happened.
    const uint64_t failed = v.nodes.empty() ? v.errors.total() : v.nodes.front().errors.total();
    const uint64_t attempts = v.requests + failed;
    if (attempts > 0 && failed * 100 > attempts)
      w.push_back(fmt::format("{}: {:.1f}% of requests failed", v.label(),
                              100.0 * static_cast<double>(failed) / static_cast<double>(attempts)));
    if (v.attribution_negative > 0)
      w.push_back(fmt::format("{}: {} per-hop shares were below zero and counted as 0: the per-hop figures do not add "
                              "up exactly",
                              v.label(), v.attribution_negative));
    if (v.requested_rps && v.throughput_rps < 0.95 * *v.requested_rps)
      w.push_back(fmt::format("{}: achieved {:.0f} req/s, below 95% of the {:.0f} req/s asked for: the chain could not "
                              "keep up, and latency from the intended send times shows the backlog",
                              v.label(), v.throughput_rps, *v.requested_rps));
    std::string wide;
    for (const auto& [name, ci] : v.ci95) {
      const auto it = v.repeat_values.find(name);
      const double mid = it == v.repeat_values.end() ? 0 : median(it->second);
      if (mid > 0 && ci.width() > 0.2 * mid) wide += fmt::format("{}{} {:.0f}%", wide.empty() ? "" : ", ", name, 100 * ci.width() / mid);
    }
    if (!wide.empty())
      w.push_back(fmt::format("{}: 95% intervals wider than 20% of the median ({}): more repeats or a longer duration "
                              "would narrow them",
                              v.label(), wide));
  }
  return w;
}

VariantResult run_variant(const Variant& variant, const Scenario& scenario, const Pki& pki,
                          const std::optional<FloorFigures>& floors, const Notice& notice) {
  const ChainPlan plan = make_plan(variant, scenario);
  const ScopedCpuPin client_pin(plan.client_cpu);  // the driver runs on this thread
  const auto chain = build_chain(plan, variant.placement, pki);
  NodeStats client;
  const auto client_cpu = ThreadCpuClock::of_this_thread();
  auto snapshot = [&] {
    std::vector<NodeSnapshot> s{snapshot_of(client, "client", Role::client, client_cpu.now_ns())};
    for (auto& n : chain->snapshot()) s.push_back(std::move(n));
    return s;
  };

  LoadSettings settings;
  settings.conn = variant.conn;
  settings.connections = scenario.connections;
  settings.warmup = std::chrono::duration_cast<std::chrono::nanoseconds>(scenario.warmup);
  settings.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(scenario.duration);
  settings.timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(scenario.timeout);
  settings.request_bytes = scenario.request_bytes;
  settings.rate = scenario.rate;
  settings.requests = scenario.requests;
  settings.notice = notice;
  std::vector<NodeSnapshot> before, after;
  std::optional<std::string> failure;
  LoadResult load;
  // --count-instructions: each node's thread (and this one, the client's) zeroes its
  // callgrind counters when the interval opens and dumps them when it closes.
  const bool counting = scenario.count_instructions && under_callgrind();
  static int dumps = 0;
  const std::string label = fmt::format("hopcost-{}:", ++dumps);
  std::map<std::string, InstructionCounts> instructions;
  WindowEdges edges;
  edges.opened = [&] {
    if (counting) {
      chain->on_each_node_thread([](const std::string&) { zero_thread_instructions(); });
      zero_thread_instructions();
    }
    before = snapshot();
  };
  edges.closed = [&] {
    if (counting) {
      dump_thread_instructions(label + "client");
      chain->on_each_node_thread([&](const std::string& node) { dump_thread_instructions(label + node); });
    }
    after = snapshot();
  };
  try {
    load = run_closed_loop(chain->entry(), settings, client, edges);
    if (counting)
      if (const char* prefix = std::getenv(kCallgrindPrefixEnv)) instructions = take_instruction_dumps(prefix, label);
  } catch (const RunError& e) {
    failure = e.what();
  }
  if (failure) {
    // What was counted before the failure still tells why: warm-up errors, exhaustion.
    // A dead node's counters are gone with it: then the client's own are all there is.
    if (before.empty()) {
      try {
        before = snapshot();
      } catch (const RunError&) {
        before = {snapshot_of(client, "client", Role::client, client_cpu.now_ns())};
      }
    }
    chain->stop();
    VariantResult v = summarize(variant, scenario, load, before, before, {}, floors);
    v.failure = failure;
    return v;
  }
  chain->stop();
  auto v = summarize(variant, scenario, load, before, after, attribute(load.samples, chain->residence()), floors);
  add_instructions(v, instructions);
  return v;
}

Report run_scenario(const Scenario& scenario, const Progress& progress, const std::optional<FloorFigures>& floors) {
  Report report;
  report.context = collect_context();
  report.scenario = scenario;
  report.floors = floors;
  const Pki pki;  // one CA for the whole run
  const auto variants = expand(scenario);
  // Interleaved: every variant once, then every variant again, so that a drift of the
  // machine (another tenant, a throttled CPU) spreads over all variants alike.
  std::vector<std::vector<VariantResult>> runs(variants.size());
  for (int r = 0; r < scenario.repeat; ++r) {
    for (size_t i = 0; i < variants.size(); ++i) {
      if (progress.started) progress.started(i, variants.size(), r, variants[i]);
      runs[i].push_back(run_variant(variants[i], scenario, pki, floors, progress.notice));
      if (progress.finished) progress.finished(i, variants.size(), r, runs[i].back());
    }
  }
  for (auto& r : runs) {
    report.variants.push_back(aggregate(std::move(r)));
    compare_with_floors(report.variants.back(), floors);  // of the median, not of one repeat
  }
  report.marginal_tls_hop = marginal_tls_hop(report.variants);
  report.warnings = report_warnings(report);
  return report;
}

}  // namespace hopcost
