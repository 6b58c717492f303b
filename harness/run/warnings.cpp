#include "run/warnings.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "metrics/statistics.hpp"

namespace hopcost {

std::vector<std::string> report_warnings(const Report& report) {
  std::vector<std::string> w = context_warnings(report.context);
  const auto& c = report.context;
  if (!c.cpu_governor.empty() && c.cpu_governor != "performance")
    w.push_back(fmt::format("the CPU frequency governor is '{}', not 'performance': clock speed may vary during the run",
                            c.cpu_governor));
  if (report.scenario.count_instructions)
    w.push_back("run under callgrind (--count-instructions): about 50 times slower, so times, rates and CPU figures "
                "are not representative; instruction counts are");
  // The floors the report's ratios are taken against; the cross-CPU round trips are
  // context (their spread, wake-ups included, is in report.json) and take no ratio.
  if (report.floors)
    for (const auto& [name, spread] : report.floors->spread)
      if (spread > kFloorSpreadWarning && name.find("cross_cpu") == std::string::npos)
        w.push_back(fmt::format("floor {} spread {:.0f}% over its {} rounds (more than {:.0f}%): the machine was noisy "
                                "while floors were measured, and ratios to this floor are uncertain",
                                name, 100 * spread, report.floors->rounds, 100 * kFloorSpreadWarning));
  if (std::any_of(report.variants.begin(), report.variants.end(), [](const VariantResult& v) {
        return std::any_of(v.link_rtt_us.begin(), v.link_rtt_us.end(), [](double r) { return r > 0; });
      }))
    w.push_back("with an emulated rtt, every node's CPU includes its delay line's timers (about 12-40 µs per chunk "
                "written, net/delay_line.hpp): compare CPU figures between variants of the same rtt, not across rtts");
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
    // What hopcost's nodes answered themselves, and the waits they cut short (node/guard.hpp).
    std::string guarded;
    for (const auto& n : v.nodes) {
      if (!n.guard) continue;
      std::string parts;
      for (int i = 0; i < kRefusals; ++i)
        if (n.guard->refused[i]) parts += fmt::format("{}{} x{}", parts.empty() ? "" : ", ", kRefusalStatus[i], n.guard->refused[i]);
      for (int i = 0; i < kTimeouts; ++i)
        if (n.guard->timeouts[i] && i != static_cast<int>(Timeout::idle))
          parts += fmt::format("{}{} timeout x{}", parts.empty() ? "" : ", ", kTimeoutNames[i], n.guard->timeouts[i]);
      if (!parts.empty()) guarded += fmt::format("{}{}: {}", guarded.empty() ? "" : "; ", n.name, parts);
    }
    if (!guarded.empty())
      w.push_back(fmt::format("{}: nodes answered requests themselves or cut waits short (nodes[].http_errors, "
                              "nodes[].timeouts): {}",
                              v.label(), guarded));
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
    if (v.requested_rps && *v.requested_rps > 0 && v.throughput_rps < kRateShortfall * *v.requested_rps)
      w.push_back(fmt::format("{}: achieved {:.0f} req/s of the {:.0f} offered ({:.0f}%, below 95%): the chain could not "
                              "keep up, and latency from the intended send times shows the backlog",
                              v.label(), v.throughput_rps, *v.requested_rps, 100 * v.throughput_rps / *v.requested_rps));
    // Real programs: what their CPU figure holds, and what the TLS figures leave out.
    std::string real;
    for (const auto& n : v.nodes)
      if (n.implementation != "hopcost") real += (real.empty() ? "" : ", ") + n.name + " (" + n.implementation + ")";
    if (!real.empty())
      w.push_back(fmt::format("{}: {} are real programs: their CPU is all their processes' and threads' (from /proc), "
                              "their TLS work inside it (nodes[].helpers: their helpers' share); hs CPU µs and TLS CPU "
                              "count hopcost's own nodes only, and a link's handshakes are counted at its hopcost end, "
                              "or from a program's access log where both ends are real (per_hop counted_at)",
                              v.label(), real));
    // Varnish's cache: a hit never reaches the nodes behind it.
    if (report.scenario.varnish_cache)
      for (const auto& n : v.nodes)
        if (n.implementation == "varnish")
          w.push_back(fmt::format("{}: --varnish-cache on: requests served from {}'s cache (Varnish) never reach the "
                                  "nodes behind it, so their CPU, handshakes and shares cover only the requests it "
                                  "passed",
                                  v.label(), n.name));
    // A user's own configuration: its settings are the file's.
    for (const auto& [node, file] : report.scenario.relay_config)
      for (const auto& n : v.nodes)
        if (n.name == node && (n.implementation == "haproxy" || n.implementation == "nginx"))
          w.push_back(fmt::format("{}: {} ({}) ran the configuration {} (--relay-config): its upstream policy, "
                                  "resumption and TLS settings are the file's, not those the variant names",
                                  v.label(), node, n.implementation, file));
    // Resumption asked for and not had: each such link says how far short it fell, and why.
    int uncounted = 0;
    for (const auto& l : v.per_hop) uncounted += l.uncounted_reason ? 1 : 0;
    if (uncounted > 0)
      w.push_back(fmt::format("{}: {} TLS link{} between real programs {} uncounted (per_hop[].uncounted_reason): "
                              "hs/req and handshakes_per_second count the other links only",
                              v.label(), uncounted, uncounted == 1 ? "" : "s", uncounted == 1 ? "is" : "are"));
    for (const auto& l : v.per_hop) {
      const double all = l.handshakes_full + l.handshakes_resumed;
      if (!l.resume || l.uncounted_reason || all <= 0 || l.handshakes_resumed >= 0.9 * all) continue;
      const std::string why = !report.scenario.tickets ? "--tickets off: the servers issue no tickets and keep no session cache"
                              : l.client_end != "hopcost"
                                  ? "its client end, " + l.client_end + ", did not resume them (what it offered is its own)"
                              : l.sessions_offered < 0.9 * all
                                  ? "its client end often had no session to offer (a TLS 1.3 session arrives with the "
                                    "server's tickets, after the handshake)"
                                  : "its server refused the sessions offered";
      w.push_back(fmt::format("{}: link {} resumes sessions, but only {:.0f}% of its handshakes resumed ({:.0f}% offered a "
                              "session): {}; the others were full handshakes, counted as such",
                              v.label(), l.link, 100 * l.handshakes_resumed / all, 100 * l.sessions_offered / all, why));
    }
    if (v.conn == "0rtt" && !v.per_hop.empty()) {
      const auto& l = v.per_hop.front();
      const double all = l.handshakes_full + l.handshakes_resumed, tried = l.early_data_accepted + l.early_data_rejected;
      if (report.scenario.request_bytes > 0)
        w.push_back(fmt::format("{}: requests carry a body (--request-bytes, a POST): not idempotent, so none went as "
                                "early data, and 0rtt measured resumption alone",
                                v.label()));
      else if (all > 0 && tried < 0.9 * all)
        w.push_back(fmt::format("{}: only {:.0f}% of the client's handshakes sent early data (a session allows it only "
                                "once its server said so in a ticket)",
                                v.label(), 100 * tried / all));
      if (l.early_data_rejected > 0)
        w.push_back(fmt::format("{}: the server rejected early data on {:.1f}% of requests; each was sent again after "
                                "its handshake (counted, not an error)",
                                v.label(), 100 * l.early_data_rejected));
    }
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

}  // namespace hopcost
