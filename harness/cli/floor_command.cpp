#include "cli/floor_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "floor/floor.hpp"
#include "topologies/cpu_policy.hpp"
#include "report/reporter.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

// "handshake_tls13_cpu_us" → {"handshake_tls13_cpu", "µs"}
std::pair<std::string, std::string> split_unit(const std::string& figure) {
  if (figure.ends_with("_us")) return {figure.substr(0, figure.size() - 3), "µs"};
  if (figure.ends_with("_ns")) return {figure.substr(0, figure.size() - 3), "ns"};
  return {figure, ""};
}

std::string table(const Floors& f) {
  // Wide enough for the longest name (a scenario's configurations can be long).
  size_t name_width = 48;
  for (const auto& [figure, value] : f.figures) name_width = std::max(name_width, split_unit(figure).first.size());
  for (const auto& [figure, why] : f.skipped) name_width = std::max(name_width, split_unit(figure).first.size());
  std::string out = fmt::format("{:<{}} {:>10}  {:<4}  {}\n", "figure", name_width, "value", "unit", "spread");
  auto row = [&](const std::string& figure, double value) {
    const auto [name, unit] = split_unit(figure);
    const auto spread = f.spread.find(figure);
    out += fmt::format("{:<{}} {:>10.2f}  {:<4}  {}\n", name, name_width, value, unit,
                       spread == f.spread.end() ? std::string("-")
                                                : fmt::format("{:.1f}%{}", 100 * spread->second,
                                                              spread->second > kFloorSpreadWarning ? "  (over 10%: noisy)" : ""));
  };
  const std::pair<const char*, double> fixed[] = {
      {"handshake_tls12_cpu_us", f.handshake_tls12_cpu_us},
      {"handshake_tls13_cpu_us", f.handshake_tls13_cpu_us},
      {"loopback_tcp_rtt_us", f.loopback_tcp_rtt_us},
      {"loopback_uds_rtt_us", f.loopback_uds_rtt_us},
  };
  std::set<std::string> shown;
  for (auto [figure, value] : fixed) {
    row(figure, value);
    shown.insert(figure);
  }
  out += "\n";
  for (const auto& [figure, value] : f.figures)
    if (!shown.contains(figure)) row(figure, value);
  for (const auto& [figure, why] : f.skipped)
    out +=
        fmt::format("{:<{}} {:>10}  skipped: {}\n", split_unit(figure).first, name_width, "-", why);
  return out;
}

std::string placement_text(const Floors& f) {
  if (f.cpus.empty()) return "";
  const std::string same = fmt::format("both threads on CPU {}", f.cpus[0]);
  const std::string cross =
      f.cpus.size() > 1 ? fmt::format("threads on CPUs {} and {}", f.cpus[0], f.cpus[1]) : "";
  return f.rtt_placement == CpuPlacement::same ? same : cross;
}

}  // namespace

void register_floor_command(CLI::App& parent, FloorCommand& c) {
  c.app = parent.add_subcommand("floor", "Measure the crypto and loopback floors of this machine");
  c.app->add_flag(
      "--full", c.full,
      "Every micro-benchmark (key exchange, signatures, AEAD, Histogram::record), not only the "
      "handshakes and loopback round trips");
  c.app->add_option("--out", c.out, "Directory to write floor.json into (created if needed)")
      ->type_name("DIR")
      ->capture_default_str();
  c.app
      ->add_option("--cpus", c.cpus,
                   "Where the two threads of a loopback round trip run: same (one CPU), cross (two "
                   "CPUs) or both")
      ->type_name("same|cross|both")
      ->capture_default_str();
  c.app->add_option("--scenario", c.scenario,
                    "Also measure a handshake floor for every TLS configuration (key, group, mutual TLS, chain "
                    "depth, full or resumed) this scenario file uses, as hopcost run does before its variants")
      ->type_name("SCENARIO.toml");
  c.app->footer(
      "Handshake floors: CPU inside SSL_do_handshake, client + server, of a full handshake over an "
      "in-memory BIO pair with hopcost's own TLS settings and verification on; *_resumed: of a handshake "
      "that resumes the session of an earlier one (TLS 1.3 and 1.2 by ticket, tls12_resumed_id by session "
      "ID). Loopback floors: median round trip of 64 bytes each way, system calls of both sides included. "
      "The quick set takes about 3 s (3.5 s with --cpus both), --full about 25 s.");
}

int execute_floor_command(const FloorCommand& c) {
  const auto cpus = parse_cpu_placement(c.cpus);
  if (!cpus) throw ConfigError(fmt::format("--cpus: '{}' is not one of same, cross, both", c.cpus));
  if (*cpus == CpuPlacement::cross && allowed_cpus().size() < 2)
    throw ConfigError(fmt::format("--cpus cross: needs 2 CPUs, and this process may run on {}",
                                  allowed_cpus().size()));
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec)
    throw ConfigError(fmt::format("--out: cannot create directory '{}': {}", c.out, ec.message()));
  if (::access(c.out.c_str(), W_OK) != 0)
    throw ConfigError(fmt::format("--out: cannot write into directory '{}'", c.out));

  FloorOptions options = default_floor_options(c.full ? FloorSet::full : FloorSet::quick);
  options.cpus = *cpus;
  // The defaults' resumed floors always, then every other configuration the scenario uses.
  options.handshakes = default_resumed_handshake_floors();
  if (!c.scenario.empty()) {
    const Scenario scenario = load_scenario_file(c.scenario);
    for (auto& h : handshake_floor_configs(scenario, expand(scenario)))
      if (std::none_of(options.handshakes.begin(), options.handshakes.end(),
                       [&](const auto& have) { return have.first == h.first; }))
        options.handshakes.push_back(std::move(h));
  }
  std::fprintf(stderr, "hopcost floor: measuring the %s set (min time %.2f s, %d rounds)...\n",
               std::string(to_string(options.set)).c_str(), options.min_time_s,
               options.repetitions);
  const Floors floors = measure_floors(options);
  for (const auto& w : context_warnings(floors.context))
    std::fprintf(stderr, "warning: %s\n", w.c_str());

  const std::string path = (std::filesystem::path(c.out) / "floor.json").string();
  write_file_atomically(path, floors_to_json(floors).dump(2) + "\n");
  fmt::print(
      "{} set, median of {} rounds of {:.2f} s each on CPU {} (spread: (max - min) / median); loopback round trips "
      "with {}; {:.1f} s\n\n",
      to_string(options.set), floors.rounds, options.min_time_s, floors.pinned_cpu, placement_text(floors),
      floors.duration_s);
  fmt::print("{}", table(floors));
  fmt::print("\n{}\n", path);
  return kExitOk;
}

}  // namespace hopcost
