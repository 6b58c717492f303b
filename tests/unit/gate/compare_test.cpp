// hopcost compare: variants paired by their key, each headline figure's change and its
// noise-aware verdict (the gate's Welch interval), null figures, unmatched variants, and
// bad input that exits 2 naming the file and the schema version.
#include "gate/compare.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/reader.hpp"
#include "report/result.hpp"
#include "util/errors.hpp"

using namespace hopcost;
using namespace hopcost::gate;
using Catch::Contains;
using nlohmann::json;

namespace {

json variant(const std::string& topology, int hops, double p50, const std::vector<double>& p50_repeats = {}) {
  json v;
  v["topology"] = topology;
  v["links"] = json::array({"tls"});
  v["hops"] = hops;
  v["tls"] = "1.3";
  v["conn"] = "keepalive";
  v["placement"] = "inproc";
  v["throughput_rps"] = 1000.0;
  v["latency_us"] = {{"p50", p50}, {"p99", p50 * 2}};
  v["cpu_us_per_request"] = 50.0;
  v["handshake_cpu_us"] = 400.0;
  v["handshakes_per_request"] = 0.0;
  v["tls_cpu_share"] = 0.2;
  v["failure"] = nullptr;
  v["repeats"] = p50_repeats.empty() ? 1 : static_cast<int>(p50_repeats.size());
  v["repeat_values"] = json::object();
  if (!p50_repeats.empty()) v["repeat_values"]["latency_us.p50"] = p50_repeats;
  return v;
}

json report(std::vector<json> variants, int schema = 2) {
  json r;
  r["schema_version"] = schema;
  r["context"] = {{"cpu_model", "cpu X"}, {"tls_library", "BoringSSL"}, {"build_type", "Release"}};
  r["variants"] = variants;
  return r;
}

// Reports are built here as JSON and read as files are (report/reader.hpp).
Comparison compare_reports(const json& a, const json& b, const std::string& name_a, const std::string& name_b) {
  return hopcost::gate::compare_reports(read_report(a.dump(), name_a), read_report(b.dump(), name_b), name_a, name_b);
}

// A copy: the comparisons these come from are often temporaries.
FigureChange figure(const ComparedPair& p, const std::string& metric) {
  for (const auto& f : p.changes)
    if (f.metric == metric) return f;
  FAIL("no figure " << metric);
  return {};
}

}  // namespace

TEST_CASE("compare pairs variants by key and lists those found in one report only") {
  const json a = report({variant("tls-everywhere", 2, 100), variant("terminate-once", 2, 80)});
  const json b = report({variant("terminate-once", 2, 88), variant("tls-everywhere", 4, 150)});
  const Comparison c = compare_reports(a, b, "a.json", "b.json");
  REQUIRE(c.pairs.size() == 1);
  CHECK(c.pairs[0].key.topology == "terminate-once");
  CHECK(c.pairs[0].changes.size() == 7);
  const auto p50 = figure(c.pairs[0], "latency_us.p50");
  CHECK(*p50.a == 80);
  CHECK(*p50.b == 88);
  CHECK(*p50.change == Approx(0.10));
  CHECK(p50.verdict == "within noise (too few repeats to tell)");
  REQUIRE(c.unmatched.size() == 2);
  CHECK(c.unmatched[0].only_in == "A");
  CHECK(c.unmatched[0].key.hops == 2);
  CHECK(c.unmatched[0].key.topology == "tls-everywhere");
  CHECK(c.unmatched[1].only_in == "B");
  CHECK(c.unmatched[1].key.hops == 4);
  const std::string table = render_compare_table(c);
  CHECK_THAT(table, Contains("terminate-once 2 hops") && Contains("latency_us.p50") && Contains("+10.0%") &&
                        Contains("only in A: tls-everywhere 2 hops") && Contains("only in B: tls-everywhere 4 hops"));
}

