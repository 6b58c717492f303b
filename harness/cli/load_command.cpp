#include "cli/load_command.hpp"

#include "cli/link_flags.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "load/driver.hpp"
#include "metrics/cpu_clock.hpp"
#include "net/url.hpp"
#include "scenario/scenario.hpp"
#include "tls/context.hpp"
#include "tls/pem.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {
// The load settings a target run takes, validated by the scenario's own key table.
constexpr std::string_view kLoadKeys[] = {"conn", "connections", "duration", "warmup", "timeout", "request_bytes", "rate"};

// --interval's period: above 0, at most an hour (as --duration).
std::chrono::nanoseconds parse_interval(const std::string& text) {
  double v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || !std::isfinite(v))
    throw ConfigError(fmt::format("--interval: '{}' is not a number of seconds", text));
  if (v < 0.1 || v > 3600) throw ConfigError(fmt::format("--interval: {} is out of range; accepted: 0.1 to 3600 seconds", text));
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(v));
}

// One --interval line: what ended in the period, warm-up included (load/driver.hpp).
std::string interval_line(const IntervalFigures& f) {
  const double length_s = std::chrono::duration<double>(f.length).count();
  auto us = [&](double p) { return static_cast<double>(f.latency_ns->value_at_percentile(p)) / 1000.0; };
  nlohmann::ordered_json j;
  j["interval"] = f.index;
  j["unix_time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  j["end_s"] = std::chrono::duration<double>(f.end).count();
  j["length_s"] = length_s;
  j["phase"] = f.phase;
  j["established"] = f.established;
  j["requests"] = f.requests;
  j["throughput_rps"] = length_s > 0 ? static_cast<double>(f.requests) / length_s : 0.0;
  if (f.requests)
    j["latency_us"] = {{"p50", us(50)}, {"p90", us(90)}, {"p99", us(99)}, {"p999", us(99.9)},
                       {"max", static_cast<double>(f.latency_ns->max()) / 1000.0}};
  else
    j["latency_us"] = nullptr;
  nlohmann::ordered_json errors;
  for (int k = 0; k < kErrorKinds; ++k) errors[std::string(kErrorKindNames[k])] = f.errors.by_kind[k];
  errors["total"] = f.errors.total();
  j["errors"] = errors;
  return j.dump();
}
}  // namespace

void register_load_command(CLI::App& parent, LoadCommand& c) {
  c.app = parent.add_subcommand("load", "Drive a running chain (standalone nodes or any HTTP/1.1 server) with hopcost's load driver: a closed loop, or an open loop with --rate");
  c.app->add_option("--target", c.target, "The chain's entry: tls://, tcp://, unix: or tls+unix: URL")->required()->type_name("URL");
  c.app->add_option("--ca", c.ca, "CA certificate (PEM) the target's certificate must chain to (TLS targets)")->type_name("FILE");
  c.app->add_option("--server-name", c.server_name,
                    "Name the target's certificate must carry [default: the URL's host; localhost for tls+unix]")
      ->type_name("NAME");
  c.app->add_option("--tls", c.tls, "TLS versions offered: 1.2, 1.3 or both [default: both]")->type_name("VERSION");
  const Scenario defaults;
  for (const auto& key : scenario_keys()) {
    if (std::find(std::begin(kLoadKeys), std::end(kLoadKeys), key.key) == std::end(kLoadKeys)) continue;
    std::string help = fmt::format("{} [default: {}]", key.help, key.key == "conn" ? "keepalive" : scenario_value_text(defaults, key.key));
    const std::string name(key.key);
    c.app->add_option_function<std::string>(flag_name(key.key), [&c, name](const std::string& v) { c.values[name] = v; }, help)
        ->type_name(std::string(key.metavar));
  }
  c.app->add_flag("--json", c.json, "Print the figures as one JSON object (report.json's variant keys)");
  c.app->add_option("--interval", c.interval,
                    "Every SECONDS from the start (warm-up included), print one line of JSON on stdout with the "
                    "requests that ended in that period: requests, throughput, latency percentiles, errors by kind, "
                    "keep-alive connections established (0.1 to 3600; docs/soak.md)")
      ->type_name("SECONDS");
}

