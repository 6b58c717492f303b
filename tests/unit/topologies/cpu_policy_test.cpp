#include <catch2/catch.hpp>

#include "topologies/cpu_policy.hpp"
#include "util/errors.hpp"

using namespace hopcost;

TEST_CASE("CPU policies parse, print back and assign CPUs client first") {
  CHECK(parse_cpu_policy("spread").kind == CpuPolicy::Kind::spread);
  const auto allowed = allowed_cpus();
  REQUIRE_FALSE(allowed.empty());
  const auto pack = parse_cpu_policy("pack");
  for (const auto& c : assign_cpus(pack, 4)) CHECK(c == allowed.front());
  const auto pin = parse_cpu_policy("pin:" + std::to_string(allowed.front()));
  CHECK(pin.text() == "pin:" + std::to_string(allowed.front()));
  CHECK(assign_cpus(pin, 3).size() == 3);
  CHECK(assign_cpus(CpuPolicy{}, 3) == std::vector<std::optional<int>>(3));
  CpuPolicy two{CpuPolicy::Kind::pin, {0, 1}};
  CHECK(assign_cpus(two, 5) == std::vector<std::optional<int>>{0, 1, 0, 1, 0});
  CHECK_THROWS_AS(parse_cpu_policy("pin:9999"), ConfigError);
  CHECK_THROWS_WITH(parse_cpu_policy("pin:a"), Catch::Contains("not a CPU number"));
  CHECK_THROWS_WITH(parse_cpu_policy("tight"), Catch::Contains("accepted: spread, pack, pin:LIST"));
}
