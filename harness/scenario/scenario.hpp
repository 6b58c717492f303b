// A scenario: what a run measures, as plain data with defaults. It is filled from a TOML
// file and from command-line flags through one table of keys (scenario_keys()), which
// validates every value once; everything after the parser trusts it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "load/conn_policy.hpp"
#include "node/upstream_policy.hpp"
#include "tls/group.hpp"
#include "tls/key_type.hpp"
#include "tls/resumption.hpp"
#include "tls/version.hpp"
#include "topologies/cpu_policy.hpp"
#include "topologies/db_tail.hpp"
#include "topologies/placement.hpp"
#include "topologies/topology.hpp"

namespace hopcost {

using Seconds = std::chrono::duration<double>;

struct Scenario {
  std::string name = "default";  // names the results directory
  std::vector<Topology> topologies = {{Preset::tls_everywhere, {}, {}}, {Preset::terminate_once, {}, {}}, {Preset::unix_socket, {}, {}}};
  std::vector<int> hops = {5};
  std::vector<TlsVersion> tls = {TlsVersion::v1_2, TlsVersion::v1_3};
  std::vector<ConnPolicy> conn = {ConnPolicy::new_connection, ConnPolicy::keepalive};
  std::vector<Placement> placement = {Placement::inproc};
  std::vector<UpstreamPolicy> upstream = {UpstreamPolicy::one_to_one};  // the relays' (--upstream)
  std::vector<std::chrono::nanoseconds> rtt = {std::chrono::nanoseconds(0)};  // every link's, unless a link sets its own
  bool tickets = true;  // servers issue session tickets and keep a session cache (--tickets on|off)
  std::vector<KeyType> key = {KeyType::ecdsa_p256};  // the TLS servers' certificate keys (--key)
  std::vector<TlsGroup> group;                        // key-exchange groups (--group); empty: X25519, then P-256
  bool mtls = false;                                  // mutual TLS on every TLS link (--mtls)
  int chain_depth = 0;                                // intermediate CAs between the root and each leaf
  std::optional<int> expired_cert;                    // a fault: this link's server has an expired certificate
  std::vector<ResumeBy> resume = {ResumeBy::ticket};  // how TLS 1.2 links resume (--resume); TLS 1.3: tickets
  std::vector<bool> upstream_resume = {true};  // relays offer their last session on each new upstream connection
  std::vector<std::string> relay = {"hopcost"};  // what program every relay is (--relay): an implementation or "article"
  Seconds duration{3.0};
  Seconds warmup{0.5};
  Seconds timeout{5.0};
  int connections = 16;
  // Open loop: requests per second over all connections, one variant per rate (--rate
  // 500,1000 sweeps); empty: a closed loop.
  std::vector<double> rate;
  int repeat = 1;              // runs of each variant, interleaved
  uint64_t requests = 0;       // measured requests per variant; 0: as many as --duration allows
  bool count_instructions = false;  // run under callgrind and count instructions (needs requests, inproc)
  CpuPolicy cpu_policy;
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 1024;
  std::string out;  // empty: results/<UTC timestamp>-<name>
  // Real programs (docs/real-programs.md): processes or threads of each (--relay-workers;
  // hopcost's own nodes are single-threaded), Varnish's cache (--varnish-cache on: hits
  // allowed, off: every request passed), and a user's own configuration per node, by
  // node name (--relay-config relay1=FILE).
  int relay_workers = 1;
  bool varnish_cache = false;
  std::vector<std::pair<std::string, std::string>> relay_config{};
  // What `hopcost run` writes (--format): reporter formats, "table" for the console
  // table on stdout; empty: all. report.json is written whatever this says.
  std::vector<std::string> format{};
  // The database tail (docs/database.md): none, or the origin as an app querying PostgreSQL
  // through PgBouncer or directly, for every request; its links and the app's connection
  // policy, each a comma list that sweeps; the table it reads.
  std::vector<DbMode> db{DbMode::none};
  std::vector<LinkKind> db_link{LinkKind::tls};
  std::vector<LinkKind> db_server_link{LinkKind::tls};
  std::vector<DbPolicy> db_policy{DbPolicy::pooled};
  int db_rows = 100;
  int db_row_bytes = 100;
  // Every hopcost node's request-head and keep-alive idle timeouts (node/guard.hpp): far
  // above any wait of a healthy run; a run's client never idles that long.
  Seconds head_timeout{10.0};
  Seconds idle_timeout{75.0};

