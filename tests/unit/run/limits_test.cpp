#include <catch2/catch.hpp>

#include "run/limits.hpp"
#include "util/errors.hpp"

using namespace hopcost;

namespace {

Variant variant(int hops, Placement placement) {
  Variant v{parse_topologies("tls-everywhere")[0], parse_topologies("tls-everywhere")[0].links_for(hops), TlsVersion::v1_3,
            ConnPolicy::keepalive};
  v.placement = placement;
  return v;
}

}  // namespace

TEST_CASE("limits: a chain holds two sockets per connection per link, in one process under inproc") {
  Scenario s;
  s.connections = 1000;
  const auto need = fd_need(variant(32, Placement::inproc), s);
  CHECK(need.fds >= 64'000);
  CHECK(need.fds < 64'300);  // listeners and event loops are a few more, not thousands
  CHECK_THAT(need.where, Catch::Contains("inproc"));
  // Process placement: a relay holds its two links, the client its one.
  const auto per_process = fd_need(variant(32, Placement::process), s);
  CHECK(per_process.fds >= 2000);
  CHECK(per_process.fds < 2100);
  CHECK(per_process.where == "each relay process");
  CHECK(fd_need(variant(1, Placement::process), s).where == "this process (the client)");
}

TEST_CASE("limits: the check names the need, the limit and the flags, and passes a run that fits") {
  Scenario s;
  s.connections = 1000;
  const std::vector<Variant> variants{variant(4, Placement::inproc), variant(32, Placement::inproc)};
  try {
    check_fd_limit(variants, s, 20'000);
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("--connections 1000 over 32 links") && Catch::Contains("more than the limit of 20000") &&
                             Catch::Contains("--hops") && Catch::Contains("ulimit -Hn"));
  }
  CHECK_NOTHROW(check_fd_limit({variant(4, Placement::inproc)}, s, 20'000));
  CHECK_NOTHROW(check_fd_limit(variants, s, 70'000));
}
