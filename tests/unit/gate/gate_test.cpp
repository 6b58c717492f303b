// hopcost gate: budgets parsed, evaluated against reports built here, noise-aware
// verdicts on synthetic repeats, the three renderings, and one ConfigError naming the
// file and line for every kind of bad input.
#include "gate/gate.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/gate_command.hpp"
#include "gate/budgets.hpp"
#include "gate/noise.hpp"
#include "report/reader.hpp"
#include "util/errors.hpp"

using namespace hopcost;
using namespace hopcost::gate;
using Catch::Contains;
using nlohmann::json;

namespace {

struct Figures {
  double p50 = 1000, p99 = 2000, rps = 3000, cpu = 100, hs_cpu = 500;
  int errors = 0;
};

json variant(const std::string& topology, int hops, const std::string& tls, const std::string& conn,
             const Figures& f = {}, const std::string& placement = "inproc") {
  json v;
  v["topology"] = topology;
  v["links"] = json::array({"tls"});
  v["hops"] = hops;
  v["tls"] = tls;
  v["tls_version"] = tls == "1.3" ? "TLSv1.3" : "TLSv1.2";
  v["conn"] = conn;
  v["placement"] = placement;
  v["connections"] = 16;
  v["requests"] = 3000;
  v["errors"] = {{"connect", 0},        {"handshake", 0}, {"read", 0},        {"write", 0},
                 {"timeout", f.errors}, {"status", 0},    {"total", f.errors}};
  v["measured_s"] = 1.0;
  v["throughput_rps"] = f.rps;
  v["latency_us"] = {{"p50", f.p50},        {"p90", f.p50 * 1.5}, {"p99", f.p99},
                     {"p999", f.p99 * 1.2}, {"max", f.p99 * 2},   {"mean", f.p50 * 1.1}};
  v["latency_out_of_range"] = 0;
  v["handshakes_per_request"] = conn == "new" ? 1.0 : 0.0;
  v["handshake_cpu_us"] = f.hs_cpu;
  v["cpu_us_per_request"] = f.cpu;
  v["nodes"] =
      json::array({{{"name", "client"}, {"role", "client"}, {"cpu_us", 5.0}, {"handshakes", 3}}});
  v["failure"] = nullptr;
  return v;
}

json report(std::vector<json> variants) {
  json r;
  r["schema_version"] = 1;
  r["context"] = {{"hopcost_version", "test"}};
  r["warnings"] = json::array();
  r["variants"] = variants;
  return r;
}

// Two topologies at 3 hops, TLS 1.3, keep-alive.
json two_topologies(Figures everywhere = {}, Figures once = {}) {
  return report({variant("tls-everywhere", 3, "1.3", "keepalive", everywhere),
                 variant("terminate-once", 3, "1.3", "keepalive", once)});
}

// Sets repeats of `metric` on variant i; the top-level figure becomes their median, as
// hopcost run --repeat writes it.
void set_repeats(json& r, size_t i, const std::string& metric, std::vector<double> values) {
  json& v = r["variants"][i];
  v["repeats"] = values.size();
  v["repeat_values"][metric] = values;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  json* node = &v;
  size_t start = 0;
  while (true) {
    const size_t dot = metric.find('.', start);
    const std::string part =
        metric.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      (*node)[part] = median;
      break;
    }
    node = &(*node)[part];
    start = dot + 1;
  }
}

// Reports are built here as JSON, and read as a file would be (report/reader.hpp).
Report typed(const json& r, const std::string& name = "report.json") { return read_report(r.dump(), name); }

std::vector<Check> run_gate(const std::string& toml, const json& r,
                            const json* baseline = nullptr) {
  const Report report = typed(r);
  const std::optional<Report> base = baseline ? std::optional(typed(*baseline, "base.json")) : std::nullopt;
  return evaluate(parse_budgets(toml, "budgets.toml"), report, "report.json", base ? &*base : nullptr, "base.json");
}

// The ConfigError message of evaluating (or parsing) budgets; fails the test when none.
std::string error_of(const std::string& toml, const json& r, const json* baseline = nullptr) {
  try {
    run_gate(toml, r, baseline);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("no ConfigError for:\n" << toml);
  return {};
}

std::vector<double> scaled(const std::vector<double>& v, double factor) {
  std::vector<double> out;
  for (double x : v) out.push_back(x * factor);
  return out;
}

const std::vector<double> kBaselineP50{100, 104, 96, 101, 99};

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

// A minimal well-formedness check: one XML declaration first, then tags that nest and
// close in order, attribute values quoted, no raw '<' or '&' in text or attributes.
bool well_formed_xml(const std::string& xml, std::string& why) {
  if (xml.rfind("<?xml ", 0) != 0) return why = "no XML declaration", false;
  size_t at = xml.find("?>");
  if (at == std::string::npos) return why = "unterminated XML declaration", false;
  at += 2;
  std::vector<std::string> open;
  int roots = 0;
  while (true) {
    const size_t lt = xml.find('<', at);
    const std::string text = xml.substr(at, lt == std::string::npos ? std::string::npos : lt - at);
    for (size_t amp = text.find('&'); amp != std::string::npos; amp = text.find('&', amp + 1))
      if (text.find(';', amp) == std::string::npos) return why = "bare '&' in text", false;
    if (lt == std::string::npos) break;
    const size_t gt = xml.find('>', lt);
    if (gt == std::string::npos) return why = "unterminated tag", false;
    std::string tag = xml.substr(lt + 1, gt - lt - 1);
    if (count(tag, "\"") % 2) return why = "unbalanced quotes in <" + tag + ">", false;
    if (tag.find('<') != std::string::npos) return why = "'<' inside a tag", false;
    if (tag.front() == '/') {
      const std::string name = tag.substr(1);
      if (open.empty() || open.back() != name)
        return why = "</" + name + "> closes nothing open", false;
      open.pop_back();
    } else if (tag.back() != '/') {
      const std::string name = tag.substr(0, tag.find(' '));
      if (open.empty()) ++roots;
      open.push_back(name);
    }
    at = gt + 1;
  }
  if (!open.empty()) return why = "<" + open.back() + "> never closed", false;
  if (roots != 1) return why = "not one root element", false;
  return true;
}

}  // namespace

