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
#pragma once

#include <cstdint>
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

struct Attribution {
  std::vector<Percentiles> added_us;      // per hop, client side first: its share of the p50 and p99 requests
  std::vector<Percentiles> added_own_us;  // per hop: the percentiles of its own shares
  Percentiles origin_us;                  // the origin's share of the p50 and p99 requests
  uint64_t samples = 0;    // requests found at every node (all measured ones, unless some were not recorded)
  uint64_t negative = 0;   // shares below zero (clock reads out of order), counted as 0
};

// `client`: the measured requests' end-to-end latencies. `nodes`: each node's residence
// samples, chain order (relays, then the origin); they may hold other requests too
// (warm-up): only the client's ids are used.
Attribution attribute(const std::vector<ResidenceSample>& client,
                      const std::vector<std::vector<ResidenceSample>>& nodes);

// Residence samples as a binary file (little-endian pairs of 64-bit words), for nodes
// in other processes. Throws RunError naming the path.
void write_residence_file(const std::string& path, const std::vector<ResidenceSample>& samples);
std::vector<ResidenceSample> read_residence_file(const std::string& path);

}  // namespace hopcost