TEST_CASE("compare verdicts: beyond noise is better or worse by the figure's orientation, else within noise") {
  SECTION("latency up by 20 % with tight repeats is worse") {
    const json a = report({variant("t", 1, 100, {99, 100, 101})});
    const json b = report({variant("t", 1, 120, {119, 120, 121})});
    const auto f = figure(compare_reports(a, b, "a", "b").pairs.at(0), "latency_us.p50");
    REQUIRE(f.ci);
    CHECK(f.ci->low > 0);
    CHECK(f.verdict == "worse");
  }
  SECTION("latency down is better") {
    const json a = report({variant("t", 1, 120, {119, 120, 121})});
    const json b = report({variant("t", 1, 100, {99, 100, 101})});
    CHECK(figure(compare_reports(a, b, "a", "b").pairs.at(0), "latency_us.p50").verdict == "better");
  }
  SECTION("throughput up is better, down is worse") {
    json a = report({variant("t", 1, 100)}), b = report({variant("t", 1, 100)});
    a["variants"][0]["repeat_values"]["throughput_rps"] = {1000, 1010, 990};
    b["variants"][0]["repeat_values"]["throughput_rps"] = {1200, 1210, 1190};
    b["variants"][0]["throughput_rps"] = 1200;
    CHECK(figure(compare_reports(a, b, "a", "b").pairs.at(0), "throughput_rps").verdict == "better");
    CHECK(figure(compare_reports(b, a, "b", "a").pairs.at(0), "throughput_rps").verdict == "worse");
  }
  SECTION("a shift the spread of the repeats cannot tell from noise") {
    const json a = report({variant("t", 1, 100, {80, 100, 120})});
    const json b = report({variant("t", 1, 105, {85, 105, 125})});
    const auto f = figure(compare_reports(a, b, "a", "b").pairs.at(0), "latency_us.p50");
    REQUIRE(f.ci);
    CHECK(f.ci->low < 0);
    CHECK(f.ci->high > 0);
    CHECK(f.verdict == "within noise");
  }
  SECTION("a report against itself shows no change") {
    const json a = report({variant("t", 1, 100, {99, 100, 101})});
    const Comparison c = compare_reports(a, a, "a", "a");
    for (const auto& f : c.pairs.at(0).changes) {
      CHECK(*f.change == 0);
      CHECK(f.verdict.rfind("within noise", 0) == 0);
    }
    CHECK(c.unmatched.empty());
    CHECK(c.context_differences.empty());
  }
  SECTION("one side with a single repeat: too few repeats to tell") {
    const json a = report({variant("t", 1, 100, {99, 100, 101})});
    const json b = report({variant("t", 1, 200, {200})});
    const auto f = figure(compare_reports(a, b, "a", "b").pairs.at(0), "latency_us.p50");
    CHECK_FALSE(f.ci);
    CHECK(*f.change == Approx(1.0));
    CHECK(f.verdict == "within noise (too few repeats to tell)");
  }
}

TEST_CASE("compare shows a figure that is null in either report as - with no verdict") {
  json a = report({variant("t", 1, 100)}), b = report({variant("t", 1, 100)});
  // A real program in B's chain: its handshake CPU is unknown, and report.json says null.
  b["variants"][0]["handshake_cpu_us"] = nullptr;
  b["variants"][0]["nodes"] = json::array({{{"name", "origin"}, {"role", "origin"}, {"implementation", "nginx"}}});
  const Comparison c = compare_reports(a, b, "a", "b");
  const auto f = figure(c.pairs.at(0), "handshake_cpu_us");
  CHECK(f.a);
  CHECK_FALSE(f.b);
  CHECK_FALSE(f.change);
  CHECK(f.verdict == "-");
  CHECK_THAT(render_compare_markdown(c), Contains("| `handshake_cpu_us` | 400 µs | - | - | - | - |"));
}

TEST_CASE("compare warns when the two runs' contexts differ, and reads schema 1") {
  json a = report({variant("t", 1, 100)}, 1), b = report({variant("t", 1, 100)});
  b["context"]["cpu_model"] = "cpu Y";
  const Comparison c = compare_reports(a, b, "a", "b");
  REQUIRE(c.context_differences.size() == 1);
  CHECK_THAT(c.context_differences[0], Contains("cpu_model") && Contains("cpu X") && Contains("cpu Y"));
}

