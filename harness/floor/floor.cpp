// Runs the micro-benchmarks of harness/bench in this process through Google Benchmark's
// own runner (iteration count, min time, repetitions), collects their results with a
// reporter of its own, and turns them into Floors.
//
// Which statistic each floor is:
// - handshakes: the CPU inside SSL_do_handshake, client + server, per full handshake, or
//   per resumed one for the *_resumed floors (bench/handshake.cpp's counters), exactly
//   what the harness's "hs CPU µs" counts on a real link; SSL object setup is excluded,
//   and kept apart as *_with_setup_cpu_us.
// - loopback RTTs: the median (p50) of every round trip of the run (bench/loopback.cpp),
//   wall time, system calls of both sides and two thread wake-ups included; the mean and
//   p99 are kept too.
// - primitives: CPU time per operation, one core.
// Each benchmark runs in several short rounds (repetitions), all on one pinned CPU; each
// figure is the median over the rounds, and its spread, (max - min) / median, is kept
// beside it and flagged above kFloorSpreadWarning.
#include "floor/floor.hpp"
#include "topologies/plan.hpp"
#include "report/reporter.hpp"
#include "topologies/cpu_policy.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sched.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>

#include "metrics/statistics.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {

std::string_view to_string(CpuPlacement p) {
  switch (p) {
    case CpuPlacement::same:
      return "same";
    case CpuPlacement::cross:
      return "cross";
    case CpuPlacement::both:
      return "both";
  }
  return "?";
}

std::optional<CpuPlacement> parse_cpu_placement(std::string_view s) {
  for (auto p : {CpuPlacement::same, CpuPlacement::cross, CpuPlacement::both})
    if (s == to_string(p)) return p;
  return std::nullopt;
}

std::string_view to_string(FloorSet s) {
  return s == FloorSet::quick ? "quick" : "full";
}

FloorOptions default_floor_options(FloorSet set) {
  FloorOptions o;
  o.set = set;
  // Google Benchmark first grows the iteration count (1, 10, 100 …) until one run lasts
  // min_time, which is the first repetition, then repeats at that count: a benchmark
  // takes about (repetitions + 1) × min_time, plus its setup. Many short rounds rather
  // than a few long ones: their median shrugs off a round that another tenant of the
  // machine slowed down, and their spread says how much that happened. quick: 4
  // benchmarks (6 with both placements) × 6 × 0.05 s, about 1.5 s (2.3 s), and each
  // handshake floor asked for besides (hopcost floor: the defaults' 3 resumed ones) about
  // 0.35 s more; full: 22 to 24 × 6 × 0.1 s, about 15 s.
  o.min_time_s = set == FloorSet::quick ? 0.05 : 0.1;
  o.repetitions = 5;
  return o;
}

namespace {

// The handshake floors registered statically (bench/handshake.cpp), by the text reports
// name them with (VariantKey::tls_configuration, resumed_configuration) and their id.
struct DefaultHandshakeFloor {
  std::string_view text, id;
  bool fixed;  // one of floor.json's fixed figures
};
constexpr DefaultHandshakeFloor kDefaultHandshakeFloors[] = {
    {"1.2 ", "tls12", true},
    {"1.3 ", "tls13", true},
    {"1.2 resumed", "tls12_resumed", false},
    {"1.2 resumed id", "tls12_resumed_id", false},
    {"1.3 resumed", "tls13_resumed", false},
};

bool default_handshake_floor_id(std::string_view id) {
  return std::any_of(std::begin(kDefaultHandshakeFloors), std::end(kDefaultHandshakeFloors),
                     [&](const DefaultHandshakeFloor& d) { return d.id == id; });
}

// A TLS link's handshake configuration; resumed ones resume as the link does (TLS 1.3 by
// tickets only).
HandshakeConfig handshake_config(const LinkSpec& link, bool resumed) {
  HandshakeConfig config;
  config.tls = TlsSettings{link.tls, true};
  config.tls.key = link.key;
  config.tls.group = link.group;
  config.tls.mtls = link.mtls;
  config.chain_depth = link.chain_depth;
  if (resumed) config.resumed = link.tls == TlsVersion::v1_2 ? link.resume_by : ResumeBy::ticket;
  return config;
}

}  // namespace

