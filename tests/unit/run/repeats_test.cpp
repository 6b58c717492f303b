#include <catch2/catch.hpp>

#include <algorithm>

#include "run/runner.hpp"

using namespace hopcost;

namespace {
VariantResult run(std::string topology, std::vector<std::string> links, double p50, double cpu, double hs_per_req = 0,
                  double hs_cpu = 0) {
  VariantResult v;
  v.topology = std::move(topology);
  v.links = std::move(links);
  v.hops = static_cast<int>(v.links.size());
  v.tls = "1.3";
  v.conn = "new";
  v.requests = 100;
  v.latency_us.p50 = p50;
  v.latency_us.p99 = 2 * p50;
  v.cpu_us_per_request = cpu;
  v.handshakes_per_request = hs_per_req;
  v.handshake_cpu_us = hs_cpu;
  v.throughput_rps = 1e6 / p50;
  return v;
}
}  // namespace

TEST_CASE("repeats: medians, every value, intervals, and totals") {
  auto a = run("tls-everywhere", {"tls", "tls"}, 100, 50);
  auto b = run("tls-everywhere", {"tls", "tls"}, 120, 70);
  auto c = run("tls-everywhere", {"tls", "tls"}, 110, 60);
  b.errors[ErrorKind::timeout] = 2;
  c.nodes.emplace_back();  // only the median run has a node
  c.nodes.back().name = "client";
  const auto v = aggregate({a, b, c});
  CHECK(v.repeats == 3);
  CHECK(v.latency_us.p50 == 110);
  CHECK(v.cpu_us_per_request == 60);
  CHECK(v.requests == 300);
  CHECK(v.errors.total() == 2);
  CHECK(v.nodes.size() == 1);  // from the run with the median p50
  CHECK(v.repeat_values.at("latency_us.p50") == std::vector<double>{100, 120, 110});
  REQUIRE(v.ci95.count("latency_us.p50"));
  CHECK(v.ci95.at("latency_us.p50").low < 110);
  CHECK(v.ci95.at("latency_us.p50").high > 110);
  const auto single = aggregate({a});
  CHECK(single.repeats == 1);
  CHECK(single.repeat_values.empty());
  CHECK(single.ci95.empty());
}

TEST_CASE("a failed repeat fails the variant") {
  auto a = run("x", {"tls"}, 100, 50);
  auto b = a;
  b.failure = "relay1 died";
  CHECK(aggregate({a, b}).failure == "relay1 died");
}

TEST_CASE("the marginal TLS link is fitted per group from synthetic variants with a known slope") {
  // 5 hops: tls-everywhere has 5 TLS links, the others 1. Each TLS link costs 800 µs of
  // latency and 600 µs of CPU, and one full handshake (550 µs) per request.
  std::vector<VariantResult> variants;
  for (auto [name, links] : {std::pair{"tls-everywhere", 5}, std::pair{"terminate-once", 1}, std::pair{"unix-socket", 1}}) {
    std::vector<std::string> kinds(5, "tcp");
    for (int i = 0; i < links; ++i) kinds[static_cast<size_t>(i)] = "tls";
    auto v = aggregate({run(name, kinds, 1000 + 800 * links + 7, 300 + 600 * links, links, 550),
                        run(name, kinds, 1000 + 800 * links - 7, 300 + 600 * links + 4, links, 550),
                        run(name, kinds, 1000 + 800 * links, 300 + 600 * links - 4, links, 550)});
    variants.push_back(v);
  }
  variants.push_back(run("terminate-once", {"tls", "tcp"}, 500, 100));  // another group: keepalive
  variants.back().conn = "keepalive";                                      // with one TLS-link count only
  const auto m = marginal_tls_hop(variants);
  REQUIRE(m.size() == 1);
  CHECK(m[0].conn == "new");
  CHECK(m[0].points == 9);
  CHECK(m[0].latency_us_p50.value == Approx(800));
  CHECK(m[0].cpu_us_per_request.value == Approx(600).margin(1));
  CHECK(m[0].handshake_cpu_us.value == Approx(550));
  REQUIRE(m[0].latency_us_p50.ci95);
  CHECK(m[0].latency_us_p50.ci95->low < 800);
  CHECK(m[0].latency_us_p50.ci95->high > 800);
}

