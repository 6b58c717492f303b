#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "node/snapshot.hpp"

using namespace hopcost;

TEST_CASE("a node snapshot survives its JSON line") {
  NodeSnapshot s;
  s.name = "relay2";
  s.role = Role::relay;
  s.cpu_ns = 123456789;
  s.counters.server = {10, 1000, 1300, 5, 4, 123};
  s.counters.client = {9, 2000, 1200, 6, 5, 456};
  s.counters.messages = 77;
  s.counters.errors[ErrorKind::connect] = 3;
  s.first_errors[static_cast<int>(ErrorKind::connect)] = "upstream connect: Connection refused";
  s.negotiated = Negotiated{"TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "X25519"};
  s.counters.upstream_opened = 8;
  s.counters.upstream_reuses = 500;
  s.counters.upstream_retries = 2;
  s.counters.upstream_pool_peak = 7;
  const std::string line = to_json(s).dump();
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.rfind(R"({"name":"relay2","role":"relay","cpu_ns":123456789,"messages":77,"server":{"handshakes":10,)", 0) == 0);
  const NodeSnapshot back = snapshot_from_json(nlohmann::json::parse(line));
  CHECK(back.name == "relay2");
  CHECK(back.role == Role::relay);
  CHECK(back.cpu_ns == s.cpu_ns);
  CHECK(back.counters.server == s.counters.server);
  CHECK(back.counters.client == s.counters.client);
  CHECK(back.counters.messages == 77);
  CHECK(back.counters.errors == s.counters.errors);
  CHECK(back.first_errors == s.first_errors);
  CHECK(back.negotiated == s.negotiated);
  CHECK(back.counters.upstream_opened == 8);
  CHECK(back.counters.upstream_reuses == 500);
  CHECK(back.counters.upstream_retries == 2);
  CHECK(back.counters.upstream_pool_peak == 7);
  s.negotiated.reset();
  CHECK_FALSE(snapshot_from_json(nlohmann::json::parse(to_json(s).dump())).negotiated);
}

TEST_CASE("a node snapshot line from before upstream pools parses, with their counters 0") {
  NodeSnapshot s;
  s.name = "relay1";
  auto j = nlohmann::json::parse(to_json(s).dump());
  for (const char* key : {"upstream_opened", "upstream_reuses", "upstream_retries", "upstream_pool_peak"}) {
    REQUIRE(j.contains(key));
    j.erase(key);
  }
  const NodeSnapshot back = snapshot_from_json(j);
  CHECK(back.counters.upstream_opened == 0);
  CHECK(back.counters.upstream_pool_peak == 0);
}

TEST_CASE("a difference of node counters subtracts the upstream counts and keeps the later pool peak") {
  NodeCounters earlier, later;
  earlier.upstream_opened = 3;
  earlier.upstream_reuses = 10;
  earlier.upstream_retries = 1;
  earlier.upstream_pool_peak = 4;
  later.upstream_opened = 5;
  later.upstream_reuses = 110;
  later.upstream_retries = 2;
  later.upstream_pool_peak = 6;
  const auto d = later - earlier;
  CHECK(d.upstream_opened == 2);
  CHECK(d.upstream_reuses == 100);
  CHECK(d.upstream_retries == 1);
  CHECK(d.upstream_pool_peak == 6);
}