TEST_CASE("budgets: the three kinds of check are read", "[gate]") {
  const auto b = parse_budgets(R"(
[[budget]]
name = "p99"
hops = 3
tls = "1.3"
check = "latency_us.p99 <= 2500"

[[budget]]
conn = "keepalive"
check = "throughput_rps >= -5%"

[[budget]]
placement = "inproc"
check = "cpu_us_per_request: tls-everywhere / terminate-once <= 3.0"
)",
                               "budgets.toml");
  REQUIRE(b.budgets.size() == 3);
  const auto& a = b.budgets[0];
  CHECK(a.kind == LimitKind::absolute);
  CHECK(a.metric == "latency_us.p99");
  CHECK(a.op == Op::le);
  CHECK(a.limit == 2500);
  CHECK(a.selector.text() == "hops=3 tls=1.3");
  CHECK(a.line == 2);
  CHECK(a.check_line == 6);
  CHECK(a.display_name() == "p99");
  CHECK(a.limit_text() == "<= 2500 µs");
  const auto& r = b.budgets[1];
  CHECK(r.kind == LimitKind::relative);
  CHECK(r.op == Op::ge);
  CHECK(r.limit == Approx(-0.05));
  CHECK(r.display_name() == "budget 2");
  CHECK(r.limit_text() == ">= -5% vs baseline");
  const auto& q = b.budgets[2];
  CHECK(q.kind == LimitKind::ratio);
  CHECK(q.numerator == "tls-everywhere");
  CHECK(q.denominator == "terminate-once");
  CHECK(q.limit == 3.0);
  CHECK(q.limit_text() == "<= 3×");
  CHECK(b.needs_baseline());
}

TEST_CASE("budgets: units come from the metric's name", "[gate]") {
  CHECK(metric_unit("latency_us.p99") == "µs");
  CHECK(metric_unit("cpu_us_per_request") == "µs/req");
  CHECK(metric_unit("handshakes_per_request") == "/req");
  CHECK(metric_unit("throughput_rps") == "req/s");
  CHECK(metric_unit("measured_s") == "s");
  CHECK(metric_unit("errors.total") == "");
}

TEST_CASE("gate: an absolute budget passes and fails on the point value", "[gate]") {
  const auto r = two_topologies({.p99 = 2400}, {.p99 = 2600});
  const auto checks = run_gate("[[budget]]\ncheck = \"latency_us.p99 <= 2500\"\n", r);
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].passed());
  CHECK(checks[0].variant == "tls-everywhere 3 hops TLS 1.3 keepalive inproc");
  CHECK(checks[0].measured == 2400);
  CHECK(checks[0].measured_text == "2400 µs");
  CHECK(checks[0].limit == "<= 2500 µs");
  CHECK(checks[0].selector == "all variants");
  CHECK(checks[0].note == "single run: point comparison");
  CHECK_FALSE(checks[1].passed());
  CHECK(checks[1].measured_text == "2600 µs");

  CHECK(
      run_gate("[[budget]]\ncheck = \"errors.total == 0\"\n", two_topologies({}, {.errors = 0}))[1]
          .passed());
  CHECK_FALSE(
      run_gate("[[budget]]\ncheck = \"errors.total == 0\"\n", two_topologies({}, {.errors = 2}))[1]
          .passed());
  CHECK(run_gate("[[budget]]\ncheck = \"throughput_rps > 2999\"\n", r)[0].passed());
  CHECK_FALSE(run_gate("[[budget]]\ncheck = \"throughput_rps >= 3001\"\n", r)[0].passed());
  CHECK_FALSE(run_gate("[[budget]]\ncheck = \"latency_us.p99 < 2400\"\n", r)[0].passed());
}