TEST_CASE("the marginal TLS link is fitted per offered rate: a group never mixes rates") {
  // At 1000/s each TLS link costs 800 µs; at 2000/s, 1600 µs. One fit over both would
  // give neither.
  std::vector<VariantResult> variants;
  for (double rate : {1000.0, 2000.0})
    for (auto [name, links] : {std::pair{"tls-everywhere", 3}, std::pair{"terminate-once", 1}}) {
      std::vector<std::string> kinds(3, "tcp");
      for (int i = 0; i < links; ++i) kinds[static_cast<size_t>(i)] = "tls";
      const double per_link = rate == 1000 ? 800 : 1600;
      auto v = run(name, kinds, 1000 + per_link * links, 300 + per_link * links);
      v.upstream = "1:1";
      v.rate = rate;
      v.requested_rps = rate;
      variants.push_back(v);
    }
  const auto m = marginal_tls_hop(variants);
  REQUIRE(m.size() == 2);
  std::vector<double> slopes{m[0].latency_us_p50.value, m[1].latency_us_p50.value};
  std::sort(slopes.begin(), slopes.end());
  CHECK(slopes[0] == Approx(800));
  CHECK(slopes[1] == Approx(1600));
  for (const auto& g : m) CHECK(g.points == 2);
}

TEST_CASE("warnings: failed requests, a rate not achieved, a wide interval") {
  Report r;
  r.context.build_type = "Release";
  r.context.cores = 2;
  auto v = run("tls-everywhere", {"tls", "tls", "tls"}, 100, 50);
  v.errors[ErrorKind::connect] = 5;  // 5 of 105
  v.requested_rps = 20000;
  v.throughput_rps = 10000;
  v.repeat_values["latency_us.p50"] = {80, 100, 140};
  v.ci95["latency_us.p50"] = Interval{20, 200};
  r.variants.push_back(v);
  const auto w = report_warnings(r);
  auto has = [&](std::string_view text) {
    return std::any_of(w.begin(), w.end(), [&](const std::string& s) { return s.find(text) != std::string::npos; });
  };
  CHECK(has("4.8% of requests failed"));
  CHECK(has("achieved 10000 req/s of the 20000 offered (50%, below 95%)"));
  CHECK(has("95% intervals wider than 20% of the median (latency_us.p50 "));
  CHECK(has("4 busy node threads"));  // 3 hops + client on 2 cores, spread
  r.context.build_type = "Debug";
  CHECK(report_warnings(r).front().find("Debug build") != std::string::npos);
}

TEST_CASE("warnings: exhaustion first, warm-up errors, a noisy floor, a handshake below its floor, delay-line CPU") {
  Report r;
  r.context.build_type = "Release";
  r.context.cores = 8;
  auto v = run("tls-everywhere", {"tls", "tls"}, 100, 50);
  v.warmup_errors[ErrorKind::status] = 3;
  v.handshake_cpu_vs_floor = 0.9;
  v.link_rtt_us = {1000, 1000};
  r.variants.push_back(v);
  auto starved = v;
  starved.exhausted = 2;
  starved.first_exhausted = "relay1: accept: Too many open files";
  r.variants.push_back(starved);
  r.floors = FloorFigures{};
  r.floors->spread = {{"handshake_tls13_cpu_us", 0.15}, {"loopback_tcp_rtt_cross_cpu_us", 0.4}, {"loopback_tcp_rtt_us", 0.02}};
  r.floors->rounds = 5;
  const auto w = report_warnings(r);
  auto has = [&](std::string_view text) {
    return std::any_of(w.begin(), w.end(), [&](const std::string& s) { return s.find(text) != std::string::npos; });
  };
  REQUIRE_FALSE(w.empty());
  CHECK_THAT(w.front(), Catch::Contains("ran out of file descriptors or memory") && Catch::Contains("Too many open files"));
  CHECK(has("3 errors during warm-up (status 3)"));
  CHECK(has("floor handshake_tls13_cpu_us spread 15% over its 5 rounds"));
  CHECK_FALSE(has("loopback_tcp_rtt_cross_cpu_us"));  // context only: no ratio is taken against it
  CHECK_FALSE(has("floor loopback_tcp_rtt_us"));      // 2%: within 10%
  CHECK(has("handshake CPU is 0.90x its floor, below 1"));
  CHECK(has("delay line"));
}
