#include "run/runner.hpp"

#include "metrics/cpu_clock.hpp"
#include "topologies/chain.hpp"

namespace hopcost {
namespace {

double per(double total, uint64_t count) { return count ? total / static_cast<double>(count) : 0.0; }

struct Snapshot {
  NodeCounters counters;
  uint64_t cpu_ns = 0;
};

}  // namespace

VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeDelta>& nodes, const std::optional<Negotiated>& negotiated) {
  VariantResult v;
  v.topology = variant.topology.name();
  for (auto kind : variant.links) v.links.emplace_back(to_string(kind));
  v.hops = variant.hops();
  v.tls = std::string(to_string(variant.tls));
  if (negotiated) {
    v.tls_version = negotiated->version;
    v.tls_cipher = negotiated->cipher;
    v.tls_group = negotiated->group;
  }
  v.conn = std::string(to_string(variant.conn));
  v.connections = scenario.connections;

  v.requests = load.requests;
  v.errors = load.errors;
  v.measured_s = std::chrono::duration<double>(load.measured).count();
  v.throughput_rps = v.measured_s > 0 ? static_cast<double>(load.requests) / v.measured_s : 0.0;
  const auto& h = load.latency_ns;
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  v.latency_us = {us(h.value_at_percentile(50)), us(h.value_at_percentile(90)), us(h.value_at_percentile(99)),
                  us(h.value_at_percentile(99.9)), us(h.max()), h.mean() / 1000.0};
  v.latency_out_of_range = h.out_of_range();

  uint64_t link_handshakes = 0, handshake_cpu_ns = 0, cpu_ns = 0;
  for (const auto& n : nodes) {
    NodeResult r;
    r.name = n.name;
    r.role = n.role;
    r.handshakes = n.counters.handshakes();
    r.handshake_cpu_us = per(static_cast<double>(n.counters.handshake_cpu_ns()) / 1000.0, r.handshakes);
    r.cpu_us = static_cast<double>(n.cpu_ns) / 1000.0;
    r.cpu_us_per_request = per(r.cpu_us, load.requests);
    r.bytes_read = n.counters.bytes_read;
    r.bytes_written = n.counters.bytes_written;
    r.errors = n.counters.errors;
    for (const auto& [kind, text] : n.first_errors) r.first_errors[kind] = text;
    v.nodes.push_back(std::move(r));
    // Every link handshake has exactly one server end: counting those counts links.
    link_handshakes += n.counters.handshakes_server;
    handshake_cpu_ns += n.counters.handshake_cpu_ns();
    cpu_ns += n.cpu_ns;
  }
  v.handshakes_per_request = per(static_cast<double>(link_handshakes), load.requests);
  v.handshake_cpu_us = per(static_cast<double>(handshake_cpu_ns) / 1000.0, link_handshakes);
  v.cpu_us_per_request = per(static_cast<double>(cpu_ns) / 1000.0, load.requests);
  return v;
}

VariantResult run_variant(const Variant& variant, const Scenario& scenario, const Pki& pki) {
  Chain chain(ChainSpec{variant.links, variant.tls, scenario.response_bytes}, pki);
  chain.start();
  NodeStats client;
  const auto client_cpu = ThreadCpuClock::of_this_thread();  // the driver runs on this thread

  auto snapshot = [&] {
    std::vector<Snapshot> s{{client.snapshot(), client_cpu.now_ns()}};
    for (const auto& n : chain.nodes()) s.push_back({n->stats().snapshot(), n->cpu_ns()});
    return s;
  };
  std::vector<Snapshot> before;
  LoadSettings settings;
  settings.conn = variant.conn;
  settings.connections = scenario.connections;
  settings.warmup = std::chrono::duration_cast<std::chrono::nanoseconds>(scenario.warmup);
  settings.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(scenario.duration);
  settings.timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(scenario.timeout);
  settings.request_bytes = scenario.request_bytes;
  const LoadResult load = run_closed_loop(chain.entry(), settings, client, [&] { before = snapshot(); });
  const std::vector<Snapshot> after = snapshot();

  std::vector<NodeDelta> deltas;
  std::optional<Negotiated> negotiated;
  auto add = [&](const std::string& name, Role role, const NodeStats& stats, size_t i) {
    NodeDelta d{name, std::string(to_string(role)), after[i].counters - before[i].counters,
                after[i].cpu_ns - before[i].cpu_ns, {}};
    for (int k = 0; k < kErrorKinds; ++k)
      if (d.counters.errors.by_kind[k] > 0)
        d.first_errors[std::string(kErrorKindNames[k])] = stats.first_error(static_cast<ErrorKind>(k));
    deltas.push_back(std::move(d));
    if (!negotiated) negotiated = stats.negotiated();
  };
  add("client", Role::client, client, 0);
  for (size_t i = 0; i < chain.nodes().size(); ++i) {
    const auto& n = chain.nodes()[i];
    add(n->name(), n->role(), n->stats(), i + 1);
  }
  chain.stop();
  return summarize(variant, scenario, load, deltas, negotiated);
}

Report run_scenario(const Scenario& scenario, const Progress& progress) {
  Report report;
  report.context = collect_context();
  report.scenario = scenario;
  report.warnings = context_warnings(report.context);
  const Pki pki;  // one CA for the whole run
  const auto variants = expand(scenario);
  for (size_t i = 0; i < variants.size(); ++i) {
    if (progress.started) progress.started(i, variants.size(), variants[i]);
    report.variants.push_back(run_variant(variants[i], scenario, pki));
    if (progress.finished) progress.finished(i, variants.size(), report.variants.back());
  }
  return report;
}

}  // namespace hopcost