TEST_CASE("gate: a selector picks variants, and a missing key matches all", "[gate]") {
  const auto r = report({variant("tls-everywhere", 3, "1.3", "new"),
                         variant("tls-everywhere", 3, "1.2", "new"),
                         variant("tls-everywhere", 5, "1.3", "keepalive"),
                         variant("terminate-once", 5, "1.3", "keepalive")});
  CHECK(run_gate("[[budget]]\ncheck = \"errors.total == 0\"\n", r).size() == 4);
  CHECK(run_gate("[[budget]]\ntls = \"1.3\"\ncheck = \"errors.total == 0\"\n", r).size() == 3);
  CHECK(run_gate("[[budget]]\ntls = 1.2\ncheck = \"errors.total == 0\"\n", r).size() == 1);
  const auto checks = run_gate(
      "[[budget]]\nhops = 5\ntopology = \"terminate-once\"\ncheck = \"errors.total == 0\"\n", r);
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].variant == "terminate-once 5 hops TLS 1.3 keepalive inproc");
  CHECK(checks[0].selector == "topology=terminate-once hops=5");
  CHECK(
      run_gate(
          "[[budget]]\nconn = \"new\"\nplacement = \"inproc\"\ncheck = \"errors.total == 0\"\n", r)
          .size() == 2);
}

TEST_CASE("gate: upstream and rtt select among variants that differ only in them", "[gate]") {
  auto with = [](json v, const std::string& upstream, double rtt_us) {
    v["upstream"] = upstream;
    v["rtt_us"] = rtt_us;
    v["chain_rtt_us"] = rtt_us;
    v["link_rtt_us"] = json::array({rtt_us, rtt_us, rtt_us});
    return v;
  };
  const auto r = report({with(variant("tls-everywhere", 3, "1.3", "new"), "1:1", 0),
                         with(variant("tls-everywhere", 3, "1.3", "new"), "pool", 0),
                         with(variant("tls-everywhere", 3, "1.3", "new"), "pool", 1000),
                         with(variant("terminate-once", 3, "1.3", "new"), "pool", 1000)});
  CHECK(run_gate("[[budget]]\nupstream = \"pool\"\ncheck = \"errors.total == 0\"\n", r).size() == 3);
  CHECK(run_gate("[[budget]]\nrtt = \"1ms\"\ncheck = \"errors.total == 0\"\n", r).size() == 2);
  const auto checks = run_gate("[[budget]]\nupstream = \"pool\"\nrtt = \"0\"\ncheck = \"errors.total == 0\"\n", r);
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].variant == "tls-everywhere 3 hops TLS 1.3 new inproc pool");
  CHECK(checks[0].selector == "upstream=pool rtt=0");
  // A ratio picks one variant on each side once rtt and upstream say which.
  const auto ratio = run_gate(
      "[[budget]]\nupstream = \"pool\"\nrtt = \"1ms\"\ncheck = \"cpu_us_per_request: tls-everywhere / terminate-once <= 10\"\n", r);
  REQUIRE(ratio.size() == 1);
  CHECK_THROWS_WITH(run_gate("[[budget]]\nupstream = \"2:1\"\ncheck = \"errors.total == 0\"\n", r),
                    Catch::Contains("key 'upstream': unknown upstream policy '2:1'; accepted: 1:1, pool"));
  CHECK_THROWS_WITH(run_gate("[[budget]]\nrtt = \"5\"\ncheck = \"errors.total == 0\"\n", r),
                    Catch::Contains("key 'rtt'") && Catch::Contains("no unit"));
}

TEST_CASE("gate: a relative budget on a single run compares point values", "[gate]") {
  const json base = two_topologies({.p50 = 1000}, {.p50 = 1000});
  const json now = two_topologies({.p50 = 1050}, {.p50 = 1300});
  const auto checks = run_gate("[[budget]]\ncheck = \"latency_us.p50 <= +10%\"\n", now, &base);
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].passed());
  CHECK(checks[0].measured == Approx(0.05));
  CHECK(checks[0].measured_text == "+5.0% (1050 µs)");
  CHECK_THAT(checks[0].note, Contains("single run: point comparison"));
  CHECK_THAT(checks[0].note, Contains("baseline 1000 µs"));
  CHECK_FALSE(checks[1].passed());
  CHECK(checks[1].measured_text == "+30.0% (1300 µs)");

  // Exactly at the limit passes (1.1/1.0 − 1 is a little above 0.1 in binary).
  const json at = two_topologies({.p50 = 1100}, {.p50 = 1000});
  CHECK(run_gate("[[budget]]\ncheck = \"latency_us.p50 <= +10%\"\n", at, &base)[0].passed());
  // A floor on throughput: no more than 5% lower.
  const json slower = two_topologies({.rps = 2900}, {.rps = 2700});
  const auto floor = run_gate("[[budget]]\ncheck = \"throughput_rps >= -5%\"\n", slower, &base);
  CHECK(floor[0].passed());
  CHECK_FALSE(floor[1].passed());
}

