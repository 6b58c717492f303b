// The typed reader of report.json: what the writer wrote, read back and written again, is
// the same text (so no field is forgotten on either side), schema 1 reports read, and
// every kind of bad input is one ConfigError naming the file and what is wrong.
#include "report/reader.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/json.hpp"
#include "tests/support/golden_report.hpp"
#include "util/errors.hpp"

using namespace hopcost;
using Catch::Contains;
using nlohmann::json;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kGolden = HOPCOST_SOURCE_DIR "/tests/golden/report.json";

// The golden report with every field that it leaves at its default set to something else,
// so that a field the reader forgot changes the text written back. Real programs at some
// links' ends make the writer write null for what they cannot count: those read back too.
Report filled_report() {
  Report r = testing::fixed_report();
  r.context.cpu_governor = "performance";
  r.context.programs = {{"haproxy", "HAProxy version 2.6.12"}};
  r.floors->loopback_tcp_rtt_cross_cpu_us = 80.5;
  r.floors->loopback_uds_rtt_cross_cpu_us = 60.25;
  r.floors->pinned_cpu = 1;
  r.floors->handshake_cpu_us_by_setup = {{"1.3 rsa-2048", 1200.5}, {"1.3 resumed", 150.125}};
  Marginal m = r.marginal_tls_hop.at(0);
  m.upstream = std::nullopt;
  m.rtt_us = std::nullopt;
  m.tls_setup = "rsa-2048 mtls";
  m.hops_held_equal = true;
  m.confounded = true;
  m.latency_us_p99.ci95 = std::nullopt;
  r.marginal_tls_hop.push_back(m);

  VariantResult& v = r.variants.at(1);  // tls-everywhere, 2 TLS links, new connections
  v.rtt_us = std::nullopt;
  v.link_rtt_us = {500, 250};
  v.chain_rtt_us = 250;
  v.group = "x25519";
  v.mtls = "on";
  v.chain_depth = 1;
  v.resume = "id";
  v.upstream_resume = "off";
  v.relay = "hopcost";
  v.upstream = "pool";
  v.network_floor_us = 2250;
  v.latency_vs_network_floor = 1.5;
  v.cpu_policy = "pack";
  v.errors[ErrorKind::connect] = 1;
  v.errors[ErrorKind::timeout] = 4;
  v.warmup_errors[ErrorKind::read] = 2;
  v.warmup_errors[ErrorKind::write] = 3;
  v.warmup_errors[ErrorKind::status] = 5;
  v.warmup_extended_s = 0.25;
  v.connections_established = 15;
  v.exhausted = 2;
  v.first_exhausted = "origin: accept: Too many open files";
  v.latency_out_of_range = 7;
  v.handshakes_per_second = 1234.5;
  v.handshakes_resumed_share = 0.25;
  v.certificates = {2, 2, 1, 1, 6};
  v.handshake_cpu_vs_floor = 1.125;
  v.attribution_negative = 3;
  v.repeats = 2;
  v.repeat_values = {{"throughput_rps", {390, 410}}, {"latency_us.p99", {700, 800}}};
  v.ci95 = {{"throughput_rps", Interval{380, 420}}};
  LinkResult& a = v.per_hop.at(0);
  a.rtt_us = 500;
  a.tls_group = "X25519";
  a.key_type = "ecdsa-p256";
  a.mtls = true;
  a.handshake_errors_client = 1;
  a.handshake_errors_server = 2;
  a.handshake_error = "certificate verify failed: certificate has expired";
  a.added_latency_resolution_us = 0.5;
  a.resume = true;
  a.handshakes_full = 0.75;
  a.handshakes_resumed = 0.25;
  a.handshake_bytes_full = 3200.5;
  a.handshake_bytes_resumed = 640.25;
  a.handshake_cpu_us_full_client = 410.5;
  a.handshake_cpu_us_full_server = 160.25;
  a.handshake_cpu_us_resumed_client = 40.5;
  a.handshake_cpu_us_resumed_server = 30.25;
  a.sessions_offered = 0.875;
  a.early_data_accepted = 0.5;
  a.early_data_rejected = 0.125;
  a.counted_at = "server end";
  LinkResult& b = v.per_hop.at(1);
  b.unknown_reason = "relay1 gave no residence times";
  b.added_latency_joint_us = Percentiles{111.5, 222.25};
  b.joint_last_link = 1;
  b.joint_includes_origin = true;
  v.origin_unknown_reason = "the origin gave no residence times";
  v.origin_us = {};
  v.nodes.at(0).cpu = 0;
  v.nodes.at(1).errors[ErrorKind::read] = 1;
  v.nodes.at(1).first_errors = {{"read", "peer closed"}, {"handshake", "no shared cipher"}};

  // A real program as the relay of the tls,uds variant: its ends count nothing.
  VariantResult& real = r.variants.at(2);
  real.relay = "haproxy";
  real.upstream = "1:1";
  real.upstream_resume = "mixed";
  NodeResult relay{"relay1", "relay", 0, 0, 1500, 44.5, 3000.5, 1, std::nullopt, std::nullopt, {}, {}};
  relay.implementation = "haproxy";
  relay.version = "HAProxy version 2.6.12";
  relay.helpers = std::vector<NodeResult::Helper>{{"varnishncsa", 1.5}, {"hitch", 2.25}};
  relay.upstream_connections_opened = 16;
  relay.upstream_reuses = 2984;
  relay.upstream_retries = 1;
  relay.upstream_pool_peak = 16;
  real.nodes.insert(real.nodes.begin() + 1, relay);
  real.nodes.at(0).helpers = std::vector<NodeResult::Helper>{};
  real.per_hop.at(0).server_end = "haproxy";
  real.per_hop.at(0).counted_at = "haproxy's log (server end)";
  real.per_hop.at(1).client_end = "haproxy";
  real.per_hop.at(1).uncounted_reason = "no hopcost end: haproxy and the origin's uds";
  // An origin with its own counts at the other end of the pool.
  real.nodes.back().upstream_pool_peak = 0;
  return r;
}