int execute_load_command(const LoadCommand& c) {
  Scenario s;
  s.conn = {ConnPolicy::keepalive};
  for (const auto& [key, value] : c.values) {
    try {
      set_scenario_value(s, key, {value});
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", flag_name(key), e.what()));
    }
  }
  if (s.conn.size() != 1) throw ConfigError("--conn: give one policy: new or keepalive");
  if (s.rate.size() > 1) throw ConfigError("--rate: give one rate");
  const auto interval = c.interval.empty() ? std::chrono::nanoseconds(0) : parse_interval(c.interval);
  const TlsSettings tls = parse_flag_tls(c.tls);
  bssl::UniquePtr<SSL_CTX> ctx;
  const LinkEnds entry = connecting_end("--target", c.target, c.ca, c.server_name, tls, {}, ctx);

  LoadSettings settings;
  settings.conn = s.conn.front();
  settings.connections = s.connections;
  settings.warmup = std::chrono::duration_cast<std::chrono::nanoseconds>(s.warmup);
  settings.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(s.duration);
  settings.timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(s.timeout);
  settings.request_bytes = s.request_bytes;
  if (!s.rate.empty()) settings.rate = s.rate.front();
  settings.keep_samples = false;  // no attribution here; a long load would keep 16 bytes a request
  settings.interval = interval;
  settings.on_interval = [](const IntervalFigures& f) {
    fmt::print("{}\n", interval_line(f));
    std::fflush(stdout);  // a reader (scripts/soak) sees each line as it ends
  };
  NodeStats client;
  const auto cpu = ThreadCpuClock::of_this_thread();
  uint64_t cpu_start = 0, cpu_end = 0;
  const LoadResult r = run_closed_loop(entry, settings, client,
                                       {.opened = [&] { cpu_start = cpu.now_ns(); }, .closed = [&] { cpu_end = cpu.now_ns(); }});
  const double cpu_us = static_cast<double>(cpu_end - cpu_start) / 1000.0;

  const double seconds = std::chrono::duration<double>(r.measured).count();
  const double rps = seconds > 0 ? static_cast<double>(r.requests) / seconds : 0;
  auto us = [&](double p) { return static_cast<double>(r.latency_ns.value_at_percentile(p)) / 1000.0; };
  const double per_request = r.requests ? cpu_us / static_cast<double>(r.requests) : 0;
  if (c.json) {
    nlohmann::ordered_json j;
    j["target"] = c.target;
    j["conn"] = std::string(to_string(settings.conn));
    j["connections"] = settings.connections;
    if (settings.rate) j["rate"] = *settings.rate;
    j["requests"] = r.requests;
    nlohmann::ordered_json errors;
    for (int k = 0; k < kErrorKinds; ++k) errors[std::string(kErrorKindNames[k])] = r.errors.by_kind[k];
    errors["total"] = r.errors.total();
    j["errors"] = errors;
    j["measured_s"] = seconds;
    j["throughput_rps"] = rps;
    j["latency_us"] = {{"p50", us(50)}, {"p90", us(90)}, {"p99", us(99)}, {"p999", us(99.9)},
                       {"max", static_cast<double>(r.latency_ns.max()) / 1000.0}, {"mean", r.latency_ns.mean() / 1000.0}};
    j["client_cpu_us_per_request"] = per_request;
    fmt::print("{}\n", j.dump());
  } else {
    const std::string loop = settings.rate ? fmt::format("open loop at {} req/s", *settings.rate) : "closed loop";
    fmt::print("target {} · {}, {} connections, {} · {} s measured after {} s warm-up\n", c.target, loop,
               settings.connections, to_string(settings.conn), s.duration.count(), s.warmup.count());
    fmt::print("requests {} · {:.0f} req/s · errors {}\n", r.requests, rps, r.errors.total());
    fmt::print("latency µs: p50 {:.0f} · p90 {:.0f} · p99 {:.0f} · p99.9 {:.0f} · max {:.0f} · mean {:.1f}\n", us(50), us(90),
               us(99), us(99.9), static_cast<double>(r.latency_ns.max()) / 1000.0, r.latency_ns.mean() / 1000.0);
    fmt::print("client CPU µs per request: {:.1f}\n", per_request);
    for (int k = 0; k < kErrorKinds; ++k)
      if (r.errors.by_kind[k]) fmt::print("errors {}: {} (first: {})\n", kErrorKindNames[k], r.errors.by_kind[k],
                                          client.first_error(static_cast<ErrorKind>(k)));
  }
  return kExitOk;
}

}  // namespace hopcost
