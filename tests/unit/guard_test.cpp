// Guards: every link kind and every reporter is wired everywhere it must be, so that a
// new one cannot be forgotten.
#include <catch2/catch.hpp>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "net/link_kind.hpp"
#include "report/reporter.hpp"
#include "node/snapshot.hpp"
#include "node/upstream_policy.hpp"
#include "scenario/scenario.hpp"
#include "tls/tickets.hpp"
#include "topologies/topology.hpp"

using namespace hopcost;

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("every link kind parses back, can form a chain and is documented") {
  const std::string terminology = read(HOPCOST_SOURCE_DIR "/docs/terminology.md");
  REQUIRE_FALSE(terminology.empty());
  for (const auto& t : all_link_kinds()) {
    CHECK(parse_link_kind(t.name) == t.kind);
    CHECK(to_string(t.kind) == t.name);
    const auto chain = parse_topologies(std::string(t.name));
    REQUIRE(chain.size() == 1);
    CHECK(chain[0].links == std::vector{t.kind});
    CHECK_THAT(terminology, Catch::Contains("`" + std::string(t.name) + "`"));
  }
}

TEST_CASE("every reporter exists, and every file reporter has a golden file") {
  for (auto format : reporter_formats())
    CHECK(std::find(reporter_names().begin(), reporter_names().end(), format) != reporter_names().end());
  for (auto format : reporter_names()) {
    const auto reporter = make_reporter(format);
    REQUIRE(reporter);
    const std::string golden = std::string(HOPCOST_SOURCE_DIR "/tests/golden/") +
                               (reporter->file_name().empty() ? "report.txt" : std::string(reporter->file_name()));
    CHECK(std::filesystem::exists(golden));
  }
  CHECK(make_reporter("yaml") == nullptr);
}

TEST_CASE("every upstream policy parses back, prints its name, and is accepted by --upstream and upstream=") {
  for (const auto& [policy, text] : kUpstreamPolicies.rows) {
    CHECK(parse_upstream_policy(text) == policy);
    CHECK(to_string(policy) == text);
    CHECK_THAT(kUpstreamPolicies.accepted(), Catch::Contains(std::string(text)));
    const auto chain = parse_topologies("tls,tcp/upstream=" + std::string(text));
    REQUIRE(chain.size() == 1);
    CHECK(chain[0].overrides.at(1).upstream == policy);
  }
}

namespace {
// Every value of a table prints its own text and parses back to itself, and texts are
// unique; `set` takes each text as a scenario value without error.
template <typename Table>
void check_table(const Table& table, std::string_view key) {
  std::set<std::string_view> texts;
  for (const auto& [value, text] : table.rows) {
    INFO(key << " " << text);
    CHECK(table.parse(text) == value);
    CHECK(table.text(value) == text);
    CHECK(texts.insert(text).second);
    CHECK_THAT(table.accepted(), Catch::Contains(std::string(text)));
    Scenario s;
    CHECK_NOTHROW(set_scenario_value(s, key, {std::string(text)}));
  }
  CHECK_FALSE(table.parse("no-such-value"));
}
}  // namespace

TEST_CASE("every enum table round-trips and is accepted by its scenario key") {
  check_table(kTlsVersions, "tls");
  check_table(kConnPolicies, "conn");
  check_table(kPlacements, "placement");
  check_table(kUpstreamPolicies, "upstream");
  check_table(kTickets, "tickets");
  for (const auto& [role, text] : kRoles.rows) {  // no scenario key: a node snapshot's "role"
    CHECK(kRoles.parse(text) == role);
    CHECK(to_string(role) == text);
  }
}
