// Floors: what the primitives of a hop cost on this machine, measured by the
// micro-benchmarks of harness/bench run in-process. The harness's figures are read against
// them: a link's "hs CPU µs" against the handshake floor, a plaintext hop's latency against
// a loopback round trip (DESIGN.md, "What is measured").
//
// Plain data in, plain data out; Google Benchmark stays inside floor.cpp.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/handshake.hpp"
#include "report/result.hpp"

namespace hopcost {

// Where the two threads of a loopback round trip run (bench/loopback.cpp).
enum class CpuPlacement {
  same,   // both pinned to one CPU: no cross-CPU wake-up, the cheapest round trip
  cross,  // pinned to two CPUs: every message wakes the other CPU
  both,   // measure both
};
std::string_view to_string(CpuPlacement p);
std::optional<CpuPlacement> parse_cpu_placement(std::string_view s);

enum class FloorSet {
  quick,  // the two handshakes and the two loopback round trips (per placement)
  full,   // every micro-benchmark: also key exchange, signatures, AEAD, Histogram::record
};
std::string_view to_string(FloorSet s);

struct FloorOptions {
  FloorSet set = FloorSet::quick;
  CpuPlacement cpus = CpuPlacement::same;
  double min_time_s = 0.05;  // per benchmark and round (Google Benchmark's min_time)
  int repetitions = 5;       // rounds (Google Benchmark's repetitions): their median is kept, their spread reported
  std::optional<int> cpu;    // the CPU the rounds run on (default: the first this process may use)
  // Handshake floors besides the two fixed ones, by the text that names them in reports:
  // "1.3 rsa-2048 group cecpq2" (VariantKey::tls_configuration), "1.3 resumed", "1.2
  // rsa-2048 resumed id" (VariantKey::resumed_configuration). The defaults' resumed floors
  // ("1.2 resumed", "1.2 resumed id", "1.3 resumed") run their static benchmarks
  // (BM_Handshake/tls12_resumed …), and only when named here.
  std::vector<std::pair<std::string, HandshakeConfig>> handshakes;
};

// "1.3 rsa-2048 group cecpq2" -> "1_3_rsa_2048_group_cecpq2": the benchmark's and the
// figure's name for it (BM_Handshake/<id>, handshake_<id>_cpu_us). The defaults' own:
// "1.3 resumed" -> "tls13_resumed", "1.2 resumed id" -> "tls12_resumed_id" ("1.2 " ->
// "tls12", the fixed floor).
std::string handshake_floor_id(std::string_view setup_text);

// The defaults' resumed floors, "1.2 resumed", "1.2 resumed id" and "1.3 resumed" (ECDSA
// P-256, default groups, no mTLS, depth 0): what hopcost floor measures besides the fixed ones.
std::vector<std::pair<std::string, HandshakeConfig>> default_resumed_handshake_floors();

// The handshake floors `variants` need besides the two fixed ones, once each, named as
// reports name them: the full floor of every TLS configuration other than the defaults
// (each the same on all of a variant's TLS links; "mixed" ones get none), and the
// resumed floor (VariantKey::resumed_configuration, the defaults' included) of every
// variant where a TLS link resumes (LinkSpec resume, and its server issues tickets).
std::vector<std::pair<std::string, HandshakeConfig>> handshake_floor_configs(const Scenario& scenario,
                                                                             const std::vector<Variant>& variants);

// The defaults of each set: quick takes about 1.5 s (3 s with the defaults' resumed
// floors, as hopcost floor measures it), full about 30 s on 2 vCPUs.
FloorOptions default_floor_options(FloorSet set);

struct Floors {
  // The fixed figures: floor.json always has these four keys.
  double handshake_tls12_cpu_us = 0;  // a full TLS 1.2 handshake, client + server CPU
  double handshake_tls13_cpu_us = 0;  // a full TLS 1.3 handshake, client + server CPU
  double loopback_tcp_rtt_us = 0;     // median 64-byte round trip over loopback TCP
  double loopback_uds_rtt_us = 0;     // median 64-byte round trip over a Unix socket
  // The placement the two RTTs above come from: `same` when both placements were measured
  // (the floor is the cheaper one); the other one is in `figures`.
  CpuPlacement rtt_placement = CpuPlacement::same;

  // Every figure measured, the fixed ones included, by name; the unit ends the name
  // (`_us`, `_ns`). E.g. handshake_tls13_client_cpu_us, loopback_tcp_rtt_cross_cpu_p50_us,
  // ecdsa_p256_sign_us, aes_128_gcm_seal_16KiB_us, histogram_record_ns.
  std::map<std::string, double> figures;
  // Each figure's spread over the rounds: (max - min) / median.
  std::map<std::string, double> spread;
  int rounds = 0;       // rounds each figure is the median of
  int pinned_cpu = 0;   // the CPU the rounds (and the handshakes) ran on
  // Figures that could not be measured here, and why (cross-CPU on a 1-CPU machine).
  std::map<std::string, std::string> skipped;

  // How they were measured.
  FloorOptions options;
  std::map<std::string, std::string> labels;  // benchmark → what it ran on: suite, CPUs
  std::vector<int> cpus;    // the CPUs this process could use; pinning picks from these
  std::string cpu_scaling;  // "enabled", "disabled" or "unknown" (Google Benchmark's view)
  double duration_s = 0;    // wall time of the whole measurement
  Context context;          // machine and build, as in report.json
};

// Runs the benchmarks of `options.set` in this process, on the calling thread (which the
// loopback benchmarks pin, and then restore). Not reentrant: one measurement at a time.
// Throws RunError when a fixed figure cannot be measured.
Floors measure_floors(const FloorOptions& options);

// floor.json: the four fixed keys, every figure, and how they were measured.
nlohmann::ordered_json floors_to_json(const Floors& floors);

}  // namespace hopcost
