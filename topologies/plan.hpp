// The chain plan (DESIGN.md, "Words"): the typed description of one chain, a LinkSpec per
// link and a NodeSpec per node, made by one pure function from a variant. Every placement
// (and, later, every launcher of a real program) consumes it; nothing downstream reads the
// variant or the scenario again. The plan knows nothing of placement. Plain data.
#pragma once

#include "topologies/db_tail.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/link_kind.hpp"
#include "node/guard.hpp"
#include "node/snapshot.hpp"
#include "node/upstream_policy.hpp"
#include "report/variant_key.hpp"
#include "topologies/implementation.hpp"
#include "scenario/scenario.hpp"
#include "tls/group.hpp"
#include "tls/key_type.hpp"
#include "tls/resumption.hpp"
#include "tls/version.hpp"

namespace hopcost {

// What a link is made of: its kind, its TLS settings (TLS kinds), its network.
struct LinkSpec {
  LinkKind kind = LinkKind::tcp;
  TlsVersion tls = TlsVersion::v1_3;
  bool tickets = true;                 // its server end issues session tickets
  std::chrono::nanoseconds rtt{0};     // emulated round-trip time (0: none)
  KeyType key = KeyType::ecdsa_p256;   // its server end's certificate key (and its client's, with mtls)
  std::optional<TlsGroup> group{};     // the only key-exchange group (none: X25519, then P-256)
  bool mtls = false;                   // its client end presents a certificate, verified by the server end
  int chain_depth = 0;                 // intermediate CAs between the root and each leaf
  bool expired = false;                // its server's certificate expired (--expired-cert: a fault)
  bool resume = false;                 // its client end offers its last session (--conn resume, --upstream-resume)
  ResumeBy resume_by = ResumeBy::ticket;  // TLS 1.2: tickets, or session IDs from the server's cache
  bool early_data = false;             // 0-RTT: its client sends the request as early data, its server accepts
  bool operator==(const LinkSpec&) const = default;
};


// One node of the chain. Node i is the server end of link i and, for a relay, the
// client end of link i + 1.
struct NodeSpec {
  std::string name;  // relay1 …, origin
  Role role = Role::relay;
  Implementation implementation = Implementation::hopcost;  // relays: --relay, or node= on their link
  UpstreamPolicy upstream = UpstreamPolicy::one_to_one;  // relays: how they reuse link i + 1
  std::optional<int> cpu;          // the CPU it is pinned to (none: the OS places it)
  uint64_t response_bytes = 1024;  // the origin's response body
  // Real programs only (docs/real-programs.md): processes or threads (--relay-workers),
  // Varnish's cache hits allowed (--varnish-cache on), and a user's own configuration
  // template (--relay-config NODE=FILE; HAProxy and Nginx; empty: generated).
  int workers = 1;
  bool cache_hits = false;
  std::string user_config{};
  bool operator==(const NodeSpec&) const = default;
};

struct ChainPlan {
  std::vector<LinkSpec> links;  // client first
  std::vector<NodeSpec> nodes;  // chain order, one per link
  std::optional<int> client_cpu;  // the load driver's CPU
  // The database tail (--db): the origin is then the app, querying it for each request,
  // every database operation bounded by db_timeout (--timeout).
  std::optional<DbTail> db{};
  std::chrono::nanoseconds db_timeout{std::chrono::seconds(5)};
  // Every hopcost node's timeouts (--head-timeout, --idle-timeout; the rest defaults); no
  // cap on connections inside a run.
  NodeLimits limits{};
  int hops() const { return static_cast<int>(links.size()); }
  bool operator==(const ChainPlan&) const = default;
};

// Pure: the plan of `variant` under `scenario` (its TLS settings, network, relays'
// policy, CPU policy, response size).
ChainPlan make_plan(const Variant& variant, const Scenario& scenario);

// A plan for tests and standalone use: these links, all on one TLS version, 1:1 relays,
// no delay, no pinning.
ChainPlan simple_plan(const std::vector<LinkKind>& links, TlsVersion tls = TlsVersion::v1_3,
                      uint64_t response_bytes = 1024);

// Pure: the variant's identity, from its topology's name and its plan.
VariantKey variant_key(const Variant& variant, const ChainPlan& plan);

}  // namespace hopcost
