// A variant's identity (DESIGN.md, "The flow"): one type, made from the chain plan, with
// one label and one JSON form that the console, report.json, report.csv, report.html, the gate and
// compare all share. Plain data.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hopcost {

struct VariantKey {
  std::string topology;   // preset name, or the explicit list as written
  int hops = 0;
  std::string tls;        // as asked: "1.2", "1.3"
  std::string conn;       // "new", "keepalive"
  std::string placement = "inproc";
  std::optional<std::string> upstream;  // the relays' upstream policy, "1:1" or "pool"; none without relays
  std::optional<double> rtt_us;         // the round-trip time every link has; none when links differ
  std::vector<double> link_rtt_us;      // each link's round-trip time, client first
  // The --rtt value of the variant: the round-trip time of every link that sets none of
  // its own. Variants that differ only in topology and hops are compared at the same one.
  double chain_rtt_us = 0;
  // TLS settings of the TLS links (none without TLS links; "mixed" where links differ):
  std::optional<std::string> key;    // certificate key type: "ecdsa-p256", "rsa-2048" …
  std::optional<std::string> group;  // the only group offered ("x25519", "cecpq2" …); none: the default list
  std::optional<std::string> mtls;   // "on", "off", "mixed"
  int chain_depth = 0;               // intermediate CAs per certificate
  // TLS 1.2 variants with TLS links: how links resume, "ticket" or "id" (TLS 1.3: tickets).
  std::optional<std::string> resume{};
  // Whether relays resume their upstream TLS sessions: "on", "off", "mixed"; none
  // without a TLS link whose client end is a relay.
  std::optional<std::string> upstream_resume{};
  // The relays' implementations (issue #11): "hopcost", "haproxy" …, a preset ("article"),
  // or their list in chain order ("haproxy,hopcost"); none without relays.
  std::optional<std::string> relay{};
  // The open loop's offered rate, requests per second over all connections (--rate);
  // none: a closed loop. Variants of different rates are different variants.
  std::optional<double> rate{};
  // The database tail (--db; docs/database.md): none without one. Its mode ("pgbouncer",
  // "direct"), the app's link ("tls", "tcp", "uds"), PgBouncer's link to PostgreSQL (none
  // with "direct") and the app's connection policy ("per-request", "pooled").
  struct Db {
    std::string mode, link;
    std::optional<std::string> server_link;
    std::string policy;
    bool operator==(const Db&) const = default;
  };
  std::optional<Db> db{};

  bool operator==(const VariantKey&) const = default;

  // "tls-everywhere 5 hops TLS 1.3 new inproc", then " pool" for pooling relays, the
  // TLS setup, " resume id", " upstream-resume off", " rtt 1000 µs" for an emulated
  // network, " (link 3: 0 µs)" for a link with its own, and " rate 1000/s" in the open
  // loop.
  std::string label() const;
  // The label's parts, in its order, each with the dimension it names ("topology",
  // "hops", "tls", "conn", "placement", "relay", "upstream", "setup", "resume",
  // "upstream_resume", "rtt", "link_rtt", "rate"); a dimension at its default has none.
  // Plots name variants by the parts that differ (report/html.cpp).
  struct Part {
    std::string dimension, text;
  };
  std::vector<Part> parts() const;
  // The TLS settings other than the defaults, as the label writes them: "rsa-2048 group
  // cecpq2 mtls chain 2"; empty for ECDSA P-256, the default groups, no mTLS, depth 0.
  std::string tls_setup() const;
  // Its TLS configuration as the handshake floors name it: "1.3 rsa-2048 group cecpq2"
  // (full handshakes; the default configuration's full floors are the fixed
  // handshake_tls12/13_cpu_us). Resumed: "1.3 resumed", "1.2 rsa-2048 resumed id".
  std::string tls_configuration() const { return tls + " " + tls_setup(); }
  std::string resumed_configuration() const;
  // The same key, another topology (the gate's ratios pair variants that differ in it).
  VariantKey with_topology(std::string other) const;
};

// Writes the key's fields into a variant's JSON object: topology, hops, tls, conn,
// placement, upstream (null without relays), rtt_us (null when links differ), link_rtt_us,
// chain_rtt_us, key, group, mtls, chain_depth, resume, upstream_resume, relay, rate (null
// in a closed loop), db ({mode, link, server_link, policy}; null without a database).
void write_key(nlohmann::ordered_json& variant, const VariantKey& key);
// Reads them back. Reports older than `upstream` and `rtt_us` had neither: their relays
// were 1:1 and their links had no delay; reports older than `upstream_resume` had relays
// that never resumed ("off"), and TLS 1.2 resumed by tickets; reports older than `rate`
// give the open loop's rate as `requested_rps` (null or absent: a closed loop). Throws nlohmann::json::exception when a field
// is missing or mistyped.
VariantKey read_key(const nlohmann::json& variant);

}  // namespace hopcost