std::string handshake_floor_id(std::string_view text) {
  for (const auto& d : kDefaultHandshakeFloors)
    if (text == d.text) return std::string(d.id);
  std::string id;
  for (char c : text) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return id;
}

std::vector<std::pair<std::string, HandshakeConfig>> default_resumed_handshake_floors() {
  std::vector<std::pair<std::string, HandshakeConfig>> out;
  for (const auto& d : kDefaultHandshakeFloors) {
    if (d.fixed) continue;
    HandshakeConfig config;
    config.tls = TlsSettings{d.id.starts_with("tls12") ? TlsVersion::v1_2 : TlsVersion::v1_3, true};
    config.resumed = d.id.ends_with("_id") ? ResumeBy::id : ResumeBy::ticket;
    out.emplace_back(std::string(d.text), config);
  }
  return out;
}

std::vector<std::pair<std::string, HandshakeConfig>> handshake_floor_configs(const Scenario& scenario,
                                                                             const std::vector<Variant>& variants) {
  std::vector<std::pair<std::string, HandshakeConfig>> out;
  auto add = [&](std::string text, const HandshakeConfig& config) {
    if (std::none_of(out.begin(), out.end(), [&](const auto& h) { return h.first == text; }))
      out.emplace_back(std::move(text), config);
  };
  // Every other TLS configuration the run uses (the same on all its TLS links) gets a
  // full handshake floor of its own; every configuration a link resumes with, the
  // defaults' included, a resumed one ("1.3 resumed"). The defaults' are measured by the
  // static benchmarks (their ids are BM_Handshake/tls13_resumed …), and listed here so
  // that the run's report stores them by name too.
  for (const auto& v : variants) {
    const ChainPlan plan = make_plan(v, scenario);
    const VariantKey key = variant_key(v, plan);
    if (!key.key || key.tls_setup().find("mixed") != std::string::npos) continue;
    const auto tls_link = std::find_if(plan.links.begin(), plan.links.end(), [](const LinkSpec& l) { return traits(l.kind).tls; });
    if (!default_floor_configuration(key)) add(key.tls_configuration(), handshake_config(*tls_link, false));
    const auto resuming = std::find_if(plan.links.begin(), plan.links.end(),
                                       [](const LinkSpec& l) { return traits(l.kind).tls && l.resume && l.tickets; });
    if (resuming != plan.links.end()) add(key.resumed_configuration(), handshake_config(*resuming, true));
  }
  return out;
}

