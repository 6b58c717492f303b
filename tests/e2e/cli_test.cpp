// The real binary, as a user runs it: exit codes, messages, and files written or not.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "report/result.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace hopcost::test;



TEST_CASE("bad input exits 2 with one message naming the flag, and leaves no report directory") {
  TempDir tmp;
  const std::string out = tmp / "out";
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"--hops 0", "--hops: 0 is out of range; accepted: 1 to 32"},
      {"--hops 33", "--hops: 33 is out of range"},
      {"--tls 1.1", "--tls: unknown TLS version '1.1'; accepted: 1.2, 1.3"},
      {"--topology bogus", "--topology: unknown topology item 'bogus'"},
      {"--topology tls,xyz", "--topology: unknown topology item 'xyz'"},
      {"--duration 0", "--duration: 0 is out of range"},
      {"--duration -1", "--duration: -1 is out of range"},
      {"--conn sometimes", "--conn: unknown connection policy 'sometimes'; accepted: new, keepalive"},
      {"--connections 0", "--connections: 0 is out of range"},
      {"--no-such-flag", "--no-such-flag"},
      {"/nonexistent/scenario.toml", "scenario file '/nonexistent/scenario.toml': no such file"},
      {"--rtt -1ms", "--rtt: -1ms is out of range; accepted: a time from 0 to 1s"},
      {"--rtt abc", "--rtt: 'abc' is not a round-trip time"},
      {"--rtt 5", "--rtt: '5' has no unit"},
      {"--rtt 2s", "--rtt: 2s is out of range"},
      {"--upstream 2:1", "--upstream: unknown upstream policy '2:1'; accepted: 1:1, pool"},
      {"--upstream pool --hops 1", "--upstream pool: no chain of this run has a relay"},
      {"--topology tls,tcp/speed=3", "--topology: 'tcp/speed=3': unknown key 'speed'; accepted keys: rtt="},
      {"--topology tls,tcp/rtt=fast", "--topology: 'tcp/rtt=fast': rtt: 'fast' is not a round-trip time"},
  };
  for (const auto& c : cases) {
    const auto r = run_hopcost("run -q --out " + out + " " + c.args);
    INFO(c.args << " -> " << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.expected));
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_CASE("an --out that cannot be written exits 2 and names it") {
  TempDir tmp;
  const fs::path file = tmp.path / "a-file";
  std::ofstream(file) << "x";
  auto r = run_hopcost("run -q --duration 0.1 --out " + (file / "sub").string());
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("--out: cannot create directory"));
  r = run_hopcost("run -q --duration 0.1 --out " + file.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("exists and is not a directory"));
}

TEST_CASE("a scenario file with an unknown key or a wrong type exits 2 naming file, line and key") {
  TempDir tmp;
  const fs::path bad = tmp.path / "bad.toml";
  std::ofstream(bad) << "# comment\nhops = 3\nspeed = 9\n";
  auto r = run_hopcost("run -q " + bad.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains(bad.string() + ":3: unknown key 'speed'"));
  std::ofstream(bad) << "warmup = \"long\"\n";
  r = run_hopcost("run -q " + bad.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains(bad.string() + ":1: key 'warmup': wrong type; expected a number"));
}

TEST_CASE("--help explains every flag") {
  const auto r = run_hopcost("run --help");
  CHECK(r.code == 0);
  for (const char* flag : {"--topology", "--hops", "--tls", "--conn", "--duration", "--warmup", "--connections",
                           "--request-bytes", "--response-bytes", "--timeout", "--out", "--name"})
    CHECK_THAT(r.output, Catch::Contains(flag));
  CHECK(run_hopcost("--help").code == 0);
  CHECK(run_hopcost("").code == 2);  // a subcommand is required
}

