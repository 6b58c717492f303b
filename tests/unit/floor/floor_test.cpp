// The floors run the real micro-benchmarks with a tiny min time: these tests check what
// floor.json promises (its keys, positive numbers, plausible ranges) and that every
// benchmark the floors name is linked and runs, never how fast this machine is.
#include "floor/floor.hpp"
#include "topologies/cpu_policy.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

using namespace hopcost;

namespace {
FloorOptions tiny(FloorSet set, CpuPlacement cpus) {
  FloorOptions o = default_floor_options(set);
  o.cpus = cpus;
  o.min_time_s = 0.01;
  o.repetitions = 1;
  return o;
}
}  // namespace

TEST_CASE("quick floors: floor.json has the four fixed keys, positive, and how they were measured",
          "[floor]") {
  const Floors f = measure_floors(tiny(FloorSet::quick, CpuPlacement::same));
  const auto j = floors_to_json(f);
  for (const char* key : {"handshake_tls12_cpu_us", "handshake_tls13_cpu_us", "loopback_tcp_rtt_us",
                          "loopback_uds_rtt_us"}) {
    INFO(key);
    REQUIRE(j.contains(key));
    REQUIRE(j[key].is_number());
    CHECK(j[key].get<double>() > 0);
  }
  CHECK(j["measurement"]["set"] == "quick");
  CHECK(j["measurement"]["min_time_s"] == 0.01);
  CHECK(j["measurement"]["repetitions"] == 1);
  CHECK(j["measurement"]["cpu_placement"] == "same");
  CHECK(j["measurement"]["loopback_rtt_placement"] == "same");
  CHECK(j["context"].contains("cpu_model"));
  CHECK(j["skipped"].empty());

  // A round trip over loopback is a positive time well under 10 ms.
  CHECK(f.loopback_tcp_rtt_us > 0);
  CHECK(f.loopback_tcp_rtt_us < 10'000);
  CHECK(f.loopback_uds_rtt_us > 0);
  CHECK(f.loopback_uds_rtt_us < 10'000);
  CHECK(f.figures.at("loopback_tcp_rtt_same_cpu_p50_us") == f.loopback_tcp_rtt_us);

  // Client and server sides add up to the handshake; both did some work.
  for (std::string v : {"tls12", "tls13"}) {
    INFO(v);
    const double client = f.figures.at("handshake_" + v + "_client_cpu_us");
    const double server = f.figures.at("handshake_" + v + "_server_cpu_us");
    CHECK(client > 0);
    CHECK(server > 0);
    CHECK(client + server == Approx(f.figures.at("handshake_" + v + "_cpu_us")).epsilon(1e-6));
  }
  // The negotiated suite is recorded, and each version is what was asked for.
  CHECK_THAT(f.labels.at("BM_Handshake/tls12"), Catch::StartsWith("TLSv1.2"));
  CHECK_THAT(f.labels.at("BM_Handshake/tls13"), Catch::StartsWith("TLSv1.3"));
  // No primitive in the quick set.
  CHECK_FALSE(f.figures.contains("x25519_keygen_us"));
}

TEST_CASE("full floors: every benchmark they name is linked and measured", "[floor]") {
  const Floors f = measure_floors(tiny(FloorSet::full, CpuPlacement::both));
  for (const char* figure :
       {"x25519_keygen_us", "x25519_derive_us", "ecdh_p256_keygen_us", "ecdh_p256_derive_us",
        "ecdsa_p256_sign_us", "ecdsa_p256_verify_us", "rsa2048_sign_us", "rsa2048_verify_us",
        "aes_128_gcm_seal_1KiB_us", "aes_128_gcm_seal_16KiB_us", "chacha20_poly1305_seal_1KiB_us",
        "chacha20_poly1305_seal_16KiB_us", "histogram_record_ns",
        "handshake_tls13_with_setup_cpu_us", "loopback_uds_rtt_same_cpu_p99_us",
        "loopback_tcp_rtt_same_cpu_mean_us"}) {
    INFO(figure);
    REQUIRE(f.figures.contains(figure));
    CHECK(f.figures.at(figure) > 0);
  }
  // Sealing 16 KiB costs more than sealing 1 KiB (behaviour, with a wide margin).
  CHECK(f.figures.at("aes_128_gcm_seal_16KiB_us") > 2 * f.figures.at("aes_128_gcm_seal_1KiB_us"));
  // With both placements, the fixed RTTs are the same-CPU ones; the cross-CPU ones are
  // measured when there are two CPUs and skipped, with a reason, when there is one.
  CHECK(f.rtt_placement == CpuPlacement::same);
  for (const char* figure :
       {"loopback_tcp_rtt_cross_cpu_p50_us", "loopback_uds_rtt_cross_cpu_p50_us"}) {
    INFO(figure);
    if (allowed_cpus().size() >= 2) {
      REQUIRE(f.figures.contains(figure));
      CHECK(f.figures.at(figure) > 0);
      CHECK(f.figures.at(figure) < 10'000);
    } else {
      CHECK(f.skipped.contains(figure));
    }
  }
}

TEST_CASE("CPU placements parse back from their names", "[floor]") {
  for (auto p : {CpuPlacement::same, CpuPlacement::cross, CpuPlacement::both})
    CHECK(parse_cpu_placement(to_string(p)) == p);
  CHECK_FALSE(parse_cpu_placement("spread").has_value());
  CHECK_FALSE(parse_cpu_placement("").has_value());
}

TEST_CASE("floors: each figure is the median of its rounds, with their spread, on the CPU asked for", "[floor]") {
  FloorOptions o = tiny(FloorSet::quick, CpuPlacement::same);
  o.repetitions = 3;
  const auto cpus_before = allowed_cpus();
  o.cpu = cpus_before.back();
  const Floors f = measure_floors(o);
  CHECK(f.rounds == 3);
  CHECK(f.pinned_cpu == allowed_cpus().back());
  for (const char* key : {"handshake_tls12_cpu_us", "handshake_tls13_cpu_us", "loopback_tcp_rtt_us", "loopback_uds_rtt_us"}) {
    INFO(key);
    REQUIRE(f.spread.contains(key));
    CHECK(f.spread.at(key) >= 0);
  }
  // Every measured figure has a spread; three rounds of real work never agree exactly
  // on both handshakes.
  for (const auto& [figure, value] : f.figures) CHECK(f.spread.contains(figure));
  CHECK(f.spread.at("handshake_tls12_cpu_us") + f.spread.at("handshake_tls13_cpu_us") > 0);
  const auto j = floors_to_json(f);
  CHECK(j["spread"]["handshake_tls13_cpu_us"].is_number());
  CHECK(j["measurement"]["pinned_cpu"] == allowed_cpus().back());
  CHECK(j["measurement"]["statistic"] == "median of 3 rounds");
  // The thread that measured is given its CPUs back.
  CHECK(allowed_cpus() == cpus_before);
}

TEST_CASE("floors: a handshake floor for each other TLS configuration a scenario uses, named as reports name it", "[floor]") {
  Scenario s;
  s.topologies = parse_topologies("tls,tcp");
  s.tls = {TlsVersion::v1_3};
  s.key = {KeyType::ecdsa_p256, KeyType::rsa_2048};
  s.conn = {ConnPolicy::new_connection};
  const auto configs = handshake_floor_configs(s, expand(s));
  REQUIRE(configs.size() == 1);  // ECDSA P-256 is the default floors'
  CHECK(configs[0].first == "1.3 rsa-2048");
  CHECK(configs[0].second.tls.key == KeyType::rsa_2048);
  FloorOptions o = tiny(FloorSet::quick, CpuPlacement::same);
  o.handshakes = configs;
  const Floors f = measure_floors(o);
  const std::string id = "handshake_" + handshake_floor_id("1.3 rsa-2048") + "_cpu_us";
  REQUIRE(f.figures.contains(id));
  CHECK(f.figures.at(id) > f.handshake_tls13_cpu_us);  // an RSA server signs more slowly than an ECDSA one
  CHECK(f.figures.at("handshake_1_3_rsa_2048_server_cpu_us") > f.figures.at("handshake_tls13_server_cpu_us"));
}

namespace {
std::set<std::string> names_of(const std::vector<std::pair<std::string, HandshakeConfig>>& configs) {
  std::set<std::string> names;
  for (const auto& [name, config] : configs) names.insert(name);
  return names;
}
const HandshakeConfig& config_named(const std::vector<std::pair<std::string, HandshakeConfig>>& configs,
                                    const std::string& name) {
  const auto it = std::find_if(configs.begin(), configs.end(), [&](const auto& c) { return c.first == name; });
  REQUIRE(it != configs.end());
  return it->second;
}
}  // namespace

TEST_CASE("floors: conn resume asks for a resumed floor of each configuration, the defaults' included", "[floor]") {
  Scenario s;
  s.topologies = parse_topologies("tls,tcp");
  s.tls = {TlsVersion::v1_2, TlsVersion::v1_3};
  s.key = {KeyType::ecdsa_p256, KeyType::rsa_2048};
  s.conn = {ConnPolicy::resume};
  s.resume = {ResumeBy::ticket, ResumeBy::id};
  const auto configs = handshake_floor_configs(s, expand(s));
  CHECK(names_of(configs) == std::set<std::string>{"1.2 rsa-2048", "1.3 rsa-2048", "1.2 resumed", "1.2 resumed id",
                                                    "1.3 resumed", "1.2 rsa-2048 resumed", "1.2 rsa-2048 resumed id",
                                                    "1.3 rsa-2048 resumed"});
  CHECK(configs.size() == names_of(configs).size());  // once each
  // Each resumed floor resumes as its links do; the full ones do not resume.
  CHECK(config_named(configs, "1.2 resumed id").resumed == ResumeBy::id);
  CHECK(config_named(configs, "1.2 resumed id").tls.version == TlsVersion::v1_2);
  CHECK(config_named(configs, "1.2 rsa-2048 resumed").resumed == ResumeBy::ticket);
  CHECK(config_named(configs, "1.2 rsa-2048 resumed").tls.key == KeyType::rsa_2048);
  CHECK(config_named(configs, "1.3 resumed").resumed == ResumeBy::ticket);
  CHECK(config_named(configs, "1.3 resumed").tls.version == TlsVersion::v1_3);
  CHECK_FALSE(config_named(configs, "1.3 rsa-2048").resumed.has_value());
  // Every name is a benchmark's: the defaults' are the static ones.
  CHECK(handshake_floor_id("1.3 resumed") == "tls13_resumed");
  CHECK(handshake_floor_id("1.2 resumed") == "tls12_resumed");
  CHECK(handshake_floor_id("1.2 resumed id") == "tls12_resumed_id");
  CHECK(handshake_floor_id("1.2 rsa-2048 resumed id") == "1_2_rsa_2048_resumed_id");
  for (const auto& [name, config] : configs)
    for (char c : handshake_floor_id(name)) CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '_'));

  // Without tickets and a session cache nothing resumes: no resumed floor.
  s.tickets = false;
  CHECK(names_of(handshake_floor_configs(s, expand(s))) == std::set<std::string>{"1.2 rsa-2048", "1.3 rsa-2048"});
}

TEST_CASE("floors: relays resuming upstream (the default) ask for resumed floors, keep-alive without it none", "[floor]") {
  Scenario s;
  s.topologies = parse_topologies("tls-everywhere");
  s.hops = {3};
  s.tls = {TlsVersion::v1_2, TlsVersion::v1_3};
  s.conn = {ConnPolicy::keepalive};
  REQUIRE(s.upstream_resume == std::vector<bool>{true});  // the default
  CHECK(names_of(handshake_floor_configs(s, expand(s))) == std::set<std::string>{"1.2 resumed", "1.3 resumed"});

  s.topologies = parse_topologies("terminate-once");
  s.upstream_resume = {false};
  CHECK(handshake_floor_configs(s, expand(s)).empty());
}

TEST_CASE("floors: resumed handshakes resume, and cost less CPU than full ones", "[floor]") {
  FloorOptions o = tiny(FloorSet::quick, CpuPlacement::same);
  o.handshakes = default_resumed_handshake_floors();
  CHECK(names_of(o.handshakes) == std::set<std::string>{"1.2 resumed", "1.2 resumed id", "1.3 resumed"});
  // Another configuration's resumed floor runs a benchmark registered for it.
  HandshakeConfig rsa;
  rsa.tls = TlsSettings{TlsVersion::v1_3, true};
  rsa.tls.key = KeyType::rsa_2048;
  rsa.resumed = ResumeBy::ticket;
  o.handshakes.emplace_back("1.3 rsa-2048 resumed", rsa);
  const Floors f = measure_floors(o);
  INFO(floors_to_json(f).dump(2));
  REQUIRE(f.skipped.empty());  // every resumed handshake resumed, on both ends
  for (std::string v : {"tls12_resumed", "tls12_resumed_id", "tls13_resumed", "1_3_rsa_2048_resumed"}) {
    INFO(v);
    REQUIRE(f.figures.contains("handshake_" + v + "_cpu_us"));
    const double client = f.figures.at("handshake_" + v + "_client_cpu_us");
    const double server = f.figures.at("handshake_" + v + "_server_cpu_us");
    CHECK(client > 0);
    CHECK(server > 0);
    CHECK(client + server == Approx(f.figures.at("handshake_" + v + "_cpu_us")).epsilon(1e-6));
    CHECK_THAT(f.labels.at("BM_Handshake/" + v), Catch::Contains("resumed by"));
  }
  CHECK_THAT(f.labels.at("BM_Handshake/tls12_resumed_id"), Catch::StartsWith("TLSv1.2") && Catch::EndsWith("session ID"));
  CHECK_THAT(f.labels.at("BM_Handshake/tls13_resumed"), Catch::StartsWith("TLSv1.3") && Catch::EndsWith("ticket"));
  // A resumed handshake skips the certificate and its signatures: less CPU than a full one.
  CHECK(f.figures.at("handshake_tls13_resumed_cpu_us") < f.handshake_tls13_cpu_us);
  CHECK(f.figures.at("handshake_tls12_resumed_cpu_us") < f.handshake_tls12_cpu_us);
  CHECK(f.figures.at("handshake_tls12_resumed_id_cpu_us") < f.handshake_tls12_cpu_us);
  CHECK(f.figures.at("handshake_1_3_rsa_2048_resumed_server_cpu_us") < f.figures.at("handshake_tls13_server_cpu_us"));
  // floor.json's fixed keys are still the full handshakes'.
  const auto j = floors_to_json(f);
  CHECK(j["handshake_tls13_cpu_us"].get<double>() == Approx(f.handshake_tls13_cpu_us).margin(1e-3));
  CHECK(j["figures"].contains("handshake_tls13_resumed_cpu_us"));
}

TEST_CASE("floors: the defaults' resumed floors run only when asked for", "[floor]") {
  const Floors f = measure_floors(tiny(FloorSet::quick, CpuPlacement::same));
  CHECK_FALSE(f.figures.contains("handshake_tls13_resumed_cpu_us"));
  CHECK_FALSE(f.labels.contains("BM_Handshake/tls12_resumed"));
}