TEST_CASE("compare rejects what is not a report it reads, naming the file and the version") {
  // compare reads its files with the typed reader: its checks are compare's.
  const auto input_error = [](const json& doc, const std::string& name) {
    (void)read_report(doc.dump(), name);
  };
  CHECK_THROWS_WITH(input_error(report({variant("t", 1, 100)}, kSchemaVersion + 1), "new.json"),
                    Contains("new.json") && Contains(fmt::format("schema_version {}", kSchemaVersion + 1)) && Contains("written by a newer hopcost"));
  CHECK_THROWS_WITH(input_error(json{{"variants", json::array()}}, "x.json"),
                    Contains("x.json: not a hopcost report"));
  CHECK_THROWS_WITH(input_error(json::array(), "arr.json"), Contains("not a hopcost report"));
  json no_hops = report({variant("t", 1, 100)});
  no_hops["variants"][0].erase("hops");
  CHECK_THROWS_WITH(input_error(no_hops, "h.json"), Contains("h.json: variants[0].hops: missing"));
  CHECK_THROWS_WITH(load_report_file("/nonexistent/r.json", "A"), Contains("A '/nonexistent/r.json': no such file"));
  const auto dir = std::filesystem::temp_directory_path() / "hopcost-compare-unit";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << "{\"schema_version\": 2, ";
  CHECK_THROWS_WITH(load_report_file((dir / "bad.json").string(), "B"), Contains("bad.json:1:") && Contains("not valid JSON"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("compare --json: a verdict of three words with its reason apart, changes as ratios, and the keys") {
  json a = report({variant("t", 1, 100, {99, 100, 101}), variant("u", 1, 100), variant("f", 1, 100), variant("only-a", 1, 10)});
  json b = report({variant("t", 1, 120, {119, 120, 121}), variant("u", 1, 100), variant("f", 1, 100), variant("only-b", 2, 10)});
  // A repeat value that is not above 0: no interval.
  a["variants"][0]["repeat_values"]["cpu_us_per_request"] = {0.0, 50.0, 50.0};
  b["variants"][0]["repeat_values"]["cpu_us_per_request"] = {50.0, 50.0, 50.0};
  // No figure in B; and a rise from 0, whose ratio is infinite.
  b["variants"][1]["handshake_cpu_us"] = nullptr;
  b["variants"][1]["nodes"] = json::array({{{"name", "origin"}, {"role", "origin"}, {"implementation", "nginx"}}});
  a["variants"][1]["tls_cpu_share"] = 0.0;
  b["variants"][2]["failure"] = "relay1 died";
  const Comparison c = compare_reports(a, b, "a.json", "b.json");
  const auto j = compare_to_json(c);
  CHECK(json::parse(j.dump()) == json(j));  // valid JSON: no inf, no NaN
  CHECK(j["a"] == "a.json");
  CHECK(j["b"] == "b.json");
  REQUIRE(j["pairs"].size() == 3);
  const auto change = [&](size_t pair, const std::string& metric) {
    for (const auto& f : j["pairs"][pair]["changes"])
      if (f["metric"] == metric) return f;
    FAIL("no " << metric);
    return decltype(j)();
  };
  CHECK(j["pairs"][0]["key"]["topology"] == "t");
  CHECK(j["pairs"][0]["key"]["hops"] == 1);
  CHECK(j["pairs"][0]["label"] == c.pairs[0].key.label());
  CHECK(j["pairs"][0]["changes"].size() == c.pairs[0].changes.size());

  const auto worse = change(0, "latency_us.p50");
  CHECK(worse["a"] == 100.0);
  CHECK(worse["b"] == 120.0);
  CHECK(worse["change"].get<double>() == Approx(1.2));
  CHECK(worse["verdict"] == "worse");
  CHECK(worse["reason"] == "");
  CHECK(worse["ci95"]["low"].get<double>() == Approx(1 + c.pairs[0].changes[1].ci->low));
  CHECK(worse["ci95"]["low"].get<double>() > 1);
  CHECK(worse["repeats_a"] == 3);
  CHECK(worse["repeats_b"] == 3);

  const auto no_interval = change(0, "cpu_us_per_request");
  CHECK(no_interval["verdict"] == "within noise");
  CHECK(no_interval["reason"] == "no interval: a repeat value is not above 0");
  CHECK(no_interval["ci95"].is_null());

  const auto few = change(1, "latency_us.p50");
  CHECK(few["change"] == 1.0);
  CHECK(few["verdict"] == "within noise");
  CHECK(few["reason"] == "too few repeats to tell");
  CHECK(few["ci95"].is_null());

  const auto missing = change(1, "handshake_cpu_us");
  CHECK(missing["a"] == 400.0);
  CHECK(missing["b"].is_null());
  CHECK(missing["change"].is_null());
  CHECK(missing["verdict"].is_null());
  CHECK(missing["reason"] == "no figure in B");

  const auto from_zero = change(1, "tls_cpu_share");
  CHECK(from_zero["a"] == 0.0);
  CHECK(from_zero["change"].is_null());
  CHECK(from_zero["verdict"] == "within noise");

  CHECK_THAT(j["pairs"][2]["note"].get<std::string>(), Contains("failed in B: relay1 died"));
  for (const auto& f : j["pairs"][2]["changes"]) {
    CHECK(f["verdict"].is_null());
    CHECK(f["reason"] == "failed in B: relay1 died");
  }

  REQUIRE(j["unmatched"].size() == 2);
  CHECK(j["unmatched"][0]["key"]["topology"] == "only-a");
  CHECK(j["unmatched"][0]["only_in"] == "A");
  CHECK(j["unmatched"][0]["label"] == c.unmatched[0].key.label());
  CHECK(j["unmatched"][1]["key"]["topology"] == "only-b");
  CHECK(j["unmatched"][1]["key"]["hops"] == 2);
  CHECK(j["unmatched"][1]["only_in"] == "B");
  CHECK(j["context_differences"].empty());
  // Every verdict is one of the three words, or null.
  for (const auto& p : j["pairs"])
    for (const auto& f : p["changes"])
      CHECK((f["verdict"].is_null() || f["verdict"] == "better" || f["verdict"] == "worse" || f["verdict"] == "within noise"));
}
