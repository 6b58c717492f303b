// What a run produced, as plain data: the report that every reporter renders and that
// the JSON file carries (docs/report-format.md names every field and its unit).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/attribution.hpp"
#include "metrics/errors.hpp"
#include "metrics/histogram.hpp"
#include "node/guard.hpp"
#include "metrics/statistics.hpp"
#include "report/variant_key.hpp"
#include "scenario/scenario.hpp"

namespace hopcost {

// 2: variants carry latency_histogram and uncorrected_latency_histogram
// 3: the open loop's rate is a list in the configuration (--rate LIST) and a part of each
// variant's key (`rate`, and `rate` of each marginal_tls_hop group)
// (docs/report-format.md, "Version history"). Readers accept every version listed there.
inline constexpr int kSchemaVersion = 3;

// A variant whose measured interval holds fewer successful requests than this (or all of
// --requests N, when N is smaller) has failed: its figures would be noise.
inline constexpr uint64_t kMinMeasuredRequests = 10;

// An open-loop variant whose achieved throughput is below this share of its offered rate
// did not keep up: a warning says so, and the HTML marks the point.
inline constexpr double kRateShortfall = 0.95;

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
  double bytes_per_request = 0;     // transport bytes through its sockets, both links, both directions
  std::optional<int> cpu;           // the CPU it was pinned to (--cpu-policy pack or pin); none: the OS placed it
  std::optional<double> instructions_per_request;    // --count-instructions: its thread's, per request
  std::optional<double> instructions_per_handshake;  // ... inside SSL_do_handshake, per handshake it took part in
  ErrorCounts errors;
  std::map<std::string, std::string> first_errors;  // kind -> the first error's text
  // Relays: upstream connections opened, requests sent over an already-used (pooled)
  // one, requests retried once on a new connection because a pooled one had been closed,
  // and the pool's peak size (harness/node/upstream_pool.hpp). None for other nodes.
  std::optional<uint64_t> upstream_connections_opened{}, upstream_reuses{}, upstream_retries{}, upstream_pool_peak{};
  // What program it is ("hopcost", "haproxy" …) and, for a real one, its version line. A
  // real node's CPU is its processes' and threads' from /proc; it keeps no counters of its
  // own (handshakes, bytes): its links' are counted at their hopcost ends.
  std::string implementation = "hopcost";
  std::optional<std::string> version{};
  // A real node: each helper process's share of cpu_us_per_request (Hitch, stunnel and
  // varnishncsa beside varnishd; empty for HAProxy, Nginx and stunnel alone), by process
  // name; already inside the node's CPU. None for hopcost's nodes.
  struct Helper {
    std::string process;
    double cpu_us_per_request = 0;
  };
  std::optional<std::vector<Helper>> helpers{};
  // hopcost's relays and origin: the responses they gave instead of a 200 (by status) and
  // the timeouts that fired (by wait), node/guard.hpp. None for the client and real programs.
  std::optional<GuardCounts> guard{};
};

