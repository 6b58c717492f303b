#include "run/runner.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <thread>

#include "metrics/cpu_clock.hpp"
#include "run/db_figures.hpp"
#include "topologies/chain.hpp"
#include "topologies/cpu_policy.hpp"
#include "topologies/real_node.hpp"
#include "util/errors.hpp"

namespace hopcost {

VariantResult run_variant(const Variant& variant, const Scenario& scenario, const Pki& pki,
                          const std::optional<FloorFigures>& floors, const Notice& notice) {
  const ChainPlan plan = make_plan(variant, scenario);
  const ScopedCpuPin client_pin(plan.client_cpu);  // the driver runs on this thread
  // Real programs keep their configuration in the run's directory, per variant.
  std::string keep_dir;
  if ((has_real_nodes(plan) || plan.db) && !scenario.out.empty()) {
    keep_dir = scenario.out + "/programs/";
    for (char c : variant.label()) keep_dir += std::isalnum(static_cast<unsigned char>(c)) || c == '.' ? c : '-';
  }
  const auto chain = build_chain(plan, variant.placement, pki, keep_dir);
  const auto programs = chain->programs();
  NodeStats client;
  const auto client_cpu = ThreadCpuClock::of_this_thread();
  // With a database tail, what its programs and the app counted, at the same moments.
  std::optional<DbCounts> db_before, db_after;
  auto db_counts = [&](const std::vector<NodeSnapshot>& nodes, DbChain::WindowEdge edge) -> std::optional<DbCounts> {
    const auto programs_now = chain->db_snapshot(edge);
    if (!programs_now) return std::nullopt;
    return DbCounts{*programs_now, chain->app_counters().value_or(AppCounters{}), nodes.back().counters.client};
  };
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
  settings.rate = variant.rate;
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
    db_before = db_counts(before, DbChain::WindowEdge::opening);
  };
  edges.closed = [&] {
    if (counting) {
      dump_thread_instructions(label + "client");
      chain->on_each_node_thread([&](const std::string& node) { dump_thread_instructions(label + node); });
    }
    after = snapshot();
    db_after = db_counts(after, DbChain::WindowEdge::closing);
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
    // And a node that died is the cause of whatever failed because of it: a PostgreSQL
    // killed between the snapshot's check of its programs and the query of its session
    // count fails that query first. Asking the chain again names the dead node. A process
    // killed that instant may still be exiting (its sockets closed, the query failed, but
    // not yet a zombie to reap: up to 15 ms seen on a busy machine), so it is asked for up
    // to half a second. Only a failed variant waits.
    std::vector<NodeSnapshot> now;
    const auto asked_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (true) {
      try {
        now = snapshot();
      } catch (const RunError& dead) {
        if (dead.what() != *failure) failure = fmt::format("{} (what failed first: {})", dead.what(), *failure);
        now.clear();
        break;
      }
      if (std::chrono::steady_clock::now() >= asked_until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (before.empty()) before = now.empty() ? std::vector{snapshot_of(client, "client", Role::client, client_cpu.now_ns())} : now;
    chain->stop();
    VariantResult v = summarize(variant, scenario, load, before, before, {}, floors);
    v.failure = failure;
    v.programs = programs;
    return v;
  }
  chain->stop();
  auto v = summarize(variant, scenario, load, before, after, attribute(load.samples, chain->residence()), floors,
                     chain->logged_tls());
  add_instructions(v, instructions);
  if (plan.db && db_before && db_after) add_db_tail(v, *plan.db, *db_before, *db_after, programs);
  v.programs = programs;
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
    for (const auto& run : r) report.context.programs.insert(run.programs.begin(), run.programs.end());
    report.variants.push_back(aggregate(std::move(r)));
    compare_with_floors(report.variants.back(), floors);  // of the median, not of one repeat
  }
  report.marginal_tls_hop = marginal_tls_hop(report.variants);
  report.warnings = report_warnings(report);
  return report;
}

}  // namespace hopcost