TEST_CASE("a run writes report.json and report.csv, and flags override the scenario file") {
  TempDir tmp;
  const fs::path scenario = tmp.path / "mine.toml";
  std::ofstream(scenario) << "topology = \"tls-everywhere\"\nhops = 4\ntls = \"1.2\"\nconn = \"new\"\n"
                             "duration = 5\nconnections = 8\n";
  const fs::path out = tmp.path / "out";
  const auto r = run_hopcost("run " + scenario.string() +
                         " --hops 2 --tls 1.3 --topology terminate-once --topology tls,uds --duration 0.3 --warmup 0.1 "
                         "--connections 2 --out " + out.string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("terminate-once") && Catch::Contains("×CPU"));
  const auto report = nlohmann::json::parse(read_file(out / "report.json"));
  CHECK(report["schema_version"] == hopcost::kSchemaVersion);
  for (const char* key : {"cpu_model", "cores", "kernel", "tls_library", "build_type", "compiler", "git_revision",
                          "configuration"})
    CHECK(report["context"].contains(key));
  CHECK(report["context"]["configuration"]["name"] == "mine");
  // Every run report carries the floors it is compared with, and the ratios.
  for (const char* key : {"handshake_tls12_cpu_us", "handshake_tls13_cpu_us", "loopback_tcp_rtt_us", "loopback_uds_rtt_us"})
    CHECK(report["floors"][key].get<double>() > 0);
  CHECK(report["variants"][0]["handshake_cpu_vs_floor"].get<double>() > 0.5);
  CHECK(report["variants"][0]["per_hop"][1]["added_latency_vs_floor"].get<double>() > 0);
  const auto& variants = report["variants"];
  REQUIRE(variants.size() == 2);
  for (const auto& v : variants) {
    for (const char* key : {"topology", "links", "hops", "tls_version", "conn", "requests", "errors", "throughput_rps",
                            "latency_us", "handshakes_per_request", "handshake_cpu_us", "cpu_us_per_request", "nodes"})
      CHECK(v.contains(key));
    for (const char* key : {"p50", "p90", "p99", "p999", "max", "mean"}) CHECK(v["latency_us"].contains(key));
    CHECK(v["tls_version"] == "TLSv1.3");
    CHECK(v["conn"] == "new");
    CHECK(v["requests"].get<int>() > 0);
    // Closed loop: the latency histogram of every successful measured request, no uncorrected one.
    CHECK(v["latency_histogram"]["count"] == v["requests"]);
    CHECK(v["uncorrected_latency_histogram"].is_null());
    for (const auto& n : v["nodes"])
      for (const char* key : {"name", "role", "handshakes", "handshake_cpu_us", "cpu_us_per_request"})
        CHECK(n.contains(key));
  }
  CHECK(variants[0]["topology"] == "terminate-once");
  CHECK(variants[0]["hops"] == 2);
  CHECK(variants[1]["links"] == nlohmann::json::array({"tls", "uds"}));
  const std::string csv = read_file(out / "report.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);  // header and two rows
  CHECK(csv.rfind("topology,links,hops,tls,", 0) == 0);
  CHECK_FALSE(fs::exists(out / "report.json.tmp"));
}

TEST_CASE("a run that needs more file descriptors than the limit exits 2 before any node starts") {
  TempDir tmp;
  const std::string out = tmp / "out";
  // The run, and a smaller one under a limit of 1000 set here (ulimit -n sets
  // the soft and the hard limit), so that the check does not depend on this machine's.
  const std::string big = "--topology tls-everywhere --hops 32 --connections 1000 --conn keepalive --tls 1.3";
  const std::string small = "--topology tls-everywhere --hops 8 --connections 100 --conn keepalive --tls 1.3";
  for (const std::string& args : {big, small}) {
    const auto r = run_command("sh -c 'ulimit -n 1000 && exec " + std::string(HOPCOST_BINARY) + " run -q --no-floors --duration 0.2 --warmup 0 --out " +
                               out + " " + args + "'");
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains("file descriptors") && Catch::Contains("more than the limit of 1000") &&
                             Catch::Contains("--connections") && Catch::Contains("--placement process"));
    CHECK_FALSE(fs::exists(out));
  }
  // The suggestion works: as processes, each node holds only its own links' sockets.
  const auto r = run_command("sh -c 'ulimit -n 1000 && exec " + std::string(HOPCOST_BINARY) +
                             " run -q --no-floors --duration 0.2 --warmup 0 --placement process --out " + out + " " + small + "'");
  INFO(r.output);
  CHECK(r.code == 0);
}

