// Per-hop latency attribution (DESIGN.md, "What is measured, exactly"). Every node
// records, for each request id, its residence time: from the request head in to the
// response's last byte out. The client's "residence" is the request's end-to-end
// latency. For one request through client, node 1 … node N (the origin), hop i (the
// link into node i, with the work of the node before it) adds R(i-1) − R(i), and the
// origin's own time is R(N); these shares add up to R(0), the end-to-end latency,
// exactly, request by request.
//
// Percentiles of each hop's shares do not add up to the end-to-end percentile (medians
// of skewed parts do not add: a new connection's handshake makes them skewed). So the
// figure reported per hop at p50 is the hop's share *of the p50 request*: the mean
// share among the requests whose end-to-end latency lies at the 50th percentile (the
// band from the 47.5th to the 52.5th); at p99, the band from the 98.5th to the 99.5th
// (at least one request each). Those shares add up to the band's mean end-to-end
// latency, which is the percentile. The hop's own distribution (the percentiles of its
// shares) is kept beside it.
//
// A node may give no residence times (a real program whose log says nothing usable, a
// node process that died). Then R(k) is unknown: the two shares that need it, hop k
// (into the node) and hop k + 1 (out of it, or the origin's own time for the origin),
// are unknown too, with the reason, and their sum, R(k-1) − R(k+1), is kept as a joint
// share; every other hop keeps its own. Requests are paired across the nodes that do
// report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hopcost {

struct ResidenceSample {
  uint64_t request_id = 0;
  uint64_t ns = 0;
};

struct Percentiles {  // µs
  double p50 = 0, p99 = 0;
};

// What one node gave: its residence samples, or why it has none.
struct NodeResidence {
  std::vector<ResidenceSample> samples{};
  std::optional<std::string> unknown_reason{};  // set: the node records no residence times
  uint64_t resolution_ns = 1;  // what one unit of its samples is worth: 1 ms for HAProxy's and Nginx's logs
};

// A share that cannot be split: the sum of consecutive shares around silent nodes.
struct JointShare {
  size_t first_hop = 0, last_hop = 0;  // inclusive; last_hop == hops means the origin's own time too
  Percentiles added_us;                // their summed share of the p50 and p99 requests
};

struct Attribution {
  std::vector<Percentiles> added_us;      // per hop, client side first: its share of the p50 and p99 requests
  std::vector<Percentiles> added_own_us;  // per hop: the percentiles of its own shares
  Percentiles origin_us;                  // the origin's share of the p50 and p99 requests
  // Per hop: why its share is unknown (none: known). Unknown shares are 0 above.
  std::vector<std::optional<std::string>> unknown_reason;
  // Per hop: the coarser resolution of the two residence times it is the difference of (ns).
  std::vector<uint64_t> resolution_ns;
  std::optional<std::string> origin_unknown_reason;
  std::vector<JointShare> joint;          // the sums the unknown shares are known by
  uint64_t samples = 0;    // requests found at every reporting node (all measured ones, unless some were not recorded)
  uint64_t negative = 0;   // shares below zero (clock reads out of order), counted as 0
};

// `client`: the measured requests' end-to-end latencies. `nodes`: each node's residence,
// chain order (relays, then the origin); samples may hold other requests too (warm-up):
// only the client's ids are used.
Attribution attribute(const std::vector<ResidenceSample>& client, const std::vector<NodeResidence>& nodes);

// Residence samples as a binary file (little-endian pairs of 64-bit words), for nodes
// in other processes. Throws RunError naming the path.
void write_residence_file(const std::string& path, const std::vector<ResidenceSample>& samples);
std::vector<ResidenceSample> read_residence_file(const std::string& path);

}  // namespace hopcost