namespace {

// Where a figure comes from in a benchmark's result.
enum class Source {
  cpu_time,   // CPU time per iteration (the benchmark's thread)
  real_time,  // wall time per iteration
  counter,    // a user counter, already in the figure's unit
};

struct FigureSpec {
  std::string figure;     // name in Floors::figures; ends with its unit
  std::string benchmark;  // as registered: "BM_Function/capture_name"
  Source source;
  std::string counter = {};
  bool fixed = false;  // one of the four fixed figures: measure_floors fails without it
};

std::vector<FigureSpec> figure_specs(const FloorOptions& o, CpuPlacement rtt_placement) {
  std::vector<FigureSpec> specs;
  for (const auto& [text, config] : o.handshakes) {
    const std::string id = handshake_floor_id(text);
    if (default_handshake_floor_id(id)) continue;  // static: below
    specs.push_back({"handshake_" + id + "_cpu_us", "BM_Handshake/" + id, Source::counter, "handshake_cpu_us"});
    specs.push_back({"handshake_" + id + "_client_cpu_us", "BM_Handshake/" + id, Source::counter, "client_cpu_us"});
    specs.push_back({"handshake_" + id + "_server_cpu_us", "BM_Handshake/" + id, Source::counter, "server_cpu_us"});
  }
  // The two fixed floors always; the defaults' resumed floors when asked for (hopcost floor
  // always asks; hopcost run when a variant resumes: handshake_floor_configs).
  for (const auto& d : kDefaultHandshakeFloors) {
    if (!d.fixed && std::none_of(o.handshakes.begin(), o.handshakes.end(),
                                 [&](const auto& h) { return handshake_floor_id(h.first) == d.id; }))
      continue;
    const std::string bm = "BM_Handshake/" + std::string(d.id), name = "handshake_" + std::string(d.id);
    specs.push_back({name + "_cpu_us", bm, Source::counter, "handshake_cpu_us", d.fixed});
    specs.push_back({name + "_client_cpu_us", bm, Source::counter, "client_cpu_us"});
    specs.push_back({name + "_server_cpu_us", bm, Source::counter, "server_cpu_us"});
    specs.push_back({name + "_with_setup_cpu_us", bm, Source::cpu_time});
  }
  std::vector<CpuPlacement> placements;
  if (o.cpus != CpuPlacement::cross) placements.push_back(CpuPlacement::same);
  if (o.cpus != CpuPlacement::same) placements.push_back(CpuPlacement::cross);
  for (std::string t : {"tcp", "uds"}) {
    for (auto p : placements) {
      const std::string where = p == CpuPlacement::same ? "same_cpu" : "cross_cpu";
      const std::string bm = "BM_LoopbackRtt/" + t + "_" + where;
      const std::string name = "loopback_" + t + "_rtt_" + where;
      specs.push_back({name + "_p50_us", bm, Source::counter, "rtt_p50_us", p == rtt_placement});
      specs.push_back({name + "_p99_us", bm, Source::counter, "rtt_p99_us"});
      specs.push_back({name + "_mean_us", bm, Source::real_time});
    }
  }
  if (o.set == FloorSet::full) {
    const std::pair<const char*, const char*> primitives[] = {
        {"x25519_keygen_us", "BM_X25519/keygen"},
        {"x25519_derive_us", "BM_X25519/derive"},
        {"ecdh_p256_keygen_us", "BM_EcdhP256/keygen"},
        {"ecdh_p256_derive_us", "BM_EcdhP256/derive"},
        {"ecdsa_p256_sign_us", "BM_EcdsaP256/sign"},
        {"ecdsa_p256_verify_us", "BM_EcdsaP256/verify"},
        {"rsa2048_sign_us", "BM_Rsa2048/sign"},
        {"rsa2048_verify_us", "BM_Rsa2048/verify"},
        {"aes_128_gcm_seal_1KiB_us", "BM_AeadSeal/aes_128_gcm_1KiB"},
        {"aes_128_gcm_seal_16KiB_us", "BM_AeadSeal/aes_128_gcm_16KiB"},
        {"chacha20_poly1305_seal_1KiB_us", "BM_AeadSeal/chacha20_poly1305_1KiB"},
        {"chacha20_poly1305_seal_16KiB_us", "BM_AeadSeal/chacha20_poly1305_16KiB"},
        {"histogram_record_ns", "BM_HistogramRecord/varied"},
        {"histogram_record_constant_value_ns", "BM_HistogramRecord/constant"},
    };
    for (auto [figure, bm] : primitives) specs.push_back({figure, bm, Source::cpu_time});
  }
  return specs;
}

// Seconds → the unit that ends a figure's name.
double in_figure_unit(std::string_view figure, double seconds) {
  if (figure.ends_with("_us")) return seconds * 1e6;
  if (figure.ends_with("_ns")) return seconds * 1e9;
  HOPCOST_CHECK(!"a figure's name ends with its unit");
  return 0;
}

// One benchmark's result: per-iteration times and counters of each repetition (round),
// or why it failed.
struct Round {
  double cpu_s = 0, real_s = 0;
  std::map<std::string, double> counters;
};
struct Measured {
  std::vector<Round> rounds;
  std::string label;  // what the benchmark says about its run (negotiated suite, CPUs)
  std::string error;
  bool ok() const { return !rounds.empty(); }
};

class CollectingReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context& context) override {
    switch (context.cpu_info.scaling) {
      case benchmark::CPUInfo::ENABLED:
        scaling_ = "enabled";
        break;
      case benchmark::CPUInfo::DISABLED:
        scaling_ = "disabled";
        break;
      default:
        scaling_ = "unknown";
        break;
    }
    return true;
  }

  // Every repetition is kept; measure_floors takes their median and spread itself (the
  // aggregates Google Benchmark adds are not used).
  void ReportRuns(const std::vector<Run>& runs) override {
    if (runs.empty()) return;
    Measured& m = results_[runs.front().run_name.function_name];
    for (const Run& r : runs) {
      if (r.error_occurred) {
        if (m.error.empty()) m.error = r.error_message;
        continue;
      }
      if (r.run_type == Run::RT_Aggregate) continue;
      const double per_second = benchmark::GetTimeUnitMultiplier(r.time_unit);
      Round round{r.GetAdjustedCPUTime() / per_second, r.GetAdjustedRealTime() / per_second, {}};
      for (const auto& [name, counter] : r.counters) round.counters[name] = counter.value;
      m.rounds.push_back(std::move(round));
      m.label = r.report_label;
    }
  }

  const std::map<std::string, Measured>& results() const { return results_; }
  const std::string& scaling() const { return scaling_; }

 private:
  std::map<std::string, Measured> results_;
  std::string scaling_ = "unknown";
};