TEST_CASE("hopcost run --tickets off reaches every server node: no ticket bytes on the wire") {
  TempDir tmp;
  auto bytes_per_request = [&](const std::string& tickets) {
    const std::string out = tmp / ("out-" + tickets);
    const auto r = run_hopcost("run -q --no-floors --topology tls-everywhere --hops 2 --tls 1.3 --conn new --connections 2 "
                               "--duration 0.3 --warmup 0.1 --upstream-resume off --tickets " + tickets + " --out " + out);
    INFO(r.output);
    REQUIRE(r.code == 0);
    const auto report = nlohmann::json::parse(read_file(fs::path(out) / "report.json"));
    const auto& hops = report["variants"][0]["per_hop"];
    return std::pair{hops[0]["bytes_per_request"].get<double>(), hops[1]["bytes_per_request"].get<double>()};
  };
  const auto on = bytes_per_request("on"), off = bytes_per_request("off");
  // Two TLS 1.3 tickets are about 390 bytes per connection, on each link (no link
  // resumes: the handshakes are alike, only the tickets differ).
  CHECK(on.first - off.first > 300);
  CHECK(on.second - off.second > 300);
}

TEST_CASE("relay config: the docs' own Nginx template carries requests, is kept filled in, and bad ones exit 2", "[real]") {
  auto write_file = [](const std::string& path, const std::string& text) { std::ofstream(path) << text; };
  TempDir tmp;
  const std::string out = tmp / "out";
  const std::string example = HOPCOST_SOURCE_DIR "/docs/examples/relay-nginx.conf";
  const std::string common = "run -q --no-floors --topology tls,tls --tls 1.3 --conn new --connections 2 --duration 0.5 "
                             "--warmup 0.2 --relay nginx --relay-workers 1 ";
  const auto r = run_hopcost(common + "--relay-config relay1=" + example + " --out " + out);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(read_file(out + "/report.json"));
  const auto& v = report["variants"][0];
  CHECK(v["requests"].get<uint64_t>() >= 10);
  CHECK(v["errors"]["total"] == 0);
  CHECK(v["nodes"][1]["implementation"] == "nginx");
  CHECK(v["nodes"][1]["helpers"].is_array());
  CHECK(v["nodes"][0]["helpers"].is_null());
  CHECK(report["context"]["configuration"]["relay_config"]["relay1"] == example);
  // The filled configuration is kept: the user's text, with hopcost's addresses in it.
  fs::path kept;
  for (const auto& e : fs::recursive_directory_iterator(out + "/programs"))
    if (e.path().filename() == "relay1-nginx.conf") kept = e.path();
  REQUIRE_FALSE(kept.empty());
  const std::string text = read_file(kept.string());
  CHECK_THAT(text, Catch::Contains("add_header X-Relay-Config mine;"));
  CHECK_THAT(text, Catch::Contains("listen 127.0.0.1:"));
  CHECK_THAT(text, Catch::Contains("proxy_ssl_name origin"));
  CHECK_THAT(text, !Catch::Contains("{{"));
  bool warned = false;
  for (const auto& w : report["warnings"]) warned |= w.get<std::string>().find("--relay-config") != std::string::npos;
  CHECK(warned);

  // Bad input: exit 2, one message naming the file, nothing left behind.
  const std::string bad_out = tmp / "bad";
  const std::string broken = tmp / "broken.conf";
  write_file(broken, "bogus_directive on;\n" + read_file(example));
  const std::string unknown = tmp / "unknown.conf";
  write_file(unknown, read_file(example) + "# {{no_such_placeholder}}\n");
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"--relay-config relay1=" + (tmp / "missing.conf"), "--relay-config: configuration file '"},
      {"--relay-config relay1", "--relay-config: 'relay1' is not NODE=FILE"},
      {"--relay-config relay1=" + broken, "--relay-config relay1=" + broken + ": nginx rejects the configuration"},
      {"--relay-config relay1=" + unknown, "unknown placeholder {{no_such_placeholder}}"},
      {"--relay-config relay5=" + example, "no chain of this run has a relay named relay5"},
  };
  for (const auto& c : cases) {
    const auto b = run_hopcost(common + c.args + " --out " + bad_out);
    INFO(c.args << " -> " << b.output);
    CHECK(b.code == 2);
    CHECK_THAT(b.output, Catch::Contains(c.expected));
    CHECK_FALSE(fs::exists(bad_out));
  }
  CHECK_THAT(read_file(broken), Catch::StartsWith("bogus_directive"));  // the user's file is never written
  const auto hopcost_only = run_hopcost("run -q --no-floors --topology tls,tls --relay-config relay1=" + example + " --out " + bad_out);
  CHECK(hopcost_only.code == 2);
  CHECK_THAT(hopcost_only.output, Catch::Contains("relay1 is hopcost's own relay in every variant"));
}

