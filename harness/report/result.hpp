// What a run produced, as plain data: the report that every reporter renders and that
// the JSON file carries (docs/report-format.md names every field and its unit).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/errors.hpp"
#include "scenario/scenario.hpp"

namespace hopcost {

inline constexpr int kSchemaVersion = 1;

struct LatencySummary {  // µs
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

struct NodeResult {
  std::string name;  // client, relay1 …, origin
  std::string role;  // client, relay, origin
  uint64_t handshakes = 0;          // completed handshakes it took part in, either side
  double handshake_cpu_us = 0;      // its own thread CPU per handshake it took part in
  double cpu_us = 0;                // its thread's CPU over the measured interval
  double cpu_us_per_request = 0;
  uint64_t bytes_read = 0, bytes_written = 0;  // transport bytes, TLS records included
  ErrorCounts errors;
  std::map<std::string, std::string> first_errors;  // kind -> the first error's text
};

struct VariantResult {
  std::string topology;            // preset name, or the explicit list
  std::vector<std::string> links;  // link kinds, client first
  int hops = 0;
  std::string tls;                 // as asked: "1.2", "1.3"
  std::optional<std::string> tls_version, tls_cipher, tls_group;  // as negotiated; empty without TLS
  std::string conn;                // "new", "keepalive"
  std::string placement = "inproc";
  int connections = 0;

  uint64_t requests = 0;            // successful requests in the measured interval
  ErrorCounts errors;               // failed requests in the measured interval, by kind
  double measured_s = 0;            // length of the measured interval
  double throughput_rps = 0;
  LatencySummary latency_us;
  uint64_t latency_out_of_range = 0;
  double handshakes_per_request = 0;  // TLS link handshakes (counted at their server ends) per request
  double handshake_cpu_us = 0;        // CPU of one link handshake, client side + server side
  double cpu_us_per_request = 0;      // all nodes, client included
  std::vector<NodeResult> nodes;      // client, relays in order, origin
  // Set when the variant could not be measured to the end (a node process died): its
  // figures are then incomplete, and the run exits with code 3.
  std::optional<std::string> failure;

  bool has_tls_links() const {
    for (const auto& l : links)
      if (l == "tls") return true;
    return false;
  }
};

struct Context {
  std::string hopcost_version, git_revision, build_type, compiler, tls_library;
  std::string cpu_model, kernel, hostname, started_at;  // started_at: UTC, ISO 8601
  int cores = 0;
  std::string cpu_governor;  // empty when it cannot be read
};

struct Report {
  int schema_version = kSchemaVersion;
  Context context;
  Scenario scenario;
  std::vector<VariantResult> variants;
  std::vector<std::string> warnings;
};

// The context of this process and machine, now.
Context collect_context();

// Warnings about the report as a whole (a debug build, for one).
std::vector<std::string> context_warnings(const Context& context);

}  // namespace hopcost