TEST_CASE("gate: a ratio budget compares two variants of the same run", "[gate]") {
  const json r = two_topologies({.cpu = 250}, {.cpu = 100});
  const auto pass = run_gate(
      "[[budget]]\ncheck = \"cpu_us_per_request: tls-everywhere / terminate-once <= 3.0\"\n", r);
  REQUIRE(pass.size() == 1);
  CHECK(pass[0].passed());
  CHECK(pass[0].measured == Approx(2.5));
  CHECK(pass[0].measured_text == "2.50×");
  CHECK(pass[0].variant == "tls-everywhere / terminate-once 3 hops TLS 1.3 keepalive inproc");
  CHECK_THAT(pass[0].note, Contains("single run: point comparison"));
  CHECK_THAT(pass[0].note, Contains("tls-everywhere 250 µs/req / terminate-once 100 µs/req"));
  const auto fail = run_gate(
      "[[budget]]\ncheck = \"cpu_us_per_request: tls-everywhere / terminate-once <= 2\"\n", r);
  CHECK_FALSE(fail[0].passed());
  CHECK(run_gate(
            "[[budget]]\ncheck = \"cpu_us_per_request: terminate-once / tls-everywhere < 0.5\"\n",
            r)[0]
            .passed() == true);

  // The selector narrows each side to one variant.
  const json matrix = report({variant("tls-everywhere", 3, "1.3", "keepalive", {.cpu = 300}),
                              variant("terminate-once", 3, "1.3", "keepalive", {.cpu = 100}),
                              variant("tls-everywhere", 3, "1.2", "keepalive", {.cpu = 150}),
                              variant("terminate-once", 3, "1.2", "keepalive", {.cpu = 100})});
  const auto tls12 = run_gate(
      "[[budget]]\ntls = \"1.2\"\ncheck = \"cpu_us_per_request: tls-everywhere / terminate-once <= "
      "2\"\n",
      matrix);
  REQUIRE(tls12.size() == 1);
  CHECK(tls12[0].passed());
  CHECK(tls12[0].measured == Approx(1.5));
}

TEST_CASE("gate: noise-aware relative verdicts on repeats", "[gate]") {
  // Baseline p50 repeats spread about ±4%; the current run is shifted with the same spread.
  auto verdict = [](double factor, const std::string& limit) {
    json base = two_topologies();
    json now = two_topologies();
    set_repeats(base, 0, "latency_us.p50", kBaselineP50);
    set_repeats(now, 0, "latency_us.p50", scaled(kBaselineP50, factor));
    const auto checks = run_gate(
        "[[budget]]\ntopology = \"tls-everywhere\"\ncheck = \"latency_us.p50 " + limit + "\"\n",
        now, &base);
    REQUIRE(checks.size() == 1);
    return checks[0];
  };

  SECTION("a +3% shift inside ±4% noise passes a +2% budget, within noise") {
    const auto c = verdict(1.03, "<= +2%");
    CHECK(c.passed());
    CHECK(c.measured == Approx(0.03));
    CHECK_THAT(c.note, Contains("within noise"));
    CHECK_THAT(c.note, Contains("95% CI"));
    CHECK_THAT(c.note, Contains("5 vs 5 repeats"));
  }
  SECTION("the same +3% shift, judged on point values alone, would have failed") {
    json base = two_topologies({.p50 = 100});
    json now = two_topologies({.p50 = 103});
    CHECK_FALSE(
        run_gate("[[budget]]\ntopology = \"tls-everywhere\"\ncheck = \"latency_us.p50 <= +2%\"\n",
                 now, &base)[0]
            .passed());
  }
  SECTION("a +30% shift is beyond the noise and fails") {
    const auto c = verdict(1.30, "<= +10%");
    CHECK_FALSE(c.passed());
    CHECK(c.measured == Approx(0.30));
    CHECK_THAT(c.note, Contains("beyond noise"));
  }
  SECTION("a clear improvement passes, and says it is clear") {
    const auto c = verdict(0.80, "<= +10%");
    CHECK(c.passed());
    CHECK_THAT(c.note, Contains("clear"));
  }
  SECTION("a floor: throughput down 30% fails >= -10%, down 2% passes") {
    auto floor = [](double factor) {
      json base = two_topologies();
      json now = two_topologies();
      const std::vector<double> rps{3000, 3100, 2950, 3050, 2980};
      set_repeats(base, 1, "throughput_rps", rps);
      set_repeats(now, 1, "throughput_rps", scaled(rps, factor));
      return run_gate(
          "[[budget]]\ntopology = \"terminate-once\"\ncheck = \"throughput_rps >= -10%\"\n", now,
          &base)[0];
    };
    CHECK_FALSE(floor(0.70).passed());
    CHECK(floor(0.98).passed());
  }
  SECTION("repeats on one side only: point comparison of the median, said so") {
    json base = two_topologies({.p50 = 100});
    json now = two_topologies();
    set_repeats(now, 0, "latency_us.p50", scaled(kBaselineP50, 1.03));
    const auto c =
        run_gate("[[budget]]\ntopology = \"tls-everywhere\"\ncheck = \"latency_us.p50 <= +2%\"\n",
                 now, &base)[0];
    CHECK_FALSE(c.passed());
    CHECK_THAT(c.note, Contains("point comparison"));
    CHECK_THAT(c.note, Contains("median of 5 repeats"));
  }
  SECTION("absolute budgets on repeats compare the median and say so") {
    json now = two_topologies();
    set_repeats(now, 0, "latency_us.p50", {100, 104, 96, 101, 99});
    now["variants"][0]["ci95"]["latency_us.p50"] = {{"low", 96.0}, {"high", 104.0}};
    const auto c = run_gate(
        "[[budget]]\ntopology = \"tls-everywhere\"\ncheck = \"latency_us.p50 <= 100\"\n", now)[0];
    CHECK(c.passed());
    CHECK(c.measured == 100);
    CHECK_THAT(c.note, Contains("median of 5 repeats: point comparison"));
    CHECK_THAT(c.note, Contains("96 µs to 104 µs"));
  }
}

