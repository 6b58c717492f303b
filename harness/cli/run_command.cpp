#include "cli/run_command.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "floor/floor.hpp"
#include "topologies/cpu_policy.hpp"
#include "topologies/plan.hpp"
#include "gate/gate_report.hpp"
#include "metrics/instructions.hpp"
#include "util/child_process.hpp"
#include "report/html.hpp"
#include "topologies/db_chain.hpp"
#include "report/reader.hpp"
#include "report/reporter.hpp"
#include "run/limits.hpp"
#include "run/progress.hpp"
#include "run/runner.hpp"
#include "topologies/real_node.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace fs = std::filesystem;

namespace {

// The results directory: created before the run, so that a bad --out fails at once, and
// removed again if the run does not finish, so that no partial report is left behind.
char g_created_dir[4096];  // read by the signal handler

void remove_created_dir_and_exit(int sig) {
  if (g_created_dir[0]) ::rmdir(g_created_dir);  // only if still empty: reports come last
  _exit(128 + sig);
}

class OutDir {
 public:
  explicit OutDir(const std::string& path) : path_(path) {
    std::error_code ec;
    if (fs::exists(path_, ec) && !fs::is_directory(path_, ec))
      throw ConfigError(fmt::format("--out: '{}' exists and is not a directory", path));
    created_ = fs::create_directories(path_, ec);
    if (ec) throw ConfigError(fmt::format("--out: cannot create directory '{}': {}", path, ec.message()));
    const fs::path probe = path_ / ".hopcost-write-test";
    if (!std::ofstream(probe).good()) {
      discard();
      throw ConfigError(fmt::format("--out: cannot write in '{}': {}", path, std::strerror(errno)));
    }
    fs::remove(probe, ec);
    if (created_) {
      std::snprintf(g_created_dir, sizeof g_created_dir, "%s", path_.c_str());
      std::signal(SIGINT, remove_created_dir_and_exit);
      std::signal(SIGTERM, remove_created_dir_and_exit);
    }
  }
  ~OutDir() {
    if (!kept_) discard();
  }
  void keep() { kept_ = true; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  void discard() {
    if (!created_) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    g_created_dir[0] = '\0';
  }
  fs::path path_;
  bool created_ = false;
  bool kept_ = false;
};

std::string default_out_dir(const Scenario& s) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return fmt::format("results/{:%Y%m%dT%H%M%SZ}-{}", fmt::gmtime(now), s.name);
}

// The quick floors, measured for the CPU policy in use: on the CPU its first node gets
// (one CPU for pack), so that handshake CPU is compared with a floor taken where the
// chain runs; loopback round trips on one CPU, and across CPUs unless every node is
// packed on one.
FloorFigures measure_run_floors(const Scenario& scenario, const std::vector<Variant>& variants) {
  const CpuPolicy& policy = scenario.cpu_policy;
  const bool one_cpu = policy.kind == CpuPolicy::Kind::pack ||
                       (policy.kind == CpuPolicy::Kind::pin &&
                        std::all_of(policy.cpus.begin(), policy.cpus.end(), [&](int c) { return c == policy.cpus[0]; }));
  FloorOptions options = default_floor_options(FloorSet::quick);
  options.cpus = one_cpu || allowed_cpus().size() < 2 ? CpuPlacement::same : CpuPlacement::both;
  options.cpu = assign_cpus(policy, 2).back();  // the first node after the client; none under spread
  options.handshakes = handshake_floor_configs(scenario, variants);
  const Floors f = measure_floors(options);
  FloorFigures out{f.handshake_tls12_cpu_us, f.handshake_tls13_cpu_us, f.loopback_tcp_rtt_us, f.loopback_uds_rtt_us, {}, {}, {}, 0, {}};
  if (const auto it = f.figures.find("loopback_tcp_rtt_cross_cpu_p50_us"); it != f.figures.end())
    out.loopback_tcp_rtt_cross_cpu_us = it->second;
  if (const auto it = f.figures.find("loopback_uds_rtt_cross_cpu_p50_us"); it != f.figures.end())
    out.loopback_uds_rtt_cross_cpu_us = it->second;
  for (const char* name : {"handshake_tls12_cpu_us", "handshake_tls13_cpu_us", "loopback_tcp_rtt_us", "loopback_uds_rtt_us"})
    out.spread[name] = f.spread.at(name);
  if (const auto it = f.spread.find("loopback_tcp_rtt_cross_cpu_p50_us"); it != f.spread.end())
    out.spread["loopback_tcp_rtt_cross_cpu_us"] = it->second;
  if (const auto it = f.spread.find("loopback_uds_rtt_cross_cpu_p50_us"); it != f.spread.end())
    out.spread["loopback_uds_rtt_cross_cpu_us"] = it->second;
  // The defaults' resumed floors ("1.3 resumed" …) come from their static
  // benchmarks, under the same ids. A floor that could not be measured (Floors::skipped)
  // is left out: its variants get no ratio to it.
  for (const auto& [text, config] : options.handshakes) {
    const std::string id = "handshake_" + handshake_floor_id(text) + "_cpu_us";
    const auto it = f.figures.find(id);
    if (it == f.figures.end()) continue;
    out.handshake_cpu_us_by_setup[text] = it->second;
    out.spread[id] = f.spread.at(id);
  }
  out.rounds = f.rounds;
  out.pinned_cpu = f.pinned_cpu;
  return out;
}

// --count-instructions: runs this same command again under valgrind's callgrind, as a
// child whose nodes dump their counters into a private directory (metrics/instructions.hpp),
// and returns its exit code. The directory, and callgrind's own dump at exit, are removed.
int run_under_callgrind(const std::vector<std::string>& argv) {
  std::string dir = (fs::temp_directory_path() / "hopcost-callgrind-XXXXXX").string();
  if (!mkdtemp(dir.data())) throw RunError("cannot create a directory for callgrind's counts");
  const std::string prefix = dir + "/callgrind.out";
  std::vector<std::string> args{"valgrind", "-q", "--tool=callgrind", "--separate-threads=yes",
                                "--callgrind-out-file=" + prefix, self_executable()};
  args.insert(args.end(), argv.begin() + 1, argv.end());
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  ::setenv(kCallgrindPrefixEnv, prefix.c_str(), 1);
  const pid_t child = ::fork();
  if (child == 0) {
    ::execvp("valgrind", c_args.data());
    std::fprintf(stderr, "hopcost: cannot run valgrind (scripts/bootstrap installs it): %s\n", std::strerror(errno));
    ::_exit(kExitRunFailed);
  }
  int status = 0;
  while (child > 0 && ::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  if (child < 0) throw RunError(fmt::format("fork: {}", std::strerror(errno)));
  return WIFEXITED(status) ? WEXITSTATUS(status) : kExitRunFailed;
}

// The progress line on a terminal (run/progress.hpp says what it shows). Without a
// terminal only print() writes: whole lines, never progress.
struct ProgressLine {
  bool tty = false;
  int repeats = 1;
  RunProgress clock;
  std::chrono::steady_clock::time_point first_start{};
  std::string text;  // the line drawn now; empty: none

  void start(size_t index, size_t count, int repeat, const std::string& label) {
    if (clock.finished == 0) first_start = std::chrono::steady_clock::now();
    clock.current = {};  // the line is drawn as the variant starts
    if (!tty) return;
    winsize ws{};
    const size_t width = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col - 1 : 79;
    text = progress_line(index, count, repeat, repeats, label, remaining(clock), width);
    draw();
  }
  void finish() {
    ++clock.finished;
    clock.spent = std::chrono::steady_clock::now() - first_start;
  }
  // A whole line that is not progress: above the progress line, which is drawn again.
  void print(const std::string& message) {
    fmt::print(stderr, "{}{}\n", tty ? "\r\033[K" : "", message);
    if (tty && !text.empty()) draw();
  }
  void clear() {
    if (tty && !text.empty()) fmt::print(stderr, "\r\033[K");
    text.clear();
  }
  void draw() const { fmt::print(stderr, "\r\033[K{}", text); }
};

Scenario build_scenario(const RunCommand& command) {
  Scenario s = command.scenario_file.empty() ? Scenario{} : load_scenario_file(command.scenario_file);
  for (const auto& key : scenario_keys()) {
    const auto it = command.values.find(key.key);
    if (it == command.values.end()) continue;
    try {
      set_scenario_value(s, key.key, it->second);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", flag_name(key.key), e.what()));
    }
  }
  return s;
}

}  // namespace

void register_run_command(CLI::App& parent, RunCommand& command) {
  const Scenario defaults;
  command.app = parent.add_subcommand(
      "run",
      "Run a scenario: every variant of the matrix (topology x hops x TLS version x connection policy), each on "
      "a fresh chain, and report per variant. Flags override the scenario file's keys.");
  auto* app = command.app;
  app->add_option("scenario", command.scenario_file,
                  "Scenario file (TOML); its keys are the flags' names with '_' for '-'. Default: the built-in "
                  "default scenario, as in scenarios/default.toml")
      ->type_name("SCENARIO.toml");
  for (const auto& key : scenario_keys()) {
    std::string help(key.help);
    if (const auto d = scenario_value_text(defaults, key.key); !d.empty()) help += fmt::format(" [default: {}]", d);
    const std::string name(key.key);
    CLI::Option* opt = nullptr;
    if (key.type == ValueType::boolean) {
      opt = app->add_flag_function(
          flag_name(key.key), [&command, name](int64_t) { command.values[name] = {"true"}; }, help);
    } else if (key.type == ValueType::list) {
      opt = app->add_option_function<std::vector<std::string>>(
          flag_name(key.key), [&command, name](const std::vector<std::string>& v) { command.values[name] = v; }, help);
      opt->allow_extra_args(false);  // one value per occurrence: "--tls 1.2 FILE" keeps FILE positional
    } else {
      opt = app->add_option_function<std::string>(
          flag_name(key.key), [&command, name](const std::string& v) { command.values[name] = {v}; }, help);
    }
    if (!key.metavar.empty()) opt->type_name(std::string(key.metavar));
  }
  app->add_flag("-q,--quiet", command.quiet,
                "Nothing on stderr but errors. Otherwise: the run's plan, then, when stderr is a terminal, one "
                "progress line (variant i of n, repeat, label, ETA), rewritten in place; failed variants, notices and "
                "(without the table) warnings on lines of their own; and the files written");
  app->add_option("--gate", command.gate,
                  "After the run, check the report against these budgets (TOML, docs/gate.md); exit 1 if one fails")
      ->type_name("BUDGETS.toml");
  app->add_option("--baseline", command.baseline, "With --gate: the report relative budgets compare with")
      ->type_name("REPORT.json");
  app->add_option("--junit", command.junit, "With --gate: write the checks as JUnit XML here")->type_name("FILE");
  app->add_option("--markdown", command.markdown, "With --gate: write the checks as a Markdown table here")
      ->type_name("FILE");
  app->add_flag("--no-floors", command.no_floors,
                "Do not measure the floors (about 3 s) first: the report then has no floors and no ratios to them");
  app->footer(
      "Output (--format): the console table on stdout, and report.json (canonical, always written), report.csv and "
      "the other formats' files under --out. docs/report-format.md explains every figure.\n"
      "Examples:\n"
      "  hopcost run\n"
      "  hopcost run scenarios/article.toml\n"
      "  hopcost run --topology tls-everywhere,terminate-once --hops 1,3,5 --tls 1.3 --conn new --duration 2\n"
      "  hopcost run --topology terminate-once --conn keepalive --rate 500,1000,2000,4000 --format table,json");
}

int execute_run_command(const RunCommand& command) {
  Scenario scenario = build_scenario(command);
  const auto variants = expand(scenario);  // validates the matrix before anything is created
  check_fd_limit(variants, scenario, open_file_limit());
  // Real programs: each can do its links' settings and is installed (exit 2 otherwise).
  for (const auto& v : variants) check_real_nodes(make_plan(v, scenario), v.placement, scenario.count_instructions);
  check_db_tails(variants);
  // --relay-config names a node that some variant of the run makes HAProxy or Nginx (it
  // applies there; a variant where that node is hopcost's own relay runs without it).
  for (const auto& [node, file] : scenario.relay_config) {
    bool relay = false, applies = false;
    for (const auto& v : variants)
      for (const auto& n : make_plan(v, scenario).nodes)
        if (n.role == Role::relay && n.name == node) {
          relay = true;
          applies |= n.implementation == Implementation::haproxy || n.implementation == Implementation::nginx;
        }
    if (!relay)
      throw ConfigError(fmt::format("--relay-config {}={}: no chain of this run has a relay named {} (relays are "
                                    "relay1, relay2 …, one fewer than the links)",
                                    node, file, node));
    if (!applies)
      throw ConfigError(fmt::format("--relay-config {}={}: {} is hopcost's own relay in every variant; a configuration "
                                    "of one's own is for a node that --relay or node= makes haproxy or nginx",
                                    node, file, node));
  }
  if (command.gate.empty() && (!command.baseline.empty() || !command.junit.empty() || !command.markdown.empty()))
    throw ConfigError("--baseline, --junit and --markdown go with --gate BUDGETS.toml");
  const GateOutputs gate_outputs{command.junit, command.markdown, true};
  std::optional<GateInputs> gate;  // read now: a bad budgets file fails before the run, not after it
  if (!command.gate.empty())
    gate = load_gate_inputs(command.gate,
                            command.baseline.empty() ? std::nullopt : std::optional<std::string>(command.baseline),
                            gate_outputs);
  if (scenario.count_instructions) {
    if (!scenario.requests)
      throw ConfigError("--count-instructions needs --requests N: under callgrind a variant is N requests, not seconds");
    if (std::any_of(scenario.placement.begin(), scenario.placement.end(), [](Placement p) { return p != Placement::inproc; }))
      throw ConfigError("--count-instructions needs --placement inproc: callgrind counts the threads of one process");
    if (!under_callgrind()) return run_under_callgrind(command.argv);  // the budgets were read above
  }
  if (scenario.out.empty()) scenario.out = default_out_dir(scenario);
  OutDir out(scenario.out);

  // On a terminal, one progress line on stderr, rewritten in place; elsewhere (a log, a
  // pipe, CI) none. Failures, notices and warnings are not progress: they are printed
  // either way (each on a line of its own, the progress line drawn again after it).
  const bool tty = isatty(STDERR_FILENO);
  ProgressLine line;
  Progress progress;
  if (!command.quiet) {
    const double per_variant = (scenario.warmup + scenario.duration).count();
    fmt::print(stderr, "hopcost: {} variants x {} x ({} s warm-up + {} s) = about {:.0f} s; reports in {}\n",
               variants.size(), scenario.repeat == 1 ? "1 run" : fmt::format("{} repeats", scenario.repeat),
               scenario.warmup.count(), scenario.duration.count(),
               per_variant * static_cast<double>(variants.size() * static_cast<size_t>(scenario.repeat)),
               out.path().string());
    line.tty = tty;
    line.repeats = scenario.repeat;
    line.clock.total = variants.size() * static_cast<size_t>(scenario.repeat);
    line.clock.planned = scenario.warmup + scenario.duration;
    progress.started = [&line](size_t i, size_t n, int r, const Variant& v) { line.start(i, n, r, v.label()); };
    progress.finished = [&line, &variants](size_t i, size_t n, int r, const VariantResult& v) {
      line.finish();
      const std::string position = line.repeats == 1 ? fmt::format("[{}/{}]", i + 1, n)
                                                     : fmt::format("[repeat {}/{}, {}/{}]", r + 1, line.repeats, i + 1, n);
      if (v.failure)
        line.print(fmt::format("{} {}: FAILED: {}", position, variants[i].label(), *v.failure));
      else if (v.exhausted)
        line.print(fmt::format("{} {}: nodes ran out of file descriptors or memory ({} errors)", position,
                               variants[i].label(), v.exhausted));
    };
    progress.notice = [&line](const std::string& text) { line.print("hopcost: " + text); };
  }
  std::optional<FloorFigures> floors;
  if (!command.no_floors && !scenario.count_instructions) {  // times under callgrind are no floors
    if (!command.quiet) fmt::print(stderr, "hopcost: measuring floors (hopcost floor's quick set) ...\n");
    floors = measure_run_floors(scenario, variants);
  }
  const Report report = run_scenario(scenario, progress, floors);
  line.clear();

  // --format: every format unless the list says otherwise; report.json always (the gate,
  // compare and `hopcost report` read it).
  auto wanted = [&](std::string_view format) {
    return format == "json" || scenario.format.empty() ||
           std::find(scenario.format.begin(), scenario.format.end(), format) != scenario.format.end();
  };
  std::vector<std::string> written;
  for (const auto format : reporter_formats()) {
    const auto reporter = make_reporter(format);
    if (!wanted(format) || reporter->file_name().empty()) continue;
    written.push_back(out.file(reporter->file_name()));
    write_file_atomically(written.back(), reporter->render(report));
  }
  out.keep();
  if (wanted("table")) {
    std::cout << make_reporter("table")->render(report) << std::flush;
  } else if (!command.quiet) {
    for (const auto& w : report.warnings) fmt::print(stderr, "hopcost: WARNING: {}\n", w);  // the table has them
  }
  if (!command.quiet) {
    std::string files;
    for (size_t i = 0; i < written.size(); ++i)
      files += (i == 0 ? "" : i + 1 == written.size() ? " and " : ", ") + written[i];
    fmt::print(stderr, "hopcost: wrote {}\n", files);
  }
  // A variant that could not be measured to the end fails the run (the report says why),
  // and that outranks a budget: its figures are partial.
  for (const auto& v : report.variants)
    if (v.failure) return kExitRunFailed;
  if (gate) {
    // The gate reads the report as report.json carries it, through the typed reader; the
    // HTML report, written above without them, is written again with its verdicts.
    const std::string report_json = out.file("report.json");
    const GateResult verdicts = evaluate_gate(load_report_file(report_json, "report"), report_json, *gate);
    if (wanted("html")) {
      HtmlOptions html;
      html.gate = html_gate_rows(verdicts);
      write_file_atomically(out.file("report.html"), render_html(report, html));
    }
    std::cout << "\n";
    return finish_gate(verdicts, gate_outputs);
  }
  return kExitOk;
}

}  // namespace hopcost
