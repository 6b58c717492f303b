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
  const auto a = attribute(client, {relay1, relay2, origin});
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
  const auto a = attribute(client, {relay, origin});
  const double p50_sum = a.added_us[0].p50 + a.added_us[1].p50 + a.origin_us.p50;
  CHECK(p50_sum == Approx(450.0));  // the p50 request is a 400 µs + 50 µs one
  CHECK(a.added_own_us[0].p50 + a.added_own_us[1].p50 + a.origin_us.p50 == Approx(250.0).epsilon(0.001));  // the naive sum
  const double p99_sum = a.added_us[0].p99 + a.added_us[1].p99 + a.origin_us.p99;
  CHECK(p99_sum == Approx(450.0));
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