TEST_CASE("noise: Welch interval on log values, and Student's t", "[gate]") {
  CHECK(student_t_quantile(0.975, 1) == Approx(12.7062).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 8) == Approx(2.30600).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 2) == Approx(4.30265).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 30) == Approx(2.04227).epsilon(1e-4));
  CHECK(student_t_quantile(0.95, 10) == Approx(1.81246).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 1e7) == Approx(1.95996).epsilon(1e-4));
  CHECK(student_t_quantile(0.025, 8) == Approx(-2.30600).epsilon(1e-4));

  const auto same = scaled(kBaselineP50, 1.03);
  const auto ci = welch_log_ratio_interval(same, kBaselineP50);
  REQUIRE(ci);
  CHECK(ci->estimate == Approx(0.03));
  CHECK(ci->low < 0.02);
  CHECK(ci->high > 0.03);
  CHECK(ci->df == Approx(8));
  // Deterministic: the same samples give the same interval.
  const auto again = welch_log_ratio_interval(same, kBaselineP50);
  CHECK(again->low == ci->low);
  CHECK(again->high == ci->high);
  // No spread at all: the interval is the point.
  const std::vector<double> flat{100, 100, 100};
  const auto exact = welch_log_ratio_interval(std::vector<double>{110, 110, 110}, flat);
  REQUIRE(exact);
  CHECK(exact->low == Approx(0.1));
  CHECK(exact->high == Approx(0.1));
  // Fewer than 2 values, or a value at 0: no interval.
  CHECK_FALSE(welch_log_ratio_interval(std::vector<double>{100}, flat));
  CHECK_FALSE(welch_log_ratio_interval(std::vector<double>{0, 1, 2}, flat));
}

TEST_CASE("gate: a failed variant fails its checks", "[gate]") {
  json r = two_topologies();
  r["variants"][1]["failure"] =
      "relay2 (pid 4242) died during the run: killed by signal 9 (Killed)";
  const auto checks = run_gate("[[budget]]\ncheck = \"latency_us.p99 <= 1000000\"\n", r);
  CHECK(checks[0].passed());
  CHECK_FALSE(checks[1].passed());
  CHECK(checks[1].measured_text == "FAILED");
  CHECK_THAT(checks[1].note, Contains("relay2 (pid 4242) died"));
}

TEST_CASE("gate: metric paths are every numeric leaf of a variant but its nodes", "[gate]") {
  json v = variant("tls-everywhere", 3, "1.3", "new");
  v["repeats"] = 3;
  v["repeat_values"] = {{"latency_us.p50", {1, 2, 3}}};
  v["ci95"] = {{"latency_us.p50", {{"low", 1}, {"high", 3}}}};
  v["per_hop"] = json::array({{{"kind", "tls"}, {"added_latency_us", {{"p50", 10.0}}}}});
  v["requested_rps"] = nullptr;
  const auto paths = metric_paths(v);
  for (const char* p :
       {"hops", "connections", "requests", "errors.total", "errors.timeout", "measured_s",
        "throughput_rps", "latency_us.p50", "latency_us.p999", "handshakes_per_request",
        "handshake_cpu_us", "cpu_us_per_request", "per_hop.0.added_latency_us.p50"})
    CHECK(std::find(paths.begin(), paths.end(), p) != paths.end());
  for (const char* p :
       {"nodes.0.cpu_us", "repeats", "repeat_values.latency_us.p50", "ci95.latency_us.p50.low",
        "topology", "links", "latency_us", "requested_rps", "failure"})
    CHECK(std::find(paths.begin(), paths.end(), p) == paths.end());
  // An element of an array is reached by its index.
  const auto checks =
      run_gate("[[budget]]\ncheck = \"per_hop.0.added_latency_us.p50 <= 12\"\n", report({v}));
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].passed());
  CHECK(checks[0].measured_text == "10 µs");
}

TEST_CASE("gate: JUnit XML is well formed, one testcase per check", "[gate]") {
  const json r = two_topologies({.p99 = 2400}, {.p99 = 2600});
  const auto checks = run_gate(R"(
[[budget]]
name = "p99 <tight> & \"quoted\""
check = "latency_us.p99 <= 2500"

[[budget]]
check = "errors.total == 0"

[[budget]]
check = "cpu_us_per_request: tls-everywhere / terminate-once <= 3"
)",
                               r);
  REQUIRE(checks.size() == 5);
  const std::string xml = render_junit(checks, {"budgets.toml", "report.json", std::nullopt, {}});
  std::string why;
  CHECK(well_formed_xml(xml, why));
  INFO(why);
  CHECK(count(xml, "<testcase ") == 5);
  CHECK(count(xml, "</testcase>") == 5);
  CHECK(count(xml, "<failure ") == 1);
  CHECK(count(xml, "<testsuites ") == 1);
  CHECK(count(xml, "<testsuite ") == 1);
  CHECK_THAT(xml, Contains("tests=\"5\" failures=\"1\""));
  CHECK_THAT(xml, Contains("classname=\"p99 &lt;tight&gt; &amp; &quot;quoted&quot;\""));
  CHECK_THAT(
      xml,
      Contains(
          "name=\"terminate-once 3 hops TLS 1.3 keepalive inproc: latency_us.p99 &lt;= 2500\""));
  CHECK_THAT(xml, Contains("classname=\"budget 2\""));
  CHECK_THAT(xml, Contains("measured 2600 µs, limit &lt;= 2500 µs"));
  CHECK(xml.find("\x01") == std::string::npos);
}

