// The fixed report of the golden tests (tests/golden/report_golden_test.cpp): every
// reporter's golden file is rendered from it, and the typed reader's round trip
// (tests/unit/report/reader_test.cpp) reads its JSON back.
#pragma once

#include "metrics/histogram.hpp"
#include "report/result.hpp"

namespace hopcost::testing {

inline Report fixed_report() {
  Report r;
  r.context = Context{"0.1.0",        "abc1234", "Release", "GCC 12.2.0", "BoringSSL (API 17, Debian test)",
                      "Test CPU @ 2.0GHz", "Linux 6.1.0", "testhost", "2026-11-26T12:00:00Z", 2, ""};
  r.scenario.name = "golden";
  r.scenario.out = "results/golden";
  r.warnings = {"a warning about the whole report"};
  auto variant = [](std::string topology, std::vector<std::string> links, std::string conn, double scale) {
    VariantResult v;
    v.topology = std::move(topology);
    v.links = std::move(links);
    v.hops = static_cast<int>(v.links.size());
    if (v.hops > 1) v.upstream = "1:1";
    v.rtt_us = 0.0;
    v.link_rtt_us.assign(v.links.size(), 0.0);
    v.key = "ecdsa-p256";
    v.mtls = "off";
    v.tls = "1.3";
    v.tls_version = "TLSv1.3";
    v.tls_cipher = "TLS_AES_128_GCM_SHA256";
    v.tls_group = "X25519";
    v.conn = std::move(conn);
    v.connections = 16;
    v.requests = static_cast<uint64_t>(3000 / scale);
    v.measured_s = 3.0004;
    v.throughput_rps = 1000.123456 / scale;
    v.latency_us = {100 * scale, 150 * scale, 300 * scale, 400.5 * scale, 1000 * scale, 120.25 * scale};
    v.handshakes_per_request = v.conn == "new" ? 1.0 * scale : 0.0;
    v.handshake_cpu_us = 550.5;
    v.cpu_us_per_request = 200 * scale;
    NodeResult client{"client", "client", 10, 400.25, 1000, 33.3333, 3666.667, std::nullopt, std::nullopt, std::nullopt, {}, {}};
    NodeResult origin{"origin", "origin", 10, 150.25, 2000, 66.6667, 3666.667, 1, std::nullopt, std::nullopt, {}, {}};
    for (size_t i = 0; i < v.links.size(); ++i) {
      const bool tls = v.links[i] == "tls";
      v.per_hop.push_back(LinkResult{static_cast<int>(i), v.links[i], 0, {30 * scale * (i + 1), 90 * scale * (i + 1)},
                                     {25 * scale * (i + 1), 80 * scale * (i + 1)}, tls ? 400.25 : 0, tls ? 150.25 : 0, tls ? 1321.0 : 0, 2400.5, tls ? 260.5 : 0,
                                     tls ? std::nullopt : std::optional<double>(3.25)});
    }
    v.origin_us = {20 * scale, 60 * scale};
    v.attribution_samples = v.requests;
    v.tls_cpu_share = 0.125;
    if (scale > 2) {
      v.errors[ErrorKind::handshake] = 2;
      origin.errors[ErrorKind::handshake] = 2;
      origin.first_errors["handshake"] = "SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED";
    }
    origin.guard.emplace();
    if (scale > 2) {
      (*origin.guard)[Refusal::bad_request] = 3;
      (*origin.guard)[Timeout::head] = 1;
    }
    v.nodes = {client, origin};
    return v;
  };
  r.variants = {variant("terminate-once", {"tls", "tcp"}, "new", 1.0),
                variant("tls-everywhere", {"tls", "tls"}, "new", 2.5),
                variant("tls,uds", {"tls", "uds"}, "keepalive", 1.0)};
  VariantResult plain = variant("tcp", {"tcp"}, "keepalive", 0.5);
  plain.tls_version = plain.tls_cipher = plain.tls_group = std::nullopt;
  plain.key = plain.mtls = std::nullopt;
  plain.handshake_cpu_us = 0;
  r.variants.push_back(plain);
  // Repeats: medians, the values of each repeat, and their intervals.
  VariantResult& repeated = r.variants[0];
  repeated.repeats = 3;
  repeated.repeat_values["latency_us.p50"] = {99, 100, 104};
  repeated.ci95["latency_us.p50"] = Interval{94.5, 107.5};
  repeated.instructions_per_request = 7417047;
  repeated.handshake_instructions = 7149032.125;
  repeated.nodes[0].instructions_per_request = 5161973;
  repeated.nodes[0].instructions_per_handshake = 5088123.5;
  repeated.nodes[1].instructions_per_request = 2255074;
  r.floors = FloorFigures{530.25, 551.5, 67.125, 46.0, std::nullopt, std::nullopt, {}, 5, 0};
  r.floors->spread = {{"handshake_tls12_cpu_us", 0.031}, {"handshake_tls13_cpu_us", 0.042},
                      {"loopback_tcp_rtt_us", 0.12}, {"loopback_uds_rtt_us", 0.08}};
  r.marginal_tls_hop = {Marginal{"inproc", "1.3", "new", "1:1", 0.0, {150, Interval{120, 180}}, {450, Interval{300, 600}},
                                 {300, std::nullopt}, {550.5, Interval{540, 561}}, 6, false, false}};
  // Histograms (schema 2): a closed-loop one, and an open-loop variant's two, with runs,
  // zeros inside a run, and an out-of-range value.
  Histogram closed, corrected, uncorrected;
  for (uint64_t v : {99'000, 99'100, 99'100, 99'300, 100'400, 150'000, 301'000, 1'000'000}) closed.record(v);
  repeated.latency_histogram = closed.buckets();
  for (uint64_t v : {1'500, 1'501, 1'502, 1'505, 250'000, 260'000}) uncorrected.record(v);
  corrected = uncorrected;
  corrected.record(Histogram::kHighestTrackable + 1);
  VariantResult& open = r.variants[2];
  open.requested_rps = 500;
  open.rate = 500;
  open.latency_histogram = corrected.buckets();
  open.uncorrected_latency_us = open.latency_us;
  open.uncorrected_latency_histogram = uncorrected.buckets();
  VariantResult failed = variant("terminate-once", {"tls", "tcp"}, "new", 1.0);
  failed.placement = "process";
  failed.requests = 0;
  failed.failure = "relay1 (pid 4242) died during the run: killed by signal 9 (Killed)";
  r.variants.push_back(failed);
  return r;
}

}  // namespace hopcost::testing