// One link of the chain, client side first (DESIGN.md, "What is measured, exactly").
struct LinkResult {
  int link = 0;                       // 0 is the client's link
  std::string kind;                   // tls, tcp, uds, tls+uds
  double rtt_us = 0;                  // its emulated round-trip time (0: none)
  Percentiles added_latency_us;       // this hop's share of the p50 and of the p99 request (they add up)
  Percentiles added_latency_own_us;   // the percentiles of this hop's own shares
  double handshake_cpu_us_client = 0;  // per full handshake on this link, client end
  double handshake_cpu_us_server = 0;  // ... server end
  double handshake_bytes = 0;          // per handshake, both directions (session tickets excluded)
  double bytes_per_request = 0;        // transport bytes on the link, both directions
  double overhead_bytes_per_request = 0;  // bytes_per_request minus the plaintext HTTP bytes
  std::optional<double> added_latency_vs_floor;  // plaintext tcp/uds links: p50 ÷ the loopback round-trip floor
  std::optional<std::string> tls_group{};  // TLS links: as negotiated, BoringSSL's name ("X25519", "CECPQ2")
  std::optional<std::string> key_type{};   // TLS links: its server's certificate key, as --key spells it
  bool mtls = false;                       // its client end presented a certificate
  uint64_t handshake_errors_client = 0, handshake_errors_server = 0;  // failed handshakes, at each end
  std::optional<std::string> handshake_error{};  // the first one's reason ("certificate verify failed: certificate has expired")
  // Resumption (TLS links): whether its client end offers sessions; handshakes per
  // request, full and resumed, counted at its server end (a refused resumption is full);
  // each kind's bytes (both directions) and CPU at each end per handshake of that kind
  // (none when the link had none of that kind); sessions its client end offered, and
  // 0-RTT attempts whose early data was accepted or rejected, per request.
  bool resume = false;
  double handshakes_full = 0, handshakes_resumed = 0;
  std::optional<double> handshake_bytes_full{}, handshake_bytes_resumed{};
  std::optional<double> handshake_cpu_us_full_client{}, handshake_cpu_us_full_server{};
  std::optional<double> handshake_cpu_us_resumed_client{}, handshake_cpu_us_resumed_server{};
  double sessions_offered = 0;
  double early_data_accepted = 0, early_data_rejected = 0;
  // Set when a node next to this link gave no residence times: added_latency_us and added_latency_own_us
  // are then unknown (null in JSON), and this says why (metrics/attribution.hpp).
  std::optional<std::string> unknown_reason{};
  // On the first link of a run of unknown shares: their sum, which is known (the last
  // link of the run, and whether the origin's own time is in it).
  std::optional<Percentiles> added_latency_joint_us{};
  int joint_last_link = 0;
  bool joint_includes_origin = false;
  // What program each end is ("hopcost", "haproxy" …). A real end keeps no counters: its
  // handshake CPU is unknown (null in JSON; it is inside its node's CPU), and the link's
  // counts come from its other end; `uncounted_reason` says why there are none.
  std::string client_end = "hopcost", server_end = "hopcost";
  std::optional<std::string> uncounted_reason{};
  // The resolution of its shares: the coarser of the residence times it is the difference
  // of (µs; 0.001 for hopcost's nodes, 1000 next to HAProxy or Nginx, which log ms).
  double added_latency_resolution_us = 0.001;
  // Where the link's handshake counts come from: "server end" or "client end" (a hopcost
  // end's counters), or a real program's access log ("haproxy's log (client end)",
  // "nginx's log (server end)"; handshakes only, its bytes then uncounted); none when
  // uncounted (uncounted_reason says why).
  std::optional<std::string> counted_at{};
};

// A floor whose rounds spread more than this, relative to their median, is flagged.
inline constexpr double kFloorSpreadWarning = 0.10;

// The certificates and private keys a variant's topology needs (run/summarize.hpp).
struct CertificateBill {
  int server = 0, client = 0, ca = 0, intermediate = 0, total = 0;
};

// Whether a variant's TLS links use the configuration of the two default handshake
// floors: an ECDSA P-256 leaf, X25519 (alone or first), no mutual TLS, no intermediates.
inline bool default_floor_configuration(const VariantKey& k) {
  return k.key.value_or("ecdsa-p256") == "ecdsa-p256" && k.group.value_or("x25519") == "x25519" &&
         k.mtls.value_or("off") == "off" && k.chain_depth == 0;
}

// The floors this run's figures are compared with (hopcost floor, harness/floor/).
struct FloorFigures {
  double handshake_tls12_cpu_us = 0, handshake_tls13_cpu_us = 0;
  double loopback_tcp_rtt_us = 0, loopback_uds_rtt_us = 0;  // client and server on one CPU
  std::optional<double> loopback_tcp_rtt_cross_cpu_us{}, loopback_uds_rtt_cross_cpu_us{};  // on two CPUs
  // Each figure above (by its JSON name) is the median of `rounds` rounds run on
  // `pinned_cpu`; its spread is (max - min) / median of the rounds.
  std::map<std::string, double> spread{};
  int rounds = 0;
  std::optional<int> pinned_cpu{};
  // Handshake floors (client + server CPU) of the run's other TLS configurations, by the
  // text that names them: "1.3 rsa-2048 group cecpq2" (tls, then VariantKey::tls_setup()).
  std::map<std::string, double> handshake_cpu_us_by_setup{};
};

