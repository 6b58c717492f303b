#include <catch2/catch.hpp>

#include <random>

#include "metrics/statistics.hpp"

using namespace hopcost;

TEST_CASE("median and the 95% interval of a mean") {
  CHECK(median({}) == 0);
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == 2.5);
  CHECK_FALSE(mean_ci95({5}));
  const auto ci = mean_ci95({10, 12, 14});  // mean 12, s = 2, t(2) = 4.303: ±4.969
  REQUIRE(ci);
  CHECK(ci->low == Approx(12 - 4.303 * 2 / std::sqrt(3.0)));
  CHECK(ci->high == Approx(12 + 4.303 * 2 / std::sqrt(3.0)));
  CHECK(t95(1) == Approx(12.706));
  CHECK(t95(1000) == Approx(1.96));
}

TEST_CASE("the slope per TLS link is recovered from synthetic data with a known slope") {
  // cost = 200 + 550 × tls_links + noise, at 5 hops: presets give 5, 1 and 1 TLS links.
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 20);
  std::vector<Point> points;
  for (int repeat = 0; repeat < 5; ++repeat)
    for (double links : {5.0, 1.0, 1.0}) points.push_back({links, 5, 200 + 550 * links + noise(rng)});
  const auto s = tls_link_slope(points);
  REQUIRE(s);
  CHECK(s->value == Approx(550).margin(15));
  REQUIRE(s->ci95);
  CHECK(s->ci95->low < 550);
  CHECK(s->ci95->high > 550);
  CHECK(s->ci95->width() < 40);
  CHECK(s->points == 15);
  CHECK_FALSE(s->hops_held_equal);
}

TEST_CASE("with hops varying too, the slope is per TLS link at equal hops") {
  // cost = 100 + 550 × tls_links + 60 × hops: a hop sweep of two presets.
  std::vector<Point> points;
  for (double hops : {1.0, 2.0, 4.0, 8.0}) {
    points.push_back({hops, hops, 100 + 550 * hops + 60 * hops});  // tls-everywhere
    points.push_back({1, hops, 100 + 550 * 1 + 60 * hops});         // terminate-once
  }
  const auto s = tls_link_slope(points);
  REQUIRE(s);
  CHECK(s->value == Approx(550));
  CHECK(s->hops_held_equal);
  // Only tls-everywhere: TLS links and hops move together and cannot be told apart.
  std::vector<Point> confounded;
  for (double hops : {1.0, 2.0, 4.0}) confounded.push_back({hops, hops, 100 + 610 * hops});
  const auto c = tls_link_slope(confounded);
  REQUIRE(c);
  CHECK(c->value == Approx(610));
  CHECK(c->confounded);
}

TEST_CASE("no slope without two different numbers of TLS links, no interval without a spare point") {
  CHECK_FALSE(tls_link_slope({{1, 5, 10}, {1, 5, 12}}));
  const auto two = tls_link_slope({{1, 5, 10}, {5, 5, 30}});
  REQUIRE(two);
  CHECK(two->value == Approx(5));
  CHECK_FALSE(two->ci95);
}
