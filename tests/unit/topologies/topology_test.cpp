#include <catch2/catch.hpp>

#include "topologies/topology.hpp"
#include "util/errors.hpp"

using namespace hopcost;
using K = LinkKind;

TEST_CASE("presets expand for N hops, TLS first") {
  const auto all = parse_topologies("tls-everywhere,terminate-once,unix-socket");
  REQUIRE(all.size() == 3);
  CHECK(all[0].links_for(5) == std::vector{K::tls, K::tls, K::tls, K::tls, K::tls});
  CHECK(all[1].links_for(5) == std::vector{K::tls, K::tcp, K::tcp, K::tcp, K::tcp});
  CHECK(all[2].links_for(5) == std::vector{K::tls, K::uds, K::uds, K::uds, K::uds});
  CHECK(all[1].links_for(1) == std::vector{K::tls});
  CHECK(all[0].links_for(32).size() == 32);
  CHECK(all[2].name() == "unix-socket");
}

TEST_CASE("a run of link kinds is one explicit chain") {
  const auto t = parse_topologies("tls,tcp,tcp,uds,tcp");
  REQUIRE(t.size() == 1);
  CHECK(t[0].is_explicit());
  CHECK(t[0].links_for(3) == std::vector{K::tls, K::tcp, K::tcp, K::uds, K::tcp});  // its own length
  CHECK(t[0].name() == "tls,tcp,tcp,uds,tcp");
}

TEST_CASE("presets and explicit chains mix, presets split explicit runs") {
  const auto t = parse_topologies("tls-everywhere, tls,tcp ,terminate-once,uds");
  REQUIRE(t.size() == 4);
  CHECK(t[0].preset == Preset::tls_everywhere);
  CHECK(t[1].links == std::vector{K::tls, K::tcp});
  CHECK(t[2].preset == Preset::terminate_once);
  CHECK(t[3].links == std::vector{K::uds});
}

TEST_CASE("bad topology items are named with the accepted words") {
  auto message = [](std::string_view text) {
    try {
      parse_topologies(text);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("bogus"), Catch::Contains("'bogus'") && Catch::Contains("tls-everywhere") &&
                                   Catch::Contains("uds"));
  CHECK_THAT(message("tls,xyz"), Catch::Contains("'xyz'"));
  CHECK_THAT(message("tls,,tcp"), Catch::Contains("empty item"));
  CHECK_THAT(message(""), Catch::Contains("empty item"));
  std::string long_chain = "tls";
  for (int i = 0; i < 32; ++i) long_chain += ",tcp";
  CHECK_THAT(message(long_chain), Catch::Contains("33 links") && Catch::Contains("1 to 32"));
}