// A figure's cost per TLS link, from the variants of one group (same placement, TLS
// version and connection policy) that differ in their number of TLS links.
struct MarginalFigure {
  double value = 0;
  std::optional<Interval> ci95;
};
struct Marginal {
  std::string placement, tls, conn;
  std::optional<std::string> upstream;  // the group's relay policy (none: no relays)
  std::optional<double> rtt_us;         // the group's --rtt (links of explicit chains may have their own)
  MarginalFigure latency_us_p50, latency_us_p99, cpu_us_per_request, handshake_cpu_us;
  int points = 0;                 // variant runs (repeats included) in the fit
  bool hops_held_equal = false;   // hops varied and were held equal by the regression
  bool confounded = false;        // TLS links moved only with hops: slopes include a plain hop's cost
  std::string tls_setup;          // the group's TLS settings other than the defaults ("rsa-2048 mtls"); empty: defaults
  std::optional<double> rate{};   // the group's offered rate (--rate); none: a closed loop
};

// The headline figures: the ones repeats report as median, spread and interval, and
// the ones the gate may compare across runs with their noise.
inline constexpr const char* kHeadlineFigures[] = {"throughput_rps",     "latency_us.p50",   "latency_us.p99",
                                                   "cpu_us_per_request", "handshake_cpu_us", "handshakes_per_request",
                                                   "tls_cpu_share"};

// A variant's figures, keyed by its identity (the VariantKey it extends: topology, hops,
// tls, conn, placement, upstream, rtt_us).
struct VariantResult : VariantKey {
  std::vector<std::string> links;  // link kinds, client first
  std::optional<std::string> tls_version, tls_cipher, tls_group;  // as negotiated; empty without TLS
  int connections = 0;
  // With an emulated network: the latency an infinitely fast chain would have at these
  // round-trip times (docs/report-format.md says how the round trips are counted), and
  // the p50 as a multiple of it. None when every link has rtt 0.
  std::optional<double> network_floor_us, latency_vs_network_floor;

  std::string cpu_policy = "spread";

  uint64_t requests = 0;            // successful requests in the measured interval (all repeats)
  // Every failure any node counted inside the measured interval, by kind (all repeats):
  // the client's failed requests, and the relays' and the origin's own (a relay's failed
  // upstream connect, its 502). One failed request can be counted at several nodes.
  ErrorCounts errors;
  ErrorCounts warmup_errors;        // the same, counted during warm-up (all repeats)
  double warmup_extended_s = 0;     // how much longer than asked warm-up lasted (keep-alive setup)
  std::optional<int> connections_established;  // keep-alive: connections open when the window opened
  // Errors for want of file descriptors or memory, at any node, warm-up included, and the
  // first one's text with its node.
  uint64_t exhausted = 0;
  std::optional<std::string> first_exhausted;
  double measured_s = 0;            // length of the measured interval
  double throughput_rps = 0;
  std::optional<double> requested_rps;  // open loop: the rate asked for
  LatencySummary latency_us;            // open loop: from the intended send time
  std::optional<LatencySummary> uncorrected_latency_us;  // open loop: from the actual send
  uint64_t latency_out_of_range = 0;
  double handshakes_per_request = 0;  // TLS link handshakes (counted at their server ends) per request
  double handshake_cpu_us = 0;        // CPU of one link handshake, client side + server side
  double handshakes_per_second = 0;   // link handshakes of the whole chain per second of the interval
  double handshakes_resumed_share = 0;  // of the link handshakes, those that resumed a session
  CertificateBill certificates{};
  double cpu_us_per_request = 0;      // all nodes, client included
  double tls_cpu_share = 0;           // of all CPU: handshakes and TLS record layer, all nodes
  std::optional<double> handshake_cpu_vs_floor;  // handshake_cpu_us ÷ the in-memory handshake floor
  std::optional<double> instructions_per_request;  // --count-instructions: all nodes, client included
  std::optional<double> handshake_instructions;    // ... of one link's handshake, both sides
  std::vector<LinkResult> per_hop;
  Percentiles origin_us;              // the origin's own residence time
  std::optional<std::string> origin_unknown_reason;  // set: the origin gave no residence times (origin_us is null)
  uint64_t attribution_samples = 0;   // requests paired at every node for per_hop
  uint64_t attribution_negative = 0;  // shares below zero, counted as 0 (clock reads out of order)
  std::vector<NodeResult> nodes;      // client, relays in order, origin
  std::map<std::string, std::string> programs{};  // the real programs of its chain -> version (for the context)