TEST_CASE("relay workers and varnish cache: bad values exit 2, stunnel refuses more than one worker", "[real]") {
  TempDir tmp;
  const std::string out = tmp / "out";
  const std::pair<std::string, std::string> cases[] = {
      {"--relay-workers 0", "--relay-workers: 0 is out of range; accepted: 1 to 64"},
      {"--varnish-cache maybe", "--varnish-cache: unknown value 'maybe'; accepted: on, off"},
      {"--topology tcp,tcp --relay stunnel --relay-workers 2", "stunnel"},
  };
  for (const auto& [args, expected] : cases) {
    const auto r = run_hopcost("run -q --no-floors " + args + " --out " + out);
    INFO(args << " -> " << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(expected));
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_CASE("hopcost compare on two real runs with repeats names the variant, every figure and a verdict, and bad files exit 2") {
  TempDir tmp;
  const std::string args =
      "run -q --no-floors --topology tls --hops 1 --tls 1.3 --conn keepalive --duration 0.3 --warmup 0.1 "
      "--connections 2 --repeat 2 --out ";
  for (const char* name : {"a", "b"}) {
    const auto r = run_hopcost(args + (tmp.path / name).string());
    INFO(r.output);
    REQUIRE(r.code == 0);
  }
  const fs::path md = tmp.path / "compare.md";
  const auto r = run_hopcost("compare " + (tmp.path / "a" / "report.json").string() + " " + (tmp.path / "b").string() +
                             " --markdown " + md.string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("tls 1 hop TLS 1.3 keepalive inproc"));
  for (const char* metric : {"throughput_rps", "latency_us.p50", "latency_us.p99", "cpu_us_per_request",
                             "handshake_cpu_us", "handshakes_per_request", "tls_cpu_share"})
    CHECK_THAT(r.output, Catch::Contains(metric));
  CHECK_THAT(r.output, Catch::Contains("within noise") || Catch::Contains("better") || Catch::Contains("worse"));
  CHECK_THAT(r.output, Catch::Contains("compare: 1 matched variant"));
  CHECK_THAT(read_file(md), Catch::Contains("| tls 1 hop TLS 1.3 keepalive inproc | `latency_us.p50` |"));

  const fs::path not_report = tmp.path / "other.json";
  std::ofstream(not_report) << "{\"name\": \"something else\"}";
  const fs::path newer = tmp.path / "newer.json";
  std::ofstream(newer) << "{\"schema_version\": 9, \"variants\": []}";
  struct Case {
    std::string args, message;
  };
  for (const Case& c : {Case{(tmp.path / "missing.json").string() + " " + (tmp.path / "b").string(), "no such file"},
                        Case{(tmp.path / "a").string() + " " + not_report.string(), "not a hopcost report"},
                        Case{newer.string() + " " + (tmp.path / "b").string(), "schema_version 9"},
                        Case{(tmp.path / "a").string(), ""}}) {
    const auto bad = run_hopcost("compare " + c.args);
    INFO(c.args << "\n" << bad.output);
    CHECK(bad.code == 2);
    CHECK_THAT(bad.output, Catch::Contains(c.message));
  }
}

TEST_CASE("run with a rate list sweeps the open loop: one variant per offered rate, each achieved, and bad rates exit 2") {
  TempDir tmp;
  const std::string out = tmp / "out";
  const auto r = run_hopcost("run -q --no-floors --topology tls --hops 1 --tls 1.3 --conn keepalive --connections 2 "
                             "--rate 200,400 --duration 1 --warmup 0.2 --out " + out);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("open loop at 200, 400 req/s") && Catch::Contains("offered"));
  const auto report = nlohmann::json::parse(read_file(fs::path(out) / "report.json"));
  const auto& variants = report["variants"];
  REQUIRE(variants.size() == 2);
  const double rates[] = {200, 400};
  for (size_t i = 0; i < 2; ++i) {
    const auto& v = variants[i];
    INFO(v.dump().substr(0, 400));
    CHECK(v["rate"].get<double>() == rates[i]);
    CHECK(v["requested_rps"].get<double>() == rates[i]);
    CHECK(v["throughput_rps"].get<double>() == Approx(rates[i]).epsilon(0.3));
    CHECK(v["uncorrected_latency_histogram"].is_object());
  }
  CHECK(report["context"]["configuration"]["rate"] == nlohmann::json::array({200.0, 400.0}));
  const std::string csv = read_file(fs::path(out) / "report.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);

  const std::string bad = tmp / "bad";
  const std::pair<std::string, std::string> cases[] = {
      {"--rate 0,100", "--rate: 0 is out of range"},
      {"--rate -5", "--rate: -5 is out of range"},
      {"--rate 100,100", "--rate: 100 is given twice"},
      {"--rate 100,fast", "--rate: 'fast' is not a number"},
  };
  for (const auto& [args, expected] : cases) {
    const auto b = run_hopcost("run -q --no-floors --out " + bad + " " + args);
    INFO(args << " -> " << b.output);
    CHECK(b.code == 2);
    CHECK_THAT(b.output, Catch::Contains(expected));
    CHECK_FALSE(fs::exists(bad));
  }
}

TEST_CASE("run with a format list writes what it names, report.json always, and an unknown format exits 2 before anything runs") {
  TempDir tmp;
  const std::string out = tmp / "out";
  const auto bad = run_hopcost("run -q --no-floors --duration 0.2 --warmup 0 --format table,pdf --out " + out);
  INFO(bad.output);
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--format: 'pdf' is not one of table, json, csv"));
  CHECK_FALSE(fs::exists(out));
  // json only: no table on stdout, no report.csv; the closing line names what was written.
  const auto r = run_hopcost("run --no-floors --topology tls --hops 1 --tls 1.3 --conn keepalive --connections 2 "
                             "--duration 0.3 --warmup 0.1 --format json --out " + out);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(fs::path(out) / "report.json"));
  CHECK_FALSE(fs::exists(fs::path(out) / "report.csv"));
  CHECK_THAT(r.output, !Catch::Contains("×CPU") && !Catch::Contains("p50 µs"));
  CHECK_THAT(r.output, Catch::Contains("hopcost: wrote " + (fs::path(out) / "report.json").string() + "\n"));
  const auto report = nlohmann::json::parse(read_file(fs::path(out) / "report.json"));
  CHECK(report["context"]["configuration"]["format"] == nlohmann::json::array({"json"}));
  // csv and no table: report.json beside it all the same.
  const std::string csv_out = tmp / "csv";
  const auto c = run_hopcost("run -q --no-floors --topology tls --hops 1 --tls 1.3 --conn keepalive --connections 2 "
                             "--duration 0.3 --warmup 0.1 --format csv --out " + csv_out);
  INFO(c.output);
  REQUIRE(c.code == 0);
  CHECK(fs::exists(fs::path(csv_out) / "report.json"));
  CHECK(fs::exists(fs::path(csv_out) / "report.csv"));
  CHECK_THAT(c.output, !Catch::Contains("×CPU"));
}

TEST_CASE("progress: one line rewritten in place on a terminal, none elsewhere, and nothing with -q") {
  TempDir tmp;
  const std::string args = " --no-floors --topology tls,tcp --topology tcp --tls 1.3 --conn keepalive --connections 2 "
                           "--duration 0.3 --warmup 0.1 --format json --out ";
  // Not a terminal (a pipe): the run's plan and the files written, no progress.
  const auto piped = run_hopcost("run" + args + (tmp / "piped"));
  INFO(piped.output);
  REQUIRE(piped.code == 0);
  CHECK_THAT(piped.output, Catch::Contains("hopcost: 2 variants x 1 run") && Catch::Contains("hopcost: wrote "));
  CHECK_THAT(piped.output, !Catch::Contains("ETA") && !Catch::Contains("[1/2]") && !Catch::Contains("\033[K"));
  // A terminal (script(1) gives the command a pseudo-terminal): each variant's line,
  // drawn over the one before, with its position, label and ETA.
  auto on_tty = [&](const std::string& more, const std::string& out) {
    return run_command("script -qec '" + std::string(HOPCOST_BINARY) + " run" + more + args + (tmp / out) + "' /dev/null");
  };
  const auto tty = on_tty("", "tty");
  INFO(tty.output);
  REQUIRE(tty.code == 0);
  CHECK_THAT(tty.output, Catch::Contains("\r\033[K[1/2] tls,tcp 2 hops TLS 1.3 keepalive inproc · ETA "));
  CHECK_THAT(tty.output, Catch::Contains("\r\033[K[2/2] tcp 1 hop TLS 1.3 keepalive inproc · ETA "));
  CHECK_THAT(tty.output, Catch::Contains("hopcost: wrote "));
  const auto quiet = on_tty(" -q", "quiet");
  INFO(quiet.output);
  REQUIRE(quiet.code == 0);
  CHECK_THAT(quiet.output, !Catch::Contains("ETA") && !Catch::Contains("hopcost:"));
}