  bool operator==(const Scenario&) const = default;
};

// One point of the matrix.
struct Variant {
  Topology topology;
  std::vector<LinkKind> links;
  TlsVersion tls = TlsVersion::v1_3;
  ConnPolicy conn = ConnPolicy::keepalive;
  Placement placement = Placement::inproc;
  std::optional<UpstreamPolicy> upstream{};  // the relays' policy; none for a chain without relays
  std::chrono::nanoseconds rtt{0};         // the links' round-trip time, where a link sets none
  KeyType key = KeyType::ecdsa_p256;       // the TLS links' key type, where a link sets none
  std::optional<TlsGroup> group{};         // the TLS links' only group (none: the default list)
  ResumeBy resume = ResumeBy::ticket;      // TLS 1.2: how links resume (TLS 1.3: tickets)
  bool upstream_resume = true;             // relays resume their upstream sessions, where a link sets nothing
  std::string relay = "hopcost";           // the relays' implementation, or a preset ("article"), where a link sets none
  std::optional<double> rate{};            // open loop: requests per second over all connections; none: closed loop
  std::optional<DbTail> db{};              // the origin is an app that queries a database (none: it answers alone)

  int hops() const { return static_cast<int>(links.size()); }
  std::string label() const;  // "tls-everywhere 5 hops TLS 1.3 new inproc", as VariantKey::label()
};

enum class ValueType { list, number, integer, text, boolean };

struct ScenarioKey {
  std::string_view key;  // in TOML; the flag is --key with '_' written '-'
  ValueType type;
  std::string_view metavar;  // the value's name in --help
  std::string_view help;
};

std::span<const ScenarioKey> scenario_keys();
std::string flag_name(std::string_view key);  // "request_bytes" -> "--request-bytes"

// Sets `key` from its values: one per occurrence of a flag, or per element of a TOML
// array; list keys also split each value at commas. Throws ConfigError with a message
// naming the accepted values (but not where the value came from: the caller adds that).
void set_scenario_value(Scenario& scenario, std::string_view key, const std::vector<std::string>& values);

// The default scenario, overlaid with the file's keys; `name` defaults to the file's stem.
// Throws ConfigError naming the file, line and key.
Scenario load_scenario_file(const std::string& path);

// Every key with its value, in table order (the report's "configuration").
nlohmann::ordered_json scenario_to_json(const Scenario& scenario);
// A key's value as it would be written on the command line.
std::string scenario_value_text(const Scenario& scenario, std::string_view key);

// The matrix, in report order: placement, then TLS version, then connection policy, then
// upstream policy, then round-trip time, then the open loop's rate, then key, group, (TLS 1.2) resumption and the
// relays' upstream resumption, then the relays' implementation, then the database tail (--db, its links, its policy), then hops, then topology. 0rtt is TLS 1.3's: TLS 1.2 variants leave it out (an error when
// the run has no TLS 1.3), and TLS 1.3 variants resume by tickets whatever --resume says. An explicit chain has
// its own length, so it appears once per TLS version and connection policy, whatever the
// hops list says; a chain without relays appears once, whatever the upstream list says.
// Throws ConfigError for a matrix that asks for something no variant can have
// (--upstream pool with no relay in any chain).
std::vector<Variant> expand(const Scenario& scenario);

}  // namespace hopcost