  // Repeats: the headline figures above are medians over `repeats` runs of the variant,
  // interleaved with the other variants; the rest comes from the run with the median p50.
  int repeats = 1;
  std::map<std::string, std::vector<double>> repeat_values;  // headline figure -> one value per repeat
  std::map<std::string, Interval> ci95;                      // headline figure -> 95% interval of its mean
  // Set when the variant could not be measured (a node process died, setup did not
  // finish, fewer than kMinMeasuredRequests succeeded): its figures are then incomplete
  // or missing, and the run exits with code 3.
  std::optional<std::string> failure;
  bool failed() const { return failure.has_value(); }

  // The latency histogram behind latency_us (open loop: from the intended send), and
  // behind uncorrected_latency_us (open loop only), exact (report/histogram_json.hpp).
  // With repeats: the merge of every repeat's. None in reports older than schema 2.
  std::optional<HistogramBuckets> latency_histogram{}, uncorrected_latency_histogram{};

  // The database tail (--db; docs/database.md): connections accepted per request at its
  // first server end (PgBouncer's logins, or PostgreSQL's sessions with --db direct), and
  // what the app and the programs counted. None without a database.
  std::optional<double> db_connections_per_request{};
  struct DbFigures {
    int rows = 0, row_bytes = 0;           // the table the query reads
    double queries_per_request = 0;        // queries the app answered, per request
    double app_connections_per_request = 0;  // connections the app opened
    // PostgreSQL's sessions per request (with PgBouncer: its server connections, reused).
    double server_connections_per_request = 0;
    std::optional<double> connect_us{};         // per connection the app opened: transport, TLS, authentication
    std::optional<double> authentication_us{};  // ... of which StartupMessage to AuthenticationOk (SCRAM)
    double query_us = 0;                        // per query: Query written to ReadyForQuery, at the app
  };
  std::optional<DbFigures> db_figures{};

  bool has_tls_links() const {
    for (const auto& l : links)
      if (l == "tls" || l == "tls+uds") return true;
    return false;
  }
};

struct Context {
  std::string hopcost_version, git_revision, build_type, compiler, tls_library;
  std::string cpu_model, kernel, hostname, started_at;  // started_at: UTC, ISO 8601
  int cores = 0;
  std::string cpu_governor;  // empty when it cannot be read
  std::map<std::string, std::string> programs{};  // real programs the run used (issue #11) -> their version line
};

struct Report {
  int schema_version = kSchemaVersion;
  Context context;
  Scenario scenario;
  std::optional<FloorFigures> floors;
  std::vector<Marginal> marginal_tls_hop;
  std::vector<VariantResult> variants;
  std::vector<std::string> warnings;
  // A report read back from report.json (report/reader.hpp): its context.configuration as
  // written, JSON text. `scenario` is then the default Scenario: the scenario is not read
  // back into its typed form (its keys changed over schema 1's life, and a Scenario is
  // parsed from TOML and flags only). When set, report.json writes this text back as the
  // configuration, so that a report read and written again is the same text.
  std::optional<std::string> configuration{};
};

// The context of this process and machine, now.
Context collect_context();

// Warnings about the report as a whole (a debug build, for one).
std::vector<std::string> context_warnings(const Context& context);

}  // namespace hopcost
