#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "util/errors.hpp"

using namespace hopcost;

namespace {

std::string error_of(std::string_view key, std::vector<std::string> values) {
  Scenario s;
  try {
    set_scenario_value(s, key, values);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

struct TempToml {
  explicit TempToml(const std::string& content) {
    path = (std::filesystem::temp_directory_path() / ("hopcost-test-" + std::to_string(::getpid()) + ".toml")).string();
    std::ofstream(path) << content;
  }
  ~TempToml() { std::remove(path.c_str()); }
  std::string path;
};

std::string file_error(const std::string& content) {
  TempToml f(content);
  try {
    load_scenario_file(f.path);
  } catch (const ConfigError& e) {
    std::string m = e.what();
    // Report the message relative to the file, for stable assertions.
    if (m.rfind(f.path, 0) == 0) m = "FILE" + m.substr(f.path.size());
    return m;
  }
  return "no error";
}

}  // namespace

TEST_CASE("bad flag values are rejected with the accepted values") {
  CHECK_THAT(error_of("hops", {"0"}), Catch::Contains("0 is out of range") && Catch::Contains("1 to 32"));
  CHECK_THAT(error_of("hops", {"33"}), Catch::Contains("33 is out of range"));
  CHECK_THAT(error_of("hops", {"five"}), Catch::Contains("'five' is not a whole number"));
  CHECK_THAT(error_of("tls", {"1.1"}), Catch::Contains("'1.1'") && Catch::Contains("accepted: 1.2, 1.3"));
  CHECK_THAT(error_of("conn", {"reuse"}), Catch::Contains("accepted: new, keepalive, resume, 0rtt"));
  CHECK_THAT(error_of("resume", {"psk"}), Catch::Contains("'psk'") && Catch::Contains("accepted: ticket, id"));
  CHECK_THAT(error_of("upstream_resume", {"yes"}), Catch::Contains("'yes'") && Catch::Contains("accepted: on, off"));
  CHECK_THAT(error_of("placement", {"netns"}), Catch::Contains("'netns'") && Catch::Contains("accepted: inproc, process"));
  CHECK_THAT(error_of("topology", {"bogus"}), Catch::Contains("'bogus'"));
  CHECK_THAT(error_of("topology", {"tls,xyz"}), Catch::Contains("'xyz'"));
  CHECK_THAT(error_of("duration", {"0"}), Catch::Contains("out of range"));
  CHECK_THAT(error_of("duration", {"-1"}), Catch::Contains("out of range"));
  CHECK_THAT(error_of("duration", {"soon"}), Catch::Contains("not a number"));
  CHECK_THAT(error_of("warmup", {"-0.5"}), Catch::Contains("out of range"));
  CHECK_THAT(error_of("connections", {"0"}), Catch::Contains("out of range"));
  CHECK_THAT(error_of("name", {"a/b"}), Catch::Contains("not a valid name"));
  CHECK(error_of("warmup", {"0"}) == "no error");
}

TEST_CASE("list values split at commas, repeat, and drop duplicates") {
  Scenario s;
  set_scenario_value(s, "hops", {"1,3", "5", "3"});
  CHECK(s.hops == std::vector{1, 3, 5});
  set_scenario_value(s, "tls", {"1.3"});
  CHECK(s.tls == std::vector{TlsVersion::v1_3});
  set_scenario_value(s, "topology", {"tls,tcp", "tcp,uds"});
  REQUIRE(s.topologies.size() == 2);
  CHECK(s.topologies[1].name() == "tcp,uds");
}

TEST_CASE("the matrix: TLS, then policy, then hops, then topology, explicit chains once") {
  Scenario s;
  set_scenario_value(s, "topology", {"tls-everywhere,tls,tcp,uds"});
  set_scenario_value(s, "hops", {"2,4"});
  const auto v = expand(s);
  // per (tls, conn): 2 hops x preset + the explicit chain once = 3; 2 x 2 groups
  REQUIRE(v.size() == 12);
  CHECK(v[0].label() == "tls-everywhere 2 hops TLS 1.2 new inproc");
  CHECK(v[1].label() == "tls,tcp,uds 3 hops TLS 1.2 new inproc");
  CHECK(v[2].label() == "tls-everywhere 4 hops TLS 1.2 new inproc");
  CHECK(v[3].conn == ConnPolicy::keepalive);
  CHECK(v[11].tls == TlsVersion::v1_3);
  set_scenario_value(s, "placement", {"inproc,process"});
  const auto both = expand(s);
  REQUIRE(both.size() == 24);
  CHECK(both[11].placement == Placement::inproc);
  CHECK(both[12].placement == Placement::process);  // placement is the outermost dimension
}

TEST_CASE("scenarios/default.toml is exactly the built-in default") {
  Scenario file = load_scenario_file(HOPCOST_SOURCE_DIR "/scenarios/default.toml");
  CHECK(file == Scenario{});
  CHECK(expand(file).size() == 12);
}

TEST_CASE("scenarios/article.toml is the article's 5-hop stack") {
  Scenario s = load_scenario_file(HOPCOST_SOURCE_DIR "/scenarios/article.toml");
  CHECK(s.name == "article");
  REQUIRE(s.topologies.size() == 2);
  CHECK(s.topologies[0].name() == "tls-everywhere");
  CHECK(s.topologies[1].name() == "tls,tcp,tcp,uds,tcp");
  CHECK(s.hops == std::vector{5});
  CHECK(expand(s).size() == 8);
}

TEST_CASE("scenario files: unknown keys and wrong types name the file and line") {
  CHECK(file_error("hops = 3\nbogus = 1\n") ==
        "FILE:2: unknown key 'bogus'; accepted keys: topology, hops, tls, conn, placement, upstream, rtt, key, group, mtls, chain_depth, expired_cert, resume, upstream_resume, relay, relay_workers, varnish_cache, relay_config, tickets, duration, warmup, timeout, "
        "head_timeout, idle_timeout, connections, rate, repeat, requests, count_instructions, cpu_policy, request_bytes, response_bytes, name, out, db, db_link, db_server_link, db_policy, db_rows, db_row_bytes, format");
  CHECK(file_error("\nduration = \"fast\"\n") == "FILE:2: key 'duration': wrong type; expected a number");
  CHECK(file_error("connections = 1.5\n") == "FILE:1: key 'connections': wrong type; expected a whole number");
  CHECK(file_error("tls = [true]\n") == "FILE:1: key 'tls': wrong type; expected a string, number, or array of them");
  CHECK(file_error("hops = [1, 40]\n") == "FILE:1: key 'hops': 40 is out of range; accepted: 1 to 32");
  CHECK_THAT(file_error("hops = \n"), Catch::StartsWith("FILE:1:"));
  CHECK_THAT(file_error("tls = [1.2, 1.3]\nconn = \"new\"\nduration = 2\n"), Catch::Equals("no error"));
  CHECK(file_error("count_instructions = 1\n") == "FILE:1: key 'count_instructions': wrong type; expected true or false");
  CHECK(file_error("count_instructions = true\nrequests = 10\n") == "no error");
}

TEST_CASE("a missing scenario file is named") {
  try {
    load_scenario_file("/nonexistent/x.toml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("/nonexistent/x.toml") && Catch::Contains("no such file"));
  }
}

TEST_CASE("every key has a flag, a value text and a JSON entry") {
  const Scenario s;
  const auto j = scenario_to_json(s);
  for (const auto& key : scenario_keys()) {
    CHECK_NOTHROW(scenario_value_text(s, key.key));
    CHECK(j.contains(std::string(key.key)));
  }
  CHECK(flag_name("request_bytes") == "--request-bytes");
}

TEST_CASE("resumption in the matrix: 0rtt is TLS 1.3's, id is TLS 1.2's") {
  Scenario s;
  s.topologies = parse_topologies("tls-everywhere");
  s.hops = {3};
  s.tls = {TlsVersion::v1_2, TlsVersion::v1_3};
  s.conn = {ConnPolicy::resume, ConnPolicy::zero_rtt};
  s.resume = {ResumeBy::ticket, ResumeBy::id};
  // TLS 1.2: resume × {ticket, id} (no 0rtt); TLS 1.3: resume and 0rtt, by tickets.
  const auto variants = expand(s);
  REQUIRE(variants.size() == 4);
  CHECK(variants[0].tls == TlsVersion::v1_2);
  CHECK(variants[0].resume == ResumeBy::ticket);
  CHECK(variants[1].resume == ResumeBy::id);
  CHECK(variants[2].conn == ConnPolicy::resume);
  CHECK(variants[3].conn == ConnPolicy::zero_rtt);
  CHECK(variants[3].resume == ResumeBy::ticket);
  Scenario only12 = s;
  only12.tls = {TlsVersion::v1_2};
  CHECK_THROWS_WITH(expand(only12), Catch::Contains("--conn 0rtt needs --tls 1.3"));
  Scenario only13 = s;
  only13.tls = {TlsVersion::v1_3};
  CHECK_THROWS_WITH(expand(only13), Catch::Contains("--resume id needs --tls 1.2") && Catch::Contains("tickets only"));
}

TEST_CASE("real programs' keys: --relay-workers, --varnish-cache, --relay-config") {
  CHECK(error_of("relay_workers", {"0"}) == "0 is out of range; accepted: 1 to 64");
  CHECK(error_of("relay_workers", {"65"}) == "65 is out of range; accepted: 1 to 64");
  CHECK(error_of("varnish_cache", {"yes"}) == "unknown value 'yes'; accepted: on, off");
  CHECK(error_of("relay_config", {"relay1"}) == "'relay1' is not NODE=FILE (e.g. relay1=my-nginx.conf)");
  CHECK(error_of("relay_config", {"=x.conf"}) == "'=x.conf' is not NODE=FILE (e.g. relay1=my-nginx.conf)");
  CHECK(error_of("relay_config", {"relay1=/nonexistent/nginx.conf"}) ==
        "configuration file '/nonexistent/nginx.conf' for node relay1: no such file");
  TempToml conf("# a configuration\n");
  CHECK(error_of("relay_config", {"relay1=" + conf.path, "relay1=" + conf.path}) == "node relay1 is given two configurations");
  Scenario s;
  CHECK(s.relay_workers == 1);
  CHECK_FALSE(s.varnish_cache);
  set_scenario_value(s, "relay_workers", {"4"});
  set_scenario_value(s, "varnish_cache", {"on"});
  set_scenario_value(s, "relay_config", {"relay1=" + conf.path});
  CHECK(s.relay_workers == 4);
  CHECK(s.varnish_cache);
  REQUIRE(s.relay_config.size() == 1);
  CHECK(s.relay_config[0] == std::pair<std::string, std::string>("relay1", conf.path));
  CHECK(scenario_value_text(s, "relay_config") == "relay1=" + conf.path);
  CHECK(scenario_value_text(s, "varnish_cache") == "on");
  const auto j = scenario_to_json(s);
  CHECK(j["relay_workers"] == 4);
  CHECK(j["varnish_cache"] == "on");
  CHECK(j["relay_config"]["relay1"] == conf.path);
  CHECK(file_error("relay_workers = 2\nvarnish_cache = \"off\"\n") == "no error");
}

TEST_CASE("settings that change nothing for a chain make no variants, and a relay program without relays is refused") {
  Scenario s;
  s.topologies = parse_topologies("tls-everywhere");
  s.hops = {3};
  s.tls = {TlsVersion::v1_2};
  s.conn = {ConnPolicy::keepalive};
  s.upstream_resume = {false};
  s.resume = {ResumeBy::ticket, ResumeBy::id};
  CHECK(expand(s).size() == 1);  // nothing resumes: ticket and id would be the same run
  s.upstream_resume = {true};
  CHECK(expand(s).size() == 2);  // the relays resume their upstream sessions
  Scenario one = s;
  one.hops = {1};
  one.relay = {"nginx"};
  CHECK_THROWS_WITH(expand(one), Catch::Contains("--relay") && Catch::Contains("no chain of this run has a relay"));
}

TEST_CASE("rate: a list of offered loads, each above 0 and once, and none is the closed loop") {
  Scenario s;
  CHECK(s.rate.empty());
  set_scenario_value(s, "rate", {"500,1000", "2000.5"});
  CHECK(s.rate == std::vector{500.0, 1000.0, 2000.5});
  CHECK(scenario_value_text(s, "rate") == "500,1000,2000.5");
  CHECK(scenario_to_json(s)["rate"] == nlohmann::json::array({500.0, 1000.0, 2000.5}));
  set_scenario_value(s, "rate", {"250"});
  CHECK(s.rate == std::vector{250.0});
  CHECK(error_of("rate", {"0,100"}) == "0 is out of range; accepted: above 0 to 10000000");
  CHECK(error_of("rate", {"-5"}) == "-5 is out of range; accepted: above 0 to 10000000");
  CHECK(error_of("rate", {"100,fast"}) == "'fast' is not a number");
  CHECK(error_of("rate", {"500,1000", "500"}) == "500 is given twice; each rate is one variant");
  CHECK(error_of("rate", {"20000000"}) == "20000000 is out of range; accepted: above 0 to 10000000");
  // Files: a number or an array of them; the same errors name the key.
  CHECK(file_error("rate = 1000\n") == "no error");
  CHECK(file_error("rate = [500, 1000.5]\n") == "no error");
  CHECK(file_error("rate = [500, 0]\n") == "FILE:1: key 'rate': 0 is out of range; accepted: above 0 to 10000000");
  CHECK(file_error("rate = [500, 500]\n") == "FILE:1: key 'rate': 500 is given twice; each rate is one variant");
  CHECK(file_error("rate = true\n") == "FILE:1: key 'rate': wrong type; expected a string, number, or array of them");
  TempToml f("rate = [500, 1000]\n");
  CHECK(load_scenario_file(f.path).rate == std::vector{500.0, 1000.0});
  TempToml g("rate = 1000\n");
  CHECK(load_scenario_file(g.path).rate == std::vector{1000.0});
}

TEST_CASE("expand: the rate is a dimension of the matrix, outside hops and topology, and none is one closed loop") {
  Scenario s;
  s.topologies = parse_topologies("tls-everywhere,terminate-once");
  s.hops = {2, 3};
  s.tls = {TlsVersion::v1_3};
  s.conn = {ConnPolicy::keepalive};
  const auto closed = expand(s);
  REQUIRE(closed.size() == 4);
  for (const auto& v : closed) CHECK_FALSE(v.rate);
  s.rate = {200, 400, 800};
  const auto open = expand(s);
  REQUIRE(open.size() == 3 * 4);
  for (size_t i = 0; i < open.size(); ++i) {
    REQUIRE(open[i].rate);
    CHECK(*open[i].rate == s.rate[i / 4]);  // a rate's variants together, topologies and hops inside
    CHECK(open[i].hops() == closed[i % 4].hops());
  }
  CHECK(open[0].label() == "tls-everywhere 2 hops TLS 1.3 keepalive inproc rate 200/s");
  CHECK(open[4].label() == "tls-everywhere 2 hops TLS 1.3 keepalive inproc rate 400/s");
  // With the round-trip time: rtt outside rate.
  s.rtt = {std::chrono::nanoseconds(0), std::chrono::milliseconds(1)};
  const auto both = expand(s);
  REQUIRE(both.size() == 2 * 3 * 4);
  CHECK(both[11].rtt == std::chrono::nanoseconds(0));
  CHECK(both[12].rtt == std::chrono::milliseconds(1));
  CHECK(*both[12].rate == 200);
}

TEST_CASE("format: reporter formats, each once, and any other name is refused naming the accepted ones") {
  Scenario s;
  CHECK(s.format.empty());
  set_scenario_value(s, "format", {"json,table", "json"});
  CHECK(s.format == std::vector<std::string>{"json", "table"});
  CHECK(scenario_value_text(s, "format") == "json,table");
  CHECK_THAT(error_of("format", {"json,pdf"}), Catch::StartsWith("'pdf' is not one of table, json, csv"));
  CHECK(file_error("format = [\"csv\"]\n") == "no error");
  CHECK_THAT(file_error("format = \"pdf\"\n"), Catch::StartsWith("FILE:1: key 'format': 'pdf' is not one of table, json"));
}

TEST_CASE("db: the database tail's axes, what each mode leaves out, and its settings refused without one") {
  Scenario s;
  s.topologies = parse_topologies("tls-everywhere");
  s.hops = {1};
  s.tls = {TlsVersion::v1_3};
  s.conn = {ConnPolicy::keepalive};
  set_scenario_value(s, "db", {"none,pgbouncer,direct"});
  set_scenario_value(s, "db_link", {"tls,tcp"});
  set_scenario_value(s, "db_server_link", {"tls,uds"});
  set_scenario_value(s, "db_policy", {"per-request,pooled"});
  const auto variants = expand(s);
  // none: 1; pgbouncer: 2 links x 2 server links x 2 policies; direct: 2 links x 2 policies.
  REQUIRE(variants.size() == 1 + 8 + 4);
  CHECK_FALSE(variants[0].db.has_value());
  CHECK(variants[1].db->mode == DbMode::pgbouncer);
  CHECK(variants.back().db->mode == DbMode::direct);
  CHECK(variants.back().label().find("db direct tcp pooled") != std::string::npos);
  CHECK_THROWS_WITH(set_scenario_value(s, "db_link", {"tls+uds"}), Catch::Contains("TLS over TCP only"));
  CHECK_THROWS_WITH(set_scenario_value(s, "db", {"mysql"}), Catch::Contains("unknown database tail 'mysql'"));
  CHECK_THROWS(set_scenario_value(s, "db_rows", {"0"}));
  Scenario plain;
  set_scenario_value(plain, "db_policy", {"per-request"});
  CHECK_THROWS_WITH(expand(plain), Catch::Contains("--db-policy goes with --db pgbouncer or --db direct"));
}