TEST_CASE("gate: Markdown has a summary line and a row per check", "[gate]") {
  const json base = two_topologies();
  const json r = two_topologies({.p50 = 1500}, {});
  const auto checks =
      run_gate("[[budget]]\nname = \"a|b\"\ncheck = \"latency_us.p50 <= +10%\"\n", r, &base);
  const std::string md = render_markdown(checks, {"budgets.toml", "report.json", "base.json", {}});
  CHECK(md.rfind("❌ **hopcost gate: 1 of 2 checks failed**", 0) == 0);
  CHECK_THAT(md, Contains("baseline `base.json`"));
  CHECK(count(md, "| ❌ |") == 1);
  CHECK(count(md, "| ✅ |") == 1);
  CHECK_THAT(md, Contains("a\\|b"));
  CHECK_THAT(md, Contains("+50.0% (1500 µs)"));
  const auto passing = run_gate("[[budget]]\ncheck = \"errors.total == 0\"\n", r);
  CHECK(render_markdown(passing, {"budgets.toml", "report.json", std::nullopt, {}})
            .rfind("✅ **hopcost gate: all 2 checks passed**", 0) == 0);
}

TEST_CASE("gate: a baseline measured differently is flagged, not failed", "[gate]") {
  json r = two_topologies();
  json base = two_topologies();
  r["context"] = {{"cpu_model", "AMD EPYC"},
                  {"cores", 2},
                  {"configuration", {{"duration", 3.0}, {"connections", 16}}}};
  base["context"] = {{"cpu_model", "AMD EPYC"},
                     {"cores", 8},
                     {"configuration", {{"duration", 0.5}, {"connections", 16}}}};
  const auto warnings = comparability_warnings(typed(r), typed(base));
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Contains("context.cores: 2 here, 8 in the baseline"));
  CHECK_THAT(warnings[1],
             Contains("context.configuration.duration: 3.0 here, 0.5 in the baseline"));
  CHECK(comparability_warnings(typed(r), typed(r)).empty());
  const auto checks = run_gate("[[budget]]\ncheck = \"latency_us.p50 <= +10%\"\n", r, &base);
  CHECK(count_failures(checks) == 0);
  const std::string md =
      render_markdown(checks, {"budgets.toml", "report.json", "base.json", warnings});
  CHECK_THAT(md, Contains("> ⚠️ the baseline differs in context.cores"));
}

TEST_CASE("gate: the console table aligns every column", "[gate]") {
  const json r = two_topologies({.p99 = 2400}, {.p99 = 26000});
  const auto checks =
      run_gate("[[budget]]\nname = \"p99\"\ncheck = \"latency_us.p99 <= 2500\"\n", r);
  const std::string table = render_table(checks);
  std::vector<std::u32string> lines;
  std::string line;
  for (char c : table) {
    if (c != '\n') {
      line += c;
      continue;
    }
    // Display columns: count code points.
    std::u32string cps;
    for (size_t i = 0; i < line.size(); ++i)
      if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80)
        cps += static_cast<char32_t>(line[i]);
    lines.push_back(cps);
    line.clear();
  }
  REQUIRE(lines.size() == 4);  // header, 2 checks, summary
  const size_t measured = lines[0].find(U"measured"), verdict = lines[0].find(U"verdict");
  CHECK(lines[1].substr(measured, 2) == U"24");
  CHECK(lines[2].substr(measured, 2) == U"26");
  CHECK(lines[1].substr(verdict, 4) == U"pass");
  CHECK(lines[2].substr(verdict, 4) == U"FAIL");
  CHECK(table.find("gate: 1 of 2 checks failed") != std::string::npos);
}

