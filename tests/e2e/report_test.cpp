// `hopcost report` and `hopcost compare --json/--html` as a user runs them (issue 12): the
// files written and what is in them, stdout that other tools parse, and bad input that
// exits 2 with one message naming the file or flag and leaves no file behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "report/reader.hpp"
#include "report/result.hpp"
#include "report/vega_runtime.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace hopcost::test;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kGolden = HOPCOST_SOURCE_DIR "/tests/golden/report.json";
const std::string kGoldenDir = HOPCOST_SOURCE_DIR "/tests/golden/";
const std::string kBaseline = HOPCOST_SOURCE_DIR "/results/baselines/ci.json";  // schema 1

// stdout and stderr apart: what tools parse is stdout only.
struct SplitResult {
  int code = -1;
  std::string out, err;
};

SplitResult run_split(const TempDir& tmp, const std::string& args) {
  const std::string err = tmp / "stderr.txt";
  const auto r = run_command(std::string("{ ") + HOPCOST_BINARY + " " + args + " 2>" + err + "; }");
  return {r.code, r.output, read_file(err)};
}

json read_json(const std::string& path) { return json::parse(read_file(path)); }

void write_json(const std::string& path, const json& j) { std::ofstream(path) << j.dump(2); }

std::set<std::string> plot_titles(const std::string& html) {
  std::set<std::string> out;
  const std::regex figure(R"re(<figure data-plot-title="([^"]*)")re");
  for (std::sregex_iterator it(html.begin(), html.end(), figure), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

// A page that draws its plots offline: the embedded Vega and Vega-Lite, and the data.
void check_page_has_runtime(const std::string& html) {
  CHECK_THAT(html, Contains("self).vega={}") && Contains(".vegaLite={},") &&
                       Contains(std::string(hopcost::vega_versions())) && Contains("id=\"hopcost-plots\""));
  CHECK(html.size() > hopcost::vega_js().size() + hopcost::vega_lite_js().size());
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

const json& change(const json& pair, const std::string& metric) {
  for (const auto& c : pair.at("changes"))
    if (c.at("metric") == metric) return c;
  FAIL("no change of " << metric << " in " << pair.dump());
  throw 0;
}

}  // namespace

TEST_CASE("hopcost report re-renders a report as HTML and Markdown, or as the console table") {
  TempDir tmp;
  SECTION("the golden report.json: the golden table and Markdown, and the golden HTML's plots with the runtime") {
    const std::string html = tmp / "r.html", md = tmp / "r.md";
    const auto r = run_split(tmp, "report " + kGolden + " --html " + html + " --markdown " + md);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains("hopcost: wrote " + html + " (HTML)") && Contains("hopcost: wrote " + md + " (Markdown)"));
    REQUIRE(fs::exists(html));
    REQUIRE(fs::exists(md));
    // Read back and rendered again, report.json gives what the writer's own Report gave.
    CHECK(read_file(md) == read_file(kGoldenDir + "report.md"));
    const std::string page = read_file(html);
    const auto titles = plot_titles(page);
    CHECK(titles.size() >= 4);
    CHECK(titles == plot_titles(read_file(kGoldenDir + "report.html")));
    CHECK(titles.count("Latency percentile spectrum") == 1);
    check_page_has_runtime(page);

    const auto table = run_split(tmp, "report " + kGolden);
    INFO(table.err);
    CHECK(table.code == 0);
    CHECK(table.out == read_file(kGoldenDir + "report.txt"));
  }
  SECTION("a schema 1 report (the CI baseline), and its results directory") {
    const hopcost::Report baseline = hopcost::load_report_file(kBaseline, "baseline");
    REQUIRE(baseline.schema_version == 1);
    REQUIRE(baseline.variants.size() >= 2);
    const std::string html = tmp / "r.html", md = tmp / "r.md";
    const auto r = run_split(tmp, "report " + kBaseline + " --html " + html + " --markdown " + md);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    const std::string page = read_file(html), markdown = read_file(md);
    const auto titles = plot_titles(page);
    CHECK(titles.count("Latency per variant: p50 and p99") == 1);
    CHECK(titles.count("CPU per request, by node") == 1);
    check_page_has_runtime(page);
    CHECK_THAT(markdown, Contains("## Variants") && Contains("| variant | req/s | p50 µs |"));
    for (const auto& v : baseline.variants) CHECK_THAT(markdown, Contains("| " + v.label() + " |"));

    // A results directory means its report.json; with neither flag, the table.
    fs::create_directories(tmp.path / "results");
    fs::copy_file(kBaseline, tmp.path / "results" / "report.json");
    const auto table = run_split(tmp, "report " + (tmp / "results"));
    INFO(table.err);
    CHECK(table.code == 0);
    CHECK_THAT(table.out, Contains("p50 µs"));
    for (const auto& v : baseline.variants) CHECK_THAT(table.out, Contains(v.label()));
  }
}

TEST_CASE("hopcost report on bad input exits 2 with one message naming the file or flag, and writes nothing") {
  TempDir tmp;
  const std::string golden = read_file(kGolden);
  const std::string truncated = tmp / "truncated.json", other = tmp / "other.json", newer = tmp / "newer.json";
  std::ofstream(truncated) << golden.substr(0, golden.size() / 2);
  std::ofstream(other) << R"({"a":1})";
  json j = json::parse(golden);
  j["schema_version"] = 99;
  write_json(newer, j);
  const std::string html = tmp / "out.html", md = tmp / "out.md";
  const std::string both = " --html " + html + " --markdown " + md;
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"report " + (tmp / "missing.json") + both, "report '" + (tmp / "missing.json") + "': no such file"},
      {"report " + (tmp / "no-such-dir") + both, "no-such-dir"},
      {"report " + truncated + both, truncated + ":"},
      {"report " + other + both, other + ": not a hopcost report"},
      {"report " + newer + both, newer + ": schema_version 99 is not one this build reads"},
      // The output checked before anything is written: no Markdown beside the HTML that cannot be.
      {"report " + kGolden + " --markdown " + md + " --html " + (tmp / "nodir/r.html"),
       "--html: cannot write '" + (tmp / "nodir/r.html") + "': no directory"},
      {"report " + kGolden + " --html " + html + " --markdown " + (tmp / "nodir/r.md"), "--markdown: cannot write"},
      {"report " + kGolden + " --html " + tmp.path.string(), "--html"},
  };
  for (const auto& c : cases) {
    const auto r = run_command(std::string(HOPCOST_BINARY) + " " + c.args);
    INFO(c.args << " -> " << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Contains(c.message));
    CHECK(lines(r.output) == 1);
    CHECK_FALSE(fs::exists(html));
    CHECK_FALSE(fs::exists(md));
    CHECK_FALSE(fs::exists(tmp.path / "nodir"));
  }
  // The truncated file's message says where its JSON breaks off: file:line:column.
  const auto r = run_command(std::string(HOPCOST_BINARY) + " report " + truncated);
  CHECK(std::regex_search(r.output, std::regex(truncated + ":[0-9]+:[0-9]+: not valid JSON")));
}

TEST_CASE("hopcost compare --json: one JSON object on stdout with each figure's change as a ratio and its verdict") {
  TempDir tmp;
  // A: the golden report, with throughput repeats on its first variant. B: that variant's
  // p50 (and its repeats) x1.5 and its throughput x2, on another CPU, without the tcp variant.
  json a = read_json(kGolden);
  REQUIRE(a["variants"].size() == 5);
  auto& a0 = a["variants"][0];
  REQUIRE(a0["repeat_values"]["latency_us.p50"].size() == 3);
  a0["repeat_values"]["throughput_rps"] = {990.0, 1000.123, 1010.0};
  json b = a;
  auto& b0 = b["variants"][0];
  b0["latency_us"]["p50"] = a0["latency_us"]["p50"].get<double>() * 1.5;
  for (auto& x : b0["repeat_values"]["latency_us.p50"]) x = x.get<double>() * 1.5;
  b0["throughput_rps"] = a0["throughput_rps"].get<double>() * 2;
  for (auto& x : b0["repeat_values"]["throughput_rps"]) x = x.get<double>() * 2;
  REQUIRE(b["variants"][3]["topology"] == "tcp");
  const std::string tcp_label = hopcost::read_report(a.dump(), "a").variants[3].label();
  b["variants"].erase(3);
  b["context"]["cpu_model"] = "Another CPU";
  const std::string fa = tmp / "a.json", fb = tmp / "b.json";
  write_json(fa, a);
  write_json(fb, b);

  SECTION("two reports whose figures differ by a known amount") {
    const auto r = run_split(tmp, "compare " + fa + " " + fb + " --json");
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    const json c = json::parse(r.out);  // the whole of stdout: one object, nothing else
    REQUIRE(c.is_object());
    CHECK(c["a"] == fa);
    CHECK(c["b"] == fb);
    REQUIRE(c["pairs"].size() == 4);
    const json& p = c["pairs"][0];
    CHECK(p["key"]["topology"] == "terminate-once");
    CHECK(p["key"]["hops"] == 2);
    CHECK(p["label"] == "terminate-once 2 hops TLS 1.3 new inproc");
    REQUIRE(p["changes"].size() == 7);
    const json& p50 = change(p, "latency_us.p50");
    CHECK(p50["a"] == a0["latency_us"]["p50"]);
    CHECK(p50["b"] == b0["latency_us"]["p50"]);
    CHECK(p50["change"].get<double>() == Approx(1.5));
    CHECK(p50["verdict"] == "worse");
    CHECK(p50["ci95"]["low"].get<double>() > 1.0);
    CHECK(p50["ci95"]["high"].get<double>() >= 1.5);
    CHECK(p50["repeats_a"] == 3);
    CHECK(p50["repeats_b"] == 3);
    const json& rps = change(p, "throughput_rps");
    CHECK(rps["change"].get<double>() == Approx(2.0));
    CHECK(rps["verdict"] == "better");
    // Unchanged and without repeats: no change, and too few repeats to tell.
    const json& p99 = change(p, "latency_us.p99");
    CHECK(p99["change"].get<double>() == 1.0);
    CHECK(p99["verdict"] == "within noise");
    CHECK(p99["reason"] == "too few repeats to tell");
    CHECK(p99["ci95"].is_null());
    // Every other pair is unchanged; the failed variant's figures have no change and no
    // verdict (they are partial).
    for (size_t i = 1; i < c["pairs"].size(); ++i) {
      const json& q = c["pairs"][i];
      INFO(q.dump());
      const bool failed = !q["note"].get<std::string>().empty();
      for (const auto& f : q["changes"]) {
        if (failed) {
          CHECK(f["change"].is_null());
          CHECK(f["verdict"].is_null());
        } else {
          CHECK(f["change"] == 1.0);
          CHECK(f["verdict"] == "within noise");
        }
      }
    }
    REQUIRE(c["unmatched"].size() == 1);
    CHECK(c["unmatched"][0]["only_in"] == "A");
    CHECK(c["unmatched"][0]["label"] == tcp_label);
    CHECK(c["unmatched"][0]["key"]["topology"] == "tcp");
    REQUIRE(c["context_differences"].size() == 1);
    CHECK_THAT(c["context_differences"][0].get<std::string>(), Contains("cpu_model") && Contains("Another CPU"));
    // The warning goes to stderr, where it does not break the JSON.
    CHECK_THAT(r.err, Contains("compare: warning:") && Contains("cpu_model"));
  }
  SECTION("a report against itself: every change 1, nothing better or worse") {
    const auto r = run_split(tmp, "compare " + fa + " " + fa + " --json");
    INFO(r.err);
    REQUIRE(r.code == 0);
    const json c = json::parse(r.out);
    REQUIRE(c["pairs"].size() == 5);
    for (const auto& p : c["pairs"])
      for (const auto& f : p["changes"]) {
        INFO(p["label"] << " " << f.dump());
        if (p["note"].get<std::string>().empty())
          CHECK(f["change"] == 1.0);
        else
          CHECK(f["change"].is_null());  // the golden report's failed variant
        CHECK(f["verdict"] != "better");
        CHECK(f["verdict"] != "worse");
      }
    CHECK(c["unmatched"].empty());
    CHECK(c["context_differences"].empty());
    CHECK(r.err.empty());
  }
  SECTION("--html writes a page with both reports' spectra on one chart, and --markdown beside it") {
    const std::string html = tmp / "c.html", md = tmp / "c.md";
    const auto r = run_split(tmp, "compare " + fa + " " + fb + " --html " + html + " --markdown " + md);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Contains("latency_us.p50") && Contains("worse") && Contains("better"));
    REQUIRE(fs::exists(html));
    const std::string page = read_file(html);
    CHECK(plot_titles(page) == std::set<std::string>{"Latency percentile spectra: A and B"});
    check_page_has_runtime(page);
    CHECK_THAT(page, Contains("terminate-once 2 hops TLS 1.3 new inproc") && Contains("worse"));
    CHECK_THAT(read_file(md), Contains("`latency_us.p50`"));
  }
  SECTION("a file of another schema exits 2 naming it, and nothing is written") {
    json newer = b;
    newer["schema_version"] = 99;
    const std::string fn = tmp / "newer.json", html = tmp / "c.html", md = tmp / "c.md";
    write_json(fn, newer);
    for (const std::string& args : {fa + " " + fn, fn + " " + fa}) {
      const auto r = run_command(std::string(HOPCOST_BINARY) + " compare " + args + " --json --html " + html + " --markdown " + md);
      INFO(args << " -> " << r.output);
      CHECK(r.code == 2);
      CHECK_THAT(r.output, Contains(fn + ": schema_version 99 is not one this build reads"));
      CHECK(lines(r.output) == 1);
      CHECK_FALSE(fs::exists(html));
      CHECK_FALSE(fs::exists(md));
    }
    const auto r = run_command(std::string(HOPCOST_BINARY) + " compare " + fa + " " + fb + " --html " + (tmp / "nodir/c.html"));
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Contains("--html: cannot write"));
    CHECK(lines(r.output) == 1);
  }
}
