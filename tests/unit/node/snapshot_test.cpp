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
  s.negotiated.reset();
  CHECK_FALSE(snapshot_from_json(nlohmann::json::parse(to_json(s).dump())).negotiated);
}