TEST_CASE("gate: every bad input is one ConfigError naming the file and line", "[gate]") {
  const json r = two_topologies();

  SECTION("budgets file syntax") {
    CHECK_THAT(error_of("[[budget]]\ncheck = \"errors.total == 0\n", r),
               Contains("budgets.toml:2"));
    CHECK_THAT(error_of("[[budget]]\ncheck = \"errors.total == 0\"\ncolour = \"red\"\n", r),
               Contains("budgets.toml:3: unknown key 'colour'") &&
                   Contains("accepted keys: name, topology"));
    CHECK_THAT(error_of("[[budget]]\nname = \"x\"\n", r),
               Contains("budgets.toml:1: budget 1 has no 'check' key"));
    CHECK_THAT(error_of("[[budget]]\nhops = \"three\"\ncheck = \"errors.total == 0\"\n", r),
               Contains("budgets.toml:2: key 'hops': wrong type"));
    CHECK_THAT(error_of("[[budget]]\nhops = 0\ncheck = \"errors.total == 0\"\n", r),
               Contains("budgets.toml:2: key 'hops'"));
    CHECK_THAT(error_of("[[budget]]\ntls = \"1.4\"\ncheck = \"errors.total == 0\"\n", r),
               Contains("budgets.toml:2: key 'tls': unknown TLS version '1.4'"));
    CHECK_THAT(error_of("[budget]\ncheck = \"errors.total == 0\"\n", r),
               Contains("budgets.toml:1: key 'budget': expected [[budget]] tables"));
    CHECK_THAT(error_of("title = \"x\"\n", r), Contains("budgets.toml:1: unknown key 'title'"));
    CHECK_THAT(error_of("", r), Contains("budgets.toml: no budget"));
  }
  SECTION("check strings") {
    const std::string head = "[[budget]]\nname = \"n\"\ncheck = ";
    CHECK_THAT(error_of(head + "\"latency_us.p99 2500\"\n", r),
               Contains("budgets.toml:3: key 'check': no comparison operator"));
    CHECK_THAT(error_of(head + "\"latency_us.p99 <= fast\"\n", r),
               Contains("budgets.toml:3: key 'check': 'fast' is not a number"));
    CHECK_THAT(error_of(head + "\"latency_us.p99 = 5\"\n", r),
               Contains("budgets.toml:3: key 'check': '=' is not an operator"));
    CHECK_THAT(error_of(head + "\"latency us <= 5\"\n", r),
               Contains("budgets.toml:3: key 'check': 'latency us' is not a metric path"));
    CHECK_THAT(error_of(head + "\"latency_us.p50 == +5%\"\n", r),
               Contains("budgets.toml:3: key 'check': '=='"));
    CHECK_THAT(error_of(head + "\"latency_us.p50 <= +x%\"\n", r),
               Contains("budgets.toml:3: key 'check': '+x%' is not a percentage"));
    CHECK_THAT(error_of(head + "\"cpu_us_per_request: tls-everywhere <= 3\"\n", r),
               Contains("budgets.toml:3: key 'check': a ratio is written"));
    CHECK_THAT(
        error_of(head + "\"cpu_us_per_request: tls-everywhere / terminate-once <= 10%\"\n", r),
        Contains("budgets.toml:3: key 'check': a ratio's limit is a number"));
    CHECK_THAT(error_of("[[budget]]\ntopology = \"tls-everywhere\"\ncheck = \"cpu_us_per_request: "
                        "tls-everywhere / "
                        "terminate-once <= 3\"\n",
                        r),
               Contains("budgets.toml:2: key 'topology': a ratio check names its two topologies"));
  }
  SECTION("an unknown metric path is named, with the valid ones") {
    const auto e = error_of("[[budget]]\n\ncheck = \"latency_us.p95 <= 5\"\n", r);
    CHECK_THAT(e, Contains("budgets.toml:3: key 'check': unknown metric 'latency_us.p95'"));
    CHECK_THAT(e, Contains("latency_us.p99") && Contains("errors.total") &&
                      Contains("handshakes_per_request"));
    CHECK_THAT(e, !Contains("nodes"));
    CHECK_THAT(error_of("[[budget]]\ncheck = \"latency_us <= 5\"\n", r),
               Contains("unknown metric 'latency_us'"));
  }
  SECTION("a selector matching no variant names its key and what the report has") {
    const auto e = error_of(
        "[[budget]]\nname = \"p99\"\nconn = \"keepalive\"\nhops = 5\ncheck = \"errors.total == "
        "0\"\n",
        r);
    CHECK_THAT(
        e, Contains("budgets.toml:4: key 'hops': budget 'p99' selects no variant of report.json"));
    CHECK_THAT(e, Contains("hops 3"));
    // Each key matches something, but not together.
    const json mixed = report(
        {variant("tls-everywhere", 3, "1.3", "new"), variant("terminate-once", 5, "1.3", "new")});
    CHECK_THAT(
        error_of(
            "[[budget]]\ntopology = \"tls-everywhere\"\nhops = 5\ncheck = \"errors.total == 0\"\n",
            mixed),
        Contains("budgets.toml:2: key 'topology'") && Contains("topology=tls-everywhere hops=5"));
  }
  SECTION("each side of a ratio must match exactly one variant") {
    const json matrix = report({variant("tls-everywhere", 3, "1.3", "keepalive"),
                                variant("terminate-once", 3, "1.3", "keepalive"),
                                variant("tls-everywhere", 3, "1.2", "keepalive"),
                                variant("terminate-once", 3, "1.2", "keepalive")});
    const auto e = error_of(
        "[[budget]]\ncheck = \"cpu_us_per_request: tls-everywhere / terminate-once <= 3\"\n",
        matrix);
    CHECK_THAT(e, Contains("budgets.toml:2: key 'check'"));
    CHECK_THAT(e, Contains("'tls-everywhere' matches 2 variants") &&
                      Contains("'terminate-once' matches 2 variants"));
    CHECK_THAT(e, Contains("tls-everywhere 3 hops TLS 1.2 keepalive inproc"));
    const auto none = error_of(
        "[[budget]]\ncheck = \"cpu_us_per_request: tls-everywhere / unix-socket <= 3\"\n", r);
    CHECK_THAT(none, Contains("'tls-everywhere' matches 1 variant") &&
                         Contains("'unix-socket' matches 0 variants"));
  }
  SECTION("relative budgets need a matching baseline") {
    CHECK_THAT(error_of("[[budget]]\ncheck = \"latency_us.p50 <= +10%\"\n", r),
               Contains("budgets.toml:2: key 'check': 'latency_us.p50 <= +10%' is relative to a "
                        "baseline report"));
    const json base = report({variant("tls-everywhere", 3, "1.3", "keepalive")});
    const auto e = error_of("[[budget]]\n\ncheck = \"latency_us.p50 <= +10%\"\n", r, &base);
    CHECK_THAT(e, Contains("budgets.toml:3: key 'check': baseline base.json has no variant "
                           "terminate-once 3 hops TLS 1.3 keepalive inproc"));
    // The metric must be a number in the baseline too: one that is not is no report the
    // reader reads, named by its path.
    json old = two_topologies();
    old["variants"][0]["latency_us"]["p50"] = "fast";
    CHECK(error_of("[[budget]]\ncheck = \"latency_us.p50 <= +10%\"\n", r, &old) ==
          "base.json: variants[0].latency_us.p50: expected a number, found a string");
    // A figure null in the baseline (not measured there) is not a number to compare with.
    json delayed = two_topologies(), plain = two_topologies();
    delayed["variants"][0]["network_floor_us"] = 500.0;
    delayed["variants"][1]["network_floor_us"] = 500.0;
    CHECK_THAT(
        error_of("[[budget]]\ncheck = \"network_floor_us <= +10%\"\n", delayed, &plain),
        Contains("budgets.toml:2: key 'check': metric 'network_floor_us' is not a number in variant "
                 "tls-everywhere 3 hops TLS 1.3 keepalive inproc of base.json"));
  }
  SECTION("reports: invalid JSON with its line, or not a report (the typed reader's checks)") {
    try {
      read_report("{\n  \"variants\": [\n    {,}\n  ]\n}\n", "r.json");
      FAIL("no error");
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Contains("r.json:3:") && Contains("not valid JSON"));
    }
    CHECK_THROWS_WITH(read_report("{\"schema_version\": 1}", "r.json"),
                      Contains("r.json: not a hopcost report"));
    CHECK_THROWS_WITH(
        read_report("{\"schema_version\": 1, \"context\": {}, \"variants\": [{\"topology\": \"x\"}]}", "r.json"),
        Contains("r.json: variants[0].tls: missing"));
    CHECK_THROWS_WITH(load_report_file("/nonexistent/report.json", "baseline"),
                      Contains("baseline '/nonexistent/report.json': no such file"));
    CHECK_THROWS_WITH(load_budgets("/nonexistent/budgets.toml"),
                      Contains("budgets file '/nonexistent/budgets.toml': no such file"));
  }
}

