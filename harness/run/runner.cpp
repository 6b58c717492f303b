#include "run/runner.hpp"

#include "metrics/cpu_clock.hpp"
#include "topologies/chain.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {
double per(double total, uint64_t count) { return count ? total / static_cast<double>(count) : 0.0; }
}  // namespace

VariantResult summarize(const Variant& variant, const Scenario& scenario, const LoadResult& load,
                        const std::vector<NodeSnapshot>& before, const std::vector<NodeSnapshot>& after) {
  HOPCOST_CHECK(before.size() == after.size());
  VariantResult v;
  v.topology = variant.topology.name();
  for (auto kind : variant.links) v.links.emplace_back(to_string(kind));
  v.hops = variant.hops();
  v.tls = std::string(to_string(variant.tls));
  v.conn = std::string(to_string(variant.conn));
  v.placement = std::string(to_string(variant.placement));
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
  for (size_t i = 0; i < after.size(); ++i) {
    const NodeCounters d = after[i].counters - before[i].counters;
    const uint64_t node_cpu_ns = after[i].cpu_ns - before[i].cpu_ns;
    NodeResult r;
    r.name = after[i].name;
    r.role = std::string(to_string(after[i].role));
    r.handshakes = d.handshakes();
    r.handshake_cpu_us = per(static_cast<double>(d.handshake_cpu_ns()) / 1000.0, r.handshakes);
    r.cpu_us = static_cast<double>(node_cpu_ns) / 1000.0;
    r.cpu_us_per_request = per(r.cpu_us, load.requests);
    r.bytes_read = d.bytes_read;
    r.bytes_written = d.bytes_written;
    r.errors = d.errors;
    for (int k = 0; k < kErrorKinds; ++k)
      if (d.errors.by_kind[k] > 0) r.first_errors[std::string(kErrorKindNames[k])] = after[i].first_errors[k];
    v.nodes.push_back(std::move(r));
    // Every link handshake has exactly one server end: counting those counts links.
    link_handshakes += d.handshakes_server;
    handshake_cpu_ns += d.handshake_cpu_ns();
    cpu_ns += node_cpu_ns;
    // As negotiated on the first TLS link: the first node that served a handshake.
    if (!v.tls_version && after[i].negotiated) {
      v.tls_version = after[i].negotiated->version;
      v.tls_cipher = after[i].negotiated->cipher;
      v.tls_group = after[i].negotiated->group;
    }
  }
  v.handshakes_per_request = per(static_cast<double>(link_handshakes), load.requests);
  v.handshake_cpu_us = per(static_cast<double>(handshake_cpu_ns) / 1000.0, link_handshakes);
  v.cpu_us_per_request = per(static_cast<double>(cpu_ns) / 1000.0, load.requests);
  return v;
}

VariantResult run_variant(const Variant& variant, const Scenario& scenario, const Pki& pki) {
  const auto chain = build_chain(ChainSpec{variant.links, variant.tls, scenario.response_bytes}, variant.placement, pki);
  NodeStats client;
  const auto client_cpu = ThreadCpuClock::of_this_thread();  // the driver runs on this thread
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
  std::vector<NodeSnapshot> before, after;
  std::optional<std::string> failure;
  LoadResult load;
  try {
    load = run_closed_loop(chain->entry(), settings, client, [&] { before = snapshot(); });
    after = snapshot();
  } catch (const RunError& e) {
    failure = e.what();
  }
  chain->stop();
  if (failure) {
    VariantResult v = summarize(variant, scenario, load, {}, {});
    v.failure = failure;
    return v;
  }
  return summarize(variant, scenario, load, before, after);
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
