#include <catch2/catch.hpp>

#include <filesystem>

#include "metrics/attribution.hpp"

using namespace hopcost;

TEST_CASE("each hop's share is the difference of neighbouring residence times, paired by id") {
  // Client latency 1000 µs; relay1 700, relay2 450, origin 100 (in ns below).
  std::vector<ResidenceSample> client, relay1, relay2, origin;
  for (uint64_t id = 1; id <= 101; ++id) {
    const uint64_t jitter = id % 10;
    client.push_back({id, 1'000'000 + jitter});
    relay1.push_back({id, 700'000 + jitter});
    relay2.push_back({id, 450'000});
    origin.push_back({id, 100'000});
  }
  relay1.push_back({5000, 1});  // a warm-up request the client did not measure: ignored
  origin.erase(origin.begin());  // request 1 was not recorded at the origin: unpaired
  const auto a = attribute(client, {{relay1}, {relay2}, {origin}});
  CHECK(a.samples == 100);
  REQUIRE(a.added_us.size() == 3);
  CHECK(a.added_us[0].p50 == Approx(300.0));
  CHECK(a.added_us[1].p50 == Approx(250.0).epsilon(0.001));
  CHECK(a.added_us[2].p50 == Approx(350.0));
  CHECK(a.origin_us.p50 == Approx(100.0));
  const double sum = a.added_us[0].p50 + a.added_us[1].p50 + a.added_us[2].p50 + a.origin_us.p50;
  CHECK(sum == Approx(1000.0).epsilon(0.001));
  CHECK(a.negative == 0);
  CHECK(a.added_own_us[0].p50 == Approx(300.0));
}

TEST_CASE("with skewed shares, the shares of the p50 request still add up to the p50") {
  // Hop 0 is usually 100 µs, but 300 µs in a third of the requests; hop 1 the reverse
  // pattern on other requests. Medians of the parts (100 + 100) miss the whole's median.
  std::vector<ResidenceSample> client, relay, origin;
  for (uint64_t id = 0; id < 300; ++id) {
    const uint64_t hop0 = id % 3 == 0 ? 300'000 : 100'000;
    const uint64_t hop1 = id % 3 == 1 ? 300'000 : 100'000;
    client.push_back({id, hop0 + hop1 + 50'000});
    relay.push_back({id, hop1 + 50'000});
    origin.push_back({id, 50'000});
  }
  const auto a = attribute(client, {{relay}, {origin}});
  const double p50_sum = a.added_us[0].p50 + a.added_us[1].p50 + a.origin_us.p50;
  CHECK(p50_sum == Approx(450.0));  // the p50 request is a 400 µs + 50 µs one
  CHECK(a.added_own_us[0].p50 + a.added_own_us[1].p50 + a.origin_us.p50 == Approx(250.0).epsilon(0.001));  // the naive sum
  const double p99_sum = a.added_us[0].p99 + a.added_us[1].p99 + a.origin_us.p99;
  CHECK(p99_sum == Approx(450.0));
}

TEST_CASE("a silent node leaves only the shares next to it unknown, with the reason, and their sum known") {
  // relay1 700, relay2 450, origin 100 µs, as above; relay2 gives no residence times.
  std::vector<ResidenceSample> client, relay1, origin;
  for (uint64_t id = 1; id <= 100; ++id) {
    client.push_back({id, 1'000'000});
    relay1.push_back({id, 700'000});
    origin.push_back({id, 100'000});
  }
  const NodeResidence silent{{}, "relay2 (varnish) logs no residence times"};
  const auto a = attribute(client, {{relay1}, silent, {origin}});
  CHECK(a.samples == 100);  // paired across the nodes that report
  CHECK(a.added_us[0].p50 == Approx(300.0));
  CHECK_FALSE(a.unknown_reason[0].has_value());
  // Hop 1 (into relay2) and hop 2 (out of it) need relay2's residence: unknown, and why.
  REQUIRE(a.unknown_reason[1].has_value());
  CHECK(*a.unknown_reason[1] == "relay2 (varnish) logs no residence times");
  CHECK(a.unknown_reason[2] == a.unknown_reason[1]);
  CHECK(a.added_us[1].p50 == 0.0);
  // Their sum is known: 700 - 100.
  REQUIRE(a.joint.size() == 1);
  CHECK(a.joint[0].first_hop == 1);
  CHECK(a.joint[0].last_hop == 2);
  CHECK(a.joint[0].added_us.p50 == Approx(600.0));
  CHECK(a.origin_us.p50 == Approx(100.0));
  CHECK_FALSE(a.origin_unknown_reason.has_value());
  // Everything still adds up to the end-to-end latency.
  CHECK(a.added_us[0].p50 + a.joint[0].added_us.p50 + a.origin_us.p50 == Approx(1000.0));
}

TEST_CASE("a silent origin leaves the last hop and the origin's own time unknown, their sum known") {
  std::vector<ResidenceSample> client, relay;
  for (uint64_t id = 1; id <= 50; ++id) {
    client.push_back({id, 900'000});
    relay.push_back({id, 400'000});
  }
  const auto a = attribute(client, {{relay}, NodeResidence{{}, "origin wrote no residence times"}});
  CHECK(a.added_us[0].p50 == Approx(500.0));
  CHECK(a.unknown_reason[1].has_value());
  CHECK(a.origin_unknown_reason == a.unknown_reason[1]);
  REQUIRE(a.joint.size() == 1);
  CHECK(a.joint[0].first_hop == 1);
  CHECK(a.joint[0].last_hop == 2);  // == hops: the origin's own time is in it
  CHECK(a.joint[0].added_us.p50 == Approx(400.0));
}

TEST_CASE("residence samples survive their file") {
  const std::string path = (std::filesystem::temp_directory_path() / "hopcost-residence-test.bin").string();
  const std::vector<ResidenceSample> samples{{1, 10}, {2, 20}, {UINT64_MAX, 30}};
  write_residence_file(path, samples);
  const auto back = read_residence_file(path);
  std::filesystem::remove(path);
  REQUIRE(back.size() == 3);
  CHECK(back[2].request_id == UINT64_MAX);
  CHECK(back[1].ns == 20);
}

// A node that served nothing writes an empty file (UBSan once caught fwrite given a null
// buffer here: an empty vector's data()).
TEST_CASE("no residence samples make an empty file, which reads back as none") {
  const std::string path = (std::filesystem::temp_directory_path() / "hopcost-residence-empty-test.bin").string();
  std::filesystem::remove(path);
  write_residence_file(path, {});
  CHECK(std::filesystem::file_size(path) == 0);
  CHECK(read_residence_file(path).empty());
  std::filesystem::remove(path);
}