std::string error_of(std::string_view text) {
  try {
    (void)read_report(text, "r.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("no ConfigError for: " << text.substr(0, 200));
  return {};
}

// The golden report's JSON with one change.
std::string golden_with(const std::function<void(nlohmann::ordered_json&)>& change) {
  auto j = nlohmann::ordered_json::parse(read_text(kGolden));
  change(j);
  return j.dump(2);
}

}  // namespace

TEST_CASE("reader: the golden report.json read and written again is the same text", "[report]") {
  const std::string golden = read_text(kGolden);
  REQUIRE(!golden.empty());
  const Report r = read_report(golden, "report.json");
  CHECK(report_to_json_text(r) == golden);
  // And what it read is the golden test's report.
  CHECK(report_to_json_text(r) == report_to_json_text(testing::fixed_report()));
  REQUIRE(r.variants.size() == 5);
  CHECK(r.schema_version == kSchemaVersion);
  CHECK(r.variants[0].repeat_values.at("latency_us.p50") == std::vector<double>{99, 100, 104});
  CHECK(r.variants[0].latency_histogram.has_value());
  CHECK(r.variants[2].uncorrected_latency_histogram.has_value());
  CHECK_FALSE(r.variants[1].latency_histogram.has_value());
  CHECK(r.variants[4].failure.has_value());
  CHECK(r.variants[3].tls_version == std::nullopt);
  CHECK(static_cast<const VariantKey&>(r.variants[1]) == static_cast<const VariantKey&>(testing::fixed_report().variants[1]));
}

TEST_CASE("reader: a report with every field set round-trips byte for byte", "[report]") {
  const std::string text = report_to_json_text(filled_report());
  // The fixture reaches what it is meant to: nulls of real ends, joint shares, helpers.
  CHECK_THAT(text, Contains("\"helpers\": [") && Contains("\"added_latency_joint_us\": {") &&
                       Contains("\"handshake_cpu_us\": null") && Contains("\"cpu_governor\": \"performance\"") &&
                       Contains("\"origin_us\": null") && Contains("\"uncounted_reason\": \"no hopcost end"));
  const Report once = read_report(text, "filled.json");
  CHECK(report_to_json_text(once) == text);
  // Twice: nothing drifts (rounding, defaults filled in).
  CHECK(report_to_json_text(read_report(report_to_json_text(once), "again.json")) == text);
  // The typed values, for what the writer derives rather than copies.
  const VariantResult& v = once.variants.at(1);
  CHECK(v.failed() == false);
  CHECK(v.nodes.at(0).cpu == 0);
  CHECK(v.per_hop.at(1).unknown_reason.has_value());
  CHECK(once.variants.at(2).nodes.at(1).helpers->size() == 2);
  CHECK(once.context.cpu_governor == "performance");
  CHECK(once.configuration.has_value());
}

TEST_CASE("reader: variant_to_json is the writer's form of a variant", "[report]") {
  const Report r = testing::fixed_report();
  const auto whole = nlohmann::ordered_json::parse(report_to_json_text(r));
  for (size_t i = 0; i < r.variants.size(); ++i) CHECK(variant_to_json(r.variants[i]) == whole["variants"][i]);
}

TEST_CASE("reader: schema 1 reports read, without histograms, and older keys read as their defaults", "[report]") {
  const std::string old = golden_with([](nlohmann::ordered_json& j) {
    j["schema_version"] = 1;
    j["context"].erase("programs");
    for (auto& v : j["variants"]) {
      v.erase("latency_histogram");
      v.erase("uncorrected_latency_histogram");
      for (const char* key : {"relay", "upstream_resume", "cpu_policy", "certificates"}) v.erase(key);
      for (auto& l : v["per_hop"]) l.erase("client_end");
    }
  });
  const Report r = read_report(old, "old.json");
  CHECK(r.schema_version == 1);
  for (const auto& v : r.variants) {
    CHECK_FALSE(v.latency_histogram.has_value());
    CHECK_FALSE(v.uncorrected_latency_histogram.has_value());
    CHECK(v.cpu_policy == "spread");
    for (const auto& l : v.per_hop) CHECK(l.client_end == "hopcost");
  }
  CHECK(r.variants[1].relay == "hopcost");  // read_key's default for relays
  CHECK(r.context.programs.empty());
  // What the repository's baselines hold: real schema 1 reports.
  for (const char* name : {"ci.json", "ci-wallclock.json"}) {
    const Report base = load_report_file(HOPCOST_SOURCE_DIR "/results/baselines/" + std::string(name), "baseline");
    CHECK(base.schema_version == 1);
    CHECK_FALSE(base.variants.empty());
    for (const auto& v : base.variants) CHECK_FALSE(v.latency_histogram.has_value());
  }
}

// A figure too large to round to 3 decimals is written back as read, not as infinity,
// which JSON writes as null and the reader refuses (found by the report fuzz target).
TEST_CASE("reader: a figure too large to round (1e308) is written back as read", "[report]") {
  const std::string text = R"({"schema_version":1,"context":{},"variants":[{"topology":"tls-everywhere","hops":2,)"
                           R"("tls":"1.3","conn":"new","placement":"inproc","handshakes_per_request":1e308}]})";
  const std::string once = report_to_json_text(read_report(text, "big.json"));
  const Report again = read_report(once, "again.json");
  CHECK(again.variants.at(0).handshakes_per_request == 1e308);
  CHECK(report_to_json_text(again) == once);
}

TEST_CASE("reader: every bad input is one ConfigError naming the file and what is wrong", "[report]") {
  CHECK_THAT(error_of("{\n  \"variants\": [\n    {,}\n  ]\n}\n"), Contains("r.json:3:") && Contains("not valid JSON"));
  const std::string golden = read_text(kGolden);
  CHECK_THAT(error_of(golden.substr(0, golden.size() / 2)), Contains("r.json:") && Contains("not valid JSON"));
  CHECK_THAT(error_of(""), Contains("r.json:1:1: not valid JSON"));
  // A number beyond a double's range is bad JSON too, not another exception (found by the
  // report fuzz target).
  CHECK(error_of("{\"schema_version\": 3, \"x\": 3001e308}") == "r.json: not valid JSON: number overflow parsing '3001e308'");
  CHECK(error_of(golden_with([](auto& j) { j["schema_version"] = 7; })) ==
        "r.json: schema_version 7 is not one this build reads (1, 2, 3): written by a newer hopcost");
  CHECK(error_of(golden_with([](auto& j) { j["schema_version"] = 0; })) ==
        "r.json: schema_version 0 is not one this build reads (1, 2, 3)");
  CHECK(error_of(golden_with([](auto& j) { j["schema_version"] = "2"; })) ==
        "r.json: schema_version: expected a whole number, found a string");
  CHECK(error_of(golden_with([](auto& j) { j.erase("schema_version"); })) ==
        "r.json: not a hopcost report: no \"schema_version\"");
  CHECK(error_of("{\"schema_version\": 2, \"context\": {}}") == "r.json: not a hopcost report: no \"variants\" array");
  CHECK(error_of("{\"schema_version\": 2, \"variants\": []}") == "r.json: not a hopcost report: no \"context\" object");
  CHECK(error_of("[1, 2]") == "r.json: not a hopcost report: expected a JSON object, found an array");
  CHECK(error_of("{\"name\": \"something else\"}") == "r.json: not a hopcost report: no \"schema_version\"");
  CHECK(error_of(golden_with([](auto& j) { j["variants"] = json::object(); })) ==
        "r.json: variants: expected an array, found an object");
  CHECK(error_of(golden_with([](auto& j) { j["variants"][1]["per_hop"][1]["kind"] = 5; })) ==
        "r.json: variants[1].per_hop[1].kind: expected a string, found a number");
  CHECK(error_of(golden_with([](auto& j) { j["variants"][3]["latency_us"]["p99"] = nullptr; })) ==
        "r.json: variants[3].latency_us.p99: expected a number, found null");
  CHECK(error_of(golden_with([](auto& j) { j["variants"][0]["nodes"][1]["handshakes"] = -1; })) ==
        "r.json: variants[0].nodes[1].handshakes: expected a whole number, 0 or more, found a number");
  CHECK(error_of(golden_with([](auto& j) { j["variants"][0]["repeat_values"]["latency_us.p50"][1] = "x"; })) ==
        "r.json: variants[0].repeat_values.latency_us.p50[1]: expected a number, found a string");
  CHECK(error_of(golden_with([](auto& j) { j["context"]["cores"] = 2.5; })) ==
        "r.json: context.cores: expected a whole number, found a number");
  CHECK(error_of(golden_with([](auto& j) { j["variants"][2].erase("conn"); })) ==
        "r.json: variants[2].conn: missing: a variant is named by its topology, hops, tls, conn and placement");
  CHECK(error_of(golden_with([](auto& j) { j["variants"][2]["hops"] = "two"; })) ==
        "r.json: variants[2].hops: expected a whole number, found a string");
  CHECK(error_of(golden_with([](auto& j) { j["variants"][4]["failure"] = nullptr; })) ==
        "r.json: variants[4].failure: missing: the variant failed (\"failed\": true) and says not why");
  CHECK_THAT(error_of(golden_with([](auto& j) { j["variants"][0]["latency_histogram"]["unit"] = "ms"; })),
             Contains("r.json: variants[0].latency_histogram: ") && Contains("unit"));
  CHECK_THAT(error_of(golden_with([](auto& j) { j["variants"][0]["latency_histogram"].erase("count"); })),
             Contains("r.json: variants[0].latency_histogram: ") && Contains("count"));
}

TEST_CASE("reader: a file, or the results directory holding report.json", "[report]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hopcost-reader-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "report.json") << read_text(kGolden);
  CHECK(load_report_file(dir.string(), "report").variants.size() == 5);
  CHECK(load_report_file((dir / "report.json").string(), "report").variants.size() == 5);
  CHECK(report_file_path(dir.string()) == (dir / "report.json").string());
  CHECK_THROWS_WITH(load_report_file((dir / "none.json").string(), "baseline"),
                    "baseline '" + (dir / "none.json").string() + "': no such file");
  std::ofstream(dir / "bad.json") << "{\"schema_version\": 2, ";
  CHECK_THROWS_WITH(load_report_file((dir / "bad.json").string(), "A"),
                    Contains((dir / "bad.json").string() + ":1:") && Contains("not valid JSON"));
  fs::remove_all(dir);
}
