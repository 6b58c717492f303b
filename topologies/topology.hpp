// The link-list grammar: a topology is either a preset, expanded for a number of hops,
// or an explicit list of link kinds, client first (DESIGN.md, "Words").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chrono>

#include "net/link_kind.hpp"
#include "node/upstream_policy.hpp"
#include "tls/key_type.hpp"
#include "topologies/implementation.hpp"

namespace hopcost {

inline constexpr int kMinHops = 1;
inline constexpr int kMaxHops = 32;

enum class Preset { tls_everywhere, terminate_once, unix_socket, mesh };

// The mesh preset (the sidecar model of Istio and Linkerd) for N services: every
// service's traffic enters and leaves through its own sidecar; sidecar to sidecar is
// mutual TLS over pooled, kept-alive connections; sidecar to service is plaintext
// loopback (rtt 0). Client -tls-> sidecar1 -tcp-> service1 -tcp-> sidecar1-out
// -tls,mtls,pool-> sidecar2 -tcp-> service2 … -> serviceN: 3N - 1 links.
inline constexpr int kMaxMeshServices = (kMaxHops + 1) / 3;
int mesh_links(int services);
// The nodes' names of a mesh of `links` links, chain order: sidecar1, service1,
// sidecar1-out, sidecar2, …, serviceN.
std::vector<std::string> mesh_node_names(int links);

// Settings written on one link of an explicit list, after its kind: `tcp/rtt=1ms`,
// `tls/rtt=200us/upstream=pool`. Each overrides the chain-wide flag for that link.
struct LinkOverride {
  std::optional<std::chrono::nanoseconds> rtt;  // rtt=TIME: the link's round-trip time
  std::optional<UpstreamPolicy> upstream;       // upstream=1:1|pool: how its client end (a relay) reuses it
  std::optional<KeyType> key;                   // key=ecdsa-p256|…: its server's (and client's) key type
  std::optional<bool> mtls;                     // mtls=on|off: mutual TLS on this link
  std::optional<bool> resume;                   // resume=on|off: its client end (a relay) resumes sessions
  std::optional<Implementation> node;           // node=haproxy|…: the program that listens on it (a relay)
  bool operator==(const LinkOverride&) const = default;
};

struct Topology {
  std::optional<Preset> preset;         // set for presets
  std::vector<LinkKind> links;          // set for explicit lists
  std::vector<LinkOverride> overrides{};  // explicit lists: one per link (empty for presets)

  // "tls-everywhere", or the explicit list in its canonical form: "tls/rtt=1ms,tcp,uds".
  std::string name() const;
  // The chain's links for `hops` (presets); an explicit list has its own length.
  std::vector<LinkKind> links_for(int hops) const;
  // The per-link settings for `hops` links: none for presets.
  std::vector<LinkOverride> overrides_for(int hops) const;
  bool is_explicit() const { return !preset.has_value(); }
  bool operator==(const Topology&) const = default;
};

std::string_view to_string(Preset preset);

// Parses one --topology value. Items are separated by commas; each preset stands alone,
// and each maximal run of link kinds forms one explicit chain:
//   "tls-everywhere,terminate-once"  -> two presets
//   "tls,tcp,tcp,uds,tcp"            -> one explicit 5-hop chain
//   "unix-socket,tls,tcp"            -> a preset and a 2-hop chain
//   "tls/rtt=1ms,tcp/rtt=200us/upstream=pool" -> a 2-hop chain with per-link settings
// Throws ConfigError naming the bad item, key or value and what is accepted.
std::vector<Topology> parse_topologies(std::string_view text);

std::string join_links(const std::vector<LinkKind>& links);

}  // namespace hopcost
