// `hopcost load --interval` and `--rate` (issue 14, the soak: scripts/soak reads these
// lines): one JSON line per period, warm-up included, whose counts add up to the run's,
// errors by kind as they happen, and bad values refused naming the flag. Counts and
// orderings, never absolute times.
#include <catch2/catch.hpp>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "support/process.hpp"

using namespace hopcost;
using namespace hopcost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Lines {
  std::vector<json> intervals;
  json summary;  // the --json object: the last line
};

// Reads every line `load` prints until it exits; each must be JSON.
Lines read_all(ChildProcess& load) {
  Lines out;
  while (auto line = load.read_line(30s)) {
    INFO(*line);
    json j = json::parse(*line);
    if (j.contains("interval"))
      out.intervals.push_back(std::move(j));
    else
      out.summary = std::move(j);
  }
  REQUIRE(eventually([&] { return load.exited(); }));
  return out;
}

uint64_t sum(const std::vector<json>& intervals, const std::function<uint64_t(const json&)>& f) {
  uint64_t n = 0;
  for (const auto& j : intervals) n += f(j);
  return n;
}

}  // namespace

TEST_CASE("hopcost load --interval prints one line per period, and the periods add up to the run") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  ChildProcess load(HOPCOST_BINARY, {"load", "--target", origin.url, "--connections", "3", "--warmup", "0.3", "--duration",
                                     "1.2", "--interval", "0.25", "--json"});
  const auto lines = read_all(load);
  CHECK(load.exit_code() == 0);
  REQUIRE(lines.summary.is_object());
  const auto& iv = lines.intervals;
  REQUIRE(iv.size() >= 4);  // 1.5 s of load in periods of 0.25 s, the last cut short
  double length_sum = 0;
  std::vector<std::string> phases;
  for (size_t i = 0; i < iv.size(); ++i) {
    INFO(iv[i].dump());
    CHECK(iv[i]["interval"] == i + 1);
    if (i) CHECK(iv[i]["end_s"].get<double>() > iv[i - 1]["end_s"].get<double>());
    if (i) CHECK(iv[i]["unix_time"].get<double>() >= iv[i - 1]["unix_time"].get<double>());
    length_sum += iv[i]["length_s"].get<double>();
    CHECK(iv[i]["errors"]["total"] == 0);
    if (iv[i]["requests"].get<uint64_t>() > 0) {
      const auto& l = iv[i]["latency_us"];
      CHECK(l["p50"].get<double>() <= l["p99"].get<double>());
      CHECK(l["p99"].get<double>() <= l["max"].get<double>());
    }
    if (iv[i]["phase"] == "measured") CHECK(iv[i]["established"] == 3);
    if (phases.empty() || phases.back() != iv[i]["phase"]) phases.push_back(iv[i]["phase"]);
  }
  // The periods tile the run: their lengths add up to the last one's end.
  CHECK(length_sum == Approx(iv.back()["end_s"].get<double>()).epsilon(1e-6));
  // Warm-up, then the measured window, then (the last period) its end: in that order.
  CHECK(phases.front() == "warmup");
  REQUIRE(std::find(phases.begin(), phases.end(), "measured") != phases.end());
  CHECK(phases.size() <= 3);
  // Every request of the run ended in some period: warm-up's too, so at least the measured ones.
  const uint64_t requests = sum(iv, [](const json& j) { return j["requests"].get<uint64_t>(); });
  CHECK(requests >= lines.summary["requests"].get<uint64_t>());
  CHECK(lines.summary["requests"].get<uint64_t>() > 100);
}

TEST_CASE("hopcost load --interval counts errors by kind in the period they happen, and goes on") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  ChildProcess load(HOPCOST_BINARY, {"load", "--target", origin.url, "--connections", "2", "--warmup", "0.1", "--duration",
                                     "1.5", "--interval", "0.2", "--timeout", "0.5", "--json"});
  // Two periods with requests, then the origin goes away.
  std::vector<json> before;
  while (before.size() < 2) {
    const auto line = load.read_line(10s);
    REQUIRE(line);
    before.push_back(json::parse(*line));
  }
  for (const auto& j : before) CHECK(j["errors"]["total"] == 0);
  origin.process->signal(SIGKILL);
  const auto lines = read_all(load);
  CHECK(load.exit_code() == 0);  // failed requests are counted, not a failed run
  REQUIRE(lines.summary.is_object());
  REQUIRE_FALSE(lines.intervals.empty());
  // After the kill: connections refused (and the requests cut off by it, read errors).
  const auto errors = [&](const char* kind) {
    return sum(lines.intervals, [&](const json& j) { return j["errors"][kind].get<uint64_t>(); });
  };
  CHECK(errors("connect") > 0);
  CHECK(sum(lines.intervals, [](const json& j) { return j["errors"]["total"].get<uint64_t>(); }) ==
        errors("connect") + errors("read") + errors("write"));
  // The last full period has no successful request, and says so with a null latency.
  const auto& last = lines.intervals.back();
  CHECK(last["requests"] == 0);
  CHECK(last["latency_us"].is_null());
  // Measured errors are the run's; the periods count warm-up's too.
  CHECK(sum(lines.intervals, [](const json& j) { return j["errors"]["total"].get<uint64_t>(); }) >=
        lines.summary["errors"]["total"].get<uint64_t>());
}

TEST_CASE("hopcost load --rate sends on schedule: new connections at about the rate asked") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  const auto r = run_hopcost("load --target " + origin.url +
                             " --conn new --rate 200 --connections 4 --warmup 0.2 --duration 1 --interval 0.5 --json");
  INFO(r.output);
  REQUIRE(r.code == 0);
  json summary;
  uint64_t interval_requests = 0;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    if (j.contains("interval"))
      interval_requests += j["requests"].get<uint64_t>();
    else
      summary = j;
  }
  CHECK(summary["rate"] == 200);
  CHECK(summary["conn"] == "new");
  // An open loop sends no more than its schedule: 200 measured in 1 s (the driver's window).
  CHECK(summary["requests"].get<uint64_t>() >= 180);
  CHECK(summary["requests"].get<uint64_t>() <= 201);
  CHECK(interval_requests >= summary["requests"].get<uint64_t>());
}

TEST_CASE("hopcost load: bad --interval and --rate values exit 2 naming the flag") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  for (const std::string v : {"0", "-1", "abc", "4000", "0.05", "nan"}) {
    INFO(v);
    const auto r = run_hopcost("load --target " + origin.url + " --duration 0.2 --interval " + v);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains("--interval"));
    CHECK(r.output.find("{\"interval\"") == std::string::npos);  // nothing measured, nothing printed
  }
  for (const std::string v : {"0", "-5", "1,2", "x"}) {
    INFO(v);
    const auto r = run_hopcost("load --target " + origin.url + " --duration 0.2 --rate " + v);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains("--rate"));
  }
}