// A filter that matches exactly these benchmarks (and their /real_time suffix).
std::string filter_for(const std::vector<FigureSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& s : specs) {
    for (char c : s.benchmark)  // no regular-expression syntax in a name
      HOPCOST_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/');
    if (std::find(names.begin(), names.end(), s.benchmark) == names.end())
      names.push_back(s.benchmark);
  }
  return fmt::format("^({})(/.*)?$", fmt::join(names, "|"));
}

double r3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

}  // namespace

Floors measure_floors(const FloorOptions& options) {
  HOPCOST_CHECK(options.min_time_s > 0 && options.repetitions >= 1);
  // Google Benchmark's flags and registry are process-wide.
  static std::mutex one_at_a_time;
  const std::lock_guard lock(one_at_a_time);
  const auto started = std::chrono::steady_clock::now();

  Floors f;
  f.options = options;
  f.cpus = allowed_cpus();
  f.pinned_cpu = options.cpu ? *options.cpu : f.cpus.empty() ? 0 : f.cpus.front();
  f.context = collect_context();
  f.rtt_placement = options.cpus == CpuPlacement::cross ? CpuPlacement::cross : CpuPlacement::same;
  const auto specs = figure_specs(options, f.rtt_placement);
  for (const auto& [text, config] : options.handshakes)
    if (const std::string id = handshake_floor_id(text); !default_handshake_floor_id(id)) register_handshake_floor(id, config);

  // Every flag that matters is given, so that neither an earlier call nor the BENCHMARK_*
  // environment variables Google Benchmark reads its defaults from can change the run.
  std::vector<std::string> args = {
      "hopcost floor",
      fmt::format("--benchmark_min_time={}", options.min_time_s),
      fmt::format("--benchmark_repetitions={}", options.repetitions),
      "--benchmark_min_warmup_time=0",
      "--benchmark_enable_random_interleaving=false",
      "--benchmark_report_aggregates_only=false",
      "--benchmark_display_aggregates_only=false",
      "--benchmark_out=",
      "--benchmark_list_tests=false",
      "--v=0",
  };
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  benchmark::Initialize(&argc, argv.data());
  HOPCOST_CHECK(argc == 1);  // this Google Benchmark took every flag

  CollectingReporter reporter;
  // Every round of the single-threaded benchmarks on one CPU: a thread the scheduler
  // moves between CPUs pays for it in cache misses, and its rounds would not measure the
  // same thing. The loopback benchmarks pin their two threads themselves (same or cross).
  std::vector<FigureSpec> pinned, loopback;
  for (const auto& spec : specs) (spec.benchmark.starts_with("BM_LoopbackRtt") ? loopback : pinned).push_back(spec);
  {
    const ScopedCpuPin pin(f.pinned_cpu);
    benchmark::RunSpecifiedBenchmarks(&reporter, filter_for(pinned));
  }
  if (!loopback.empty()) benchmark::RunSpecifiedBenchmarks(&reporter, filter_for(loopback));
  f.cpu_scaling = reporter.scaling();

  for (const auto& s : specs) {
    const auto it = reporter.results().find(s.benchmark);
    if (it == reporter.results().end())
      throw RunError(fmt::format(
          "benchmark {} did not run: is harness/bench linked into this binary?", s.benchmark));
    const Measured& m = it->second;
    if (!m.label.empty()) f.labels[s.benchmark] = m.label;
    if (!m.ok()) {
      if (s.fixed) throw RunError(fmt::format("{} could not be measured: {}", s.figure, m.error.empty() ? "no result" : m.error));
      f.skipped[s.figure] = m.error;
      continue;
    }
    std::vector<double> values;
    for (const Round& round : m.rounds) {
      switch (s.source) {
        case Source::cpu_time:
          values.push_back(in_figure_unit(s.figure, round.cpu_s));
          break;
        case Source::real_time:
          values.push_back(in_figure_unit(s.figure, round.real_s));
          break;
        case Source::counter: {
          const auto c = round.counters.find(s.counter);
          HOPCOST_CHECK(c != round.counters.end());  // the benchmark and this table disagree
          HOPCOST_CHECK(s.figure.ends_with(s.counter.substr(s.counter.rfind('_'))));  // same unit
          values.push_back(c->second);
          break;
        }
      }
    }
    const double mid = median(values);
    f.figures[s.figure] = mid;
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    f.spread[s.figure] = mid > 0 ? (*hi - *lo) / mid : 0.0;
    f.rounds = std::max(f.rounds, static_cast<int>(values.size()));
  }

  const std::string where = f.rtt_placement == CpuPlacement::same ? "same_cpu" : "cross_cpu";
  f.handshake_tls12_cpu_us = f.figures.at("handshake_tls12_cpu_us");
  f.handshake_tls13_cpu_us = f.figures.at("handshake_tls13_cpu_us");
  f.loopback_tcp_rtt_us = f.figures.at("loopback_tcp_rtt_" + where + "_p50_us");
  f.loopback_uds_rtt_us = f.figures.at("loopback_uds_rtt_" + where + "_p50_us");
  f.spread["loopback_tcp_rtt_us"] = f.spread.at("loopback_tcp_rtt_" + where + "_p50_us");
  f.spread["loopback_uds_rtt_us"] = f.spread.at("loopback_uds_rtt_" + where + "_p50_us");
  f.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return f;
}