TEST_CASE("gate_report: exit code, outputs written, and files named in errors", "[gate]") {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("hopcost-gate-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string budgets = (dir / "budgets.toml").string();
  std::ofstream(budgets) << "[[budget]]\nname = \"p99\"\ncheck = \"latency_us.p99 <= 2500\"\n";
  const GateOutputs outputs{(dir / "junit.xml").string(), (dir / "gate.md").string(), false};

  CHECK(gate_report(two_topologies({.p99 = 2000}, {.p99 = 2100}), "report.json", budgets,
                    std::nullopt, outputs) == kExitOk);
  CHECK(fs::exists(outputs.junit));
  CHECK(fs::exists(outputs.markdown));
  CHECK(gate_report(two_topologies({.p99 = 2000}, {.p99 = 2600}), "report.json", budgets,
                    std::nullopt, outputs) == kExitGateFailed);
  std::ifstream in(outputs.junit);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(xml, Contains("failures=\"1\""));

  std::ofstream(budgets) << "[[budget]]\nname = \"p99\"\ncheck = \"latency_us.p99 <= +5%\"\n";
  CHECK_THROWS_WITH(gate_report(two_topologies(), "report.json", budgets, std::nullopt, outputs),
                    Contains(budgets + ":3: key 'check'") && Contains("--baseline"));
  const std::string bad_baseline = (dir / "base.json").string();
  std::ofstream(bad_baseline) << "{\n\"variants\": [\n,]}";
  CHECK_THROWS_WITH(gate_report(two_topologies(), "report.json", budgets, bad_baseline, outputs),
                    Contains(bad_baseline + ":3:"));
  const GateOutputs nowhere{(dir / "missing" / "junit.xml").string(), "", false};
  CHECK_THROWS_WITH(load_gate_inputs(budgets, std::nullopt, nowhere),
                    Contains("--junit: cannot write"));
  fs::remove_all(dir);
}
