// The open-loop schedule, on explicit time points: no sleeps, no real clock.
#include <catch2/catch.hpp>

#include <algorithm>

#include "load/pacer.hpp"

using namespace hopcost;
using namespace std::chrono_literals;

TEST_CASE("one connection sends every 1/rate from the start") {
  const Pacer::TimePoint t0{1s};
  const Pacer p(t0, 1000.0, 1, 0);
  CHECK(p.interval() == 1ms);
  CHECK(p.intended(0) == t0);
  CHECK(p.intended(1) == t0 + 1ms);
  CHECK(p.intended(2500) == t0 + 2500ms);
}

TEST_CASE("connections interleave: together they send one request every 1/rate, evenly") {
  const Pacer::TimePoint t0{};
  const int connections = 4;
  std::vector<Pacer::TimePoint> all;
  for (int c = 0; c < connections; ++c) {
    const Pacer p(t0, 2000.0, connections, c);  // 2000/s over 4: each every 2 ms, offset 0.5 ms apart
    CHECK(p.interval() == 2ms);
    for (uint64_t k = 0; k < 100; ++k) all.push_back(p.intended(k));
  }
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == t0 + 500us * static_cast<int64_t>(i));
}

TEST_CASE("the schedule does not move with a late send: latency is charged from the intended time") {
  const Pacer::TimePoint t0{};
  const Pacer p(t0, 100.0, 1, 0);  // every 10 ms
  // A stall: the response to request 0 comes back at 35 ms. Requests 1..3 were due at
  // 10, 20 and 30 ms; they go out late, and their latency counts from then.
  const auto response_0 = t0 + 35ms;
  CHECK(p.intended(1) < response_0);
  CHECK(p.intended(3) == t0 + 30ms);
  CHECK(p.intended(4) == t0 + 40ms);  // back on schedule, not shifted by the stall
  const auto done_1 = response_0 + 1ms;  // sent at response_0, answered 1 ms later
  CHECK(done_1 - p.intended(1) == 26ms);  // corrected: includes the 25 ms it waited (uncorrected: 1 ms)
}