nlohmann::ordered_json floors_to_json(const Floors& f) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["schema_version"] = 1;
  j["handshake_tls12_cpu_us"] = r3(f.handshake_tls12_cpu_us);
  j["handshake_tls13_cpu_us"] = r3(f.handshake_tls13_cpu_us);
  j["loopback_tcp_rtt_us"] = r3(f.loopback_tcp_rtt_us);
  j["loopback_uds_rtt_us"] = r3(f.loopback_uds_rtt_us);
  Json figures = Json::object();
  for (const auto& [name, value] : f.figures) figures[name] = r3(value);
  j["figures"] = figures;
  Json skipped = Json::object();
  for (const auto& [name, why] : f.skipped) skipped[name] = why;
  j["skipped"] = skipped;
  Json spread = Json::object();
  for (const auto& [name, value] : f.spread) spread[name] = r3(value);
  j["spread"] = spread;
  j["measurement"] = Json{
      {"set", to_string(f.options.set)},
      {"min_time_s", f.options.min_time_s},
      {"repetitions", f.options.repetitions},
      {"statistic", f.rounds > 1 ? fmt::format("median of {} rounds", f.rounds) : std::string("one round")},
      {"spread_statistic", "(max - min) / median of the rounds"},
      {"pinned_cpu", f.pinned_cpu},
      {"cpu_placement", to_string(f.options.cpus)},
      {"loopback_rtt_placement", to_string(f.rtt_placement)},
      {"loopback_rtt_statistic",
       "p50 of every round trip, 64 bytes each way, both ends' system calls included"},
      {"handshake_statistic",
       "CPU inside SSL_do_handshake, client + server, full handshake over a BIO pair, "
       "verification on, ECDSA P-256 leaf, hopcost's own SSL_CTX settings; *_resumed: a handshake "
       "that resumed the session of an earlier one (by ticket; *_resumed_id: by session ID)"},
      {"labels", f.labels},
      {"usable_cpus", f.cpus},
      {"cpu_scaling", f.cpu_scaling},
      {"duration_s", r3(f.duration_s)},
  };
  j["context"] = context_to_json(f.context);
  return j;
}

}  // namespace hopcost
