// The measured window's barriers, on time points handed in: no clock, no sleep.
#include <catch2/catch.hpp>

#include "load/window.hpp"

using namespace hopcost;
using namespace std::chrono_literals;
using W = MeasuredWindow;

namespace {

const W::TimePoint t0{std::chrono::seconds(1000)};

W::Settings settings(int connections, bool establish_all = false) {
  W::Settings s;
  s.warmup = 1s;
  s.duration = 2s;
  s.setup_limit = 10s;
  s.connections = connections;
  s.establish_all = establish_all;
  return s;
}

}  // namespace

TEST_CASE("window: the window opens only when the requests of warm-up still in flight have ended") {
  W w(settings(2), t0);
  CHECK(w.admit(t0, t0) == W::Admit::warmup);
  CHECK(w.admit(t0 + 10ms, t0 + 10ms) == W::Admit::warmup);
  w.done();
  CHECK(w.edge() == W::Edge::none);
  // Warm-up is over: the connection that asks now waits, while the other is still busy.
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::wait);
  CHECK(w.edge() == W::Edge::none);
  CHECK(w.phase() == W::Phase::opening);
  CHECK(w.admit(t0 + 1001ms, t0 + 1001ms) == W::Admit::wait);
  w.done();  // the last warm-up request ends at 1.2 s
  CHECK(w.edge() == W::Edge::open);
  CHECK(w.edge() == W::Edge::none);  // taken once
  w.opened(t0 + 1200ms);
  CHECK(w.window_start() == t0 + 1200ms);
  CHECK(w.window_end() == t0 + 3200ms);  // the duration counts from the barrier
  CHECK(w.warmup_extension() == 200ms);
  CHECK(w.admit(t0 + 1200ms, t0 + 1200ms) == W::Admit::measured);
}

TEST_CASE("window: the window closes when the last measured request has ended, before any new one") {
  W w(settings(2), t0);
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::wait);
  CHECK(w.edge() == W::Edge::open);  // nothing was in flight
  w.opened(t0 + 1s);
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::measured);
  CHECK(w.admit(t0 + 2900ms, t0 + 2900ms) == W::Admit::measured);
  w.done();
  CHECK(w.admit(t0 + 3s, t0 + 3s) == W::Admit::stop);  // past the end: no new request
  CHECK(w.edge() == W::Edge::none);                  // one is still in flight
  CHECK(w.phase() == W::Phase::closing);
  w.done();
  CHECK(w.edge() == W::Edge::close);
  w.closed(t0 + 3100ms);
  CHECK(w.closed_at() == t0 + 3100ms);
  CHECK(w.admit(t0 + 3100ms, t0 + 3100ms) == W::Admit::stop);
  CHECK(w.edge() == W::Edge::none);
}

TEST_CASE("window: open loop, a request meant to go after the end is not sent, even if it is asked for early") {
  W w(settings(1), t0);
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::wait);
  REQUIRE(w.edge() == W::Edge::open);
  w.opened(t0 + 1s);
  CHECK(w.admit(t0 + 2s, t0 + 3s) == W::Admit::stop);
}

TEST_CASE("window: --requests N admits exactly N measured requests") {
  auto s = settings(3);
  s.requests = 4;
  W w(s, t0);
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::wait);
  REQUIRE(w.edge() == W::Edge::open);
  w.opened(t0 + 1s);
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += w.admit(t0 + 100s, t0 + 100s) == W::Admit::measured;  // no time limit
  CHECK(admitted == 4);
}

TEST_CASE("window: keep-alive warm-up extends until every connection is established") {
  W w(settings(3, true), t0);
  CHECK(w.admit(t0, t0) == W::Admit::warmup);
  w.done();
  w.established(+1);
  w.established(+1);
  // Warm-up is over with 2 of 3 established: warm-up goes on.
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::warmup);
  CHECK(w.established_at_warmup_end() == 2);
  w.done();
  CHECK(w.edge() == W::Edge::none);
  w.established(+1);
  CHECK(w.admit(t0 + 4s, t0 + 4s) == W::Admit::wait);
  REQUIRE(w.edge() == W::Edge::open);
  w.opened(t0 + 4s);
  CHECK(w.warmup_extension() == 3s);
  CHECK(w.window_end() == t0 + 6s);
}

TEST_CASE("window: keep-alive setup that outlasts its limit fails the window, saying how long it took") {
  W w(settings(3, true), t0);
  w.established(+1);
  CHECK(w.admit(t0 + 5s, t0 + 5s) == W::Admit::warmup);
  w.done();
  CHECK(w.admit(t0 + 11s + 1ms, t0 + 11s + 1ms) == W::Admit::stop);
  CHECK(w.phase() == W::Phase::failed);
  CHECK(w.edge() == W::Edge::none);
  CHECK_THAT(w.failure(), Catch::Contains("11.0 s of warm-up") && Catch::Contains("1 of 3 keep-alive connections"));
  CHECK(w.admit(t0 + 12s, t0 + 12s) == W::Admit::stop);
}

TEST_CASE("window: a connection lost in warm-up must be established again") {
  W w(settings(2, true), t0);
  w.established(+1);
  w.established(+1);
  w.established(-1);  // its request failed
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::warmup);
  w.done();
  w.established(+1);
  CHECK(w.admit(t0 + 1500ms, t0 + 1500ms) == W::Admit::wait);
  CHECK(w.edge() == W::Edge::open);
}

TEST_CASE("window: keep-alive connections whose last request failed do not hold the window back") {
  W w(settings(3, true), t0);
  w.established(+1);
  w.failing(+1);
  CHECK(w.admit(t0 + 1s, t0 + 1s) == W::Admit::warmup);  // the third has not settled yet
  w.done();
  w.failing(+1);  // and now it has failed too
  CHECK(w.admit(t0 + 1100ms, t0 + 1100ms) == W::Admit::wait);
  REQUIRE(w.edge() == W::Edge::open);
  w.opened(t0 + 1100ms);
  CHECK(w.established_at_open() == 1);
}
