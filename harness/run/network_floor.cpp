#include "run/network_floor.hpp"

#include "util/check.hpp"

namespace hopcost {

int round_trips(const ChainPlan& plan, ConnPolicy conn, size_t link) {
  HOPCOST_CHECK(link < plan.links.size());
  // Relay i (node i - 1) is the client end of link i. A 1:1 relay opens an upstream
  // connection per downstream one, so its link is fresh when the link before it is; Nginx
  // and Varnish at 1:1 open one per request (docs/real-programs.md), whatever came
  // before; a user's own configuration (--relay-config) is taken to reuse.
  bool fresh = connection_per_request(conn);
  for (size_t i = 1; i <= link; ++i) {
    const NodeSpec& relay = plan.nodes[i - 1];
    const bool per_request = relay.user_config.empty() && (relay.implementation == Implementation::nginx ||
                                                           relay.implementation == Implementation::varnish);
    fresh = relay.upstream == UpstreamPolicy::one_to_one && relay.user_config.empty() && (fresh || per_request);
  }
  const LinkSpec& l = plan.links[link];
  int trips = 1;  // the request
  if (fresh) {
    trips += 1;  // TCP connect
    // A full TLS 1.2 handshake takes two round trips before the request, TLS 1.3 and a
    // resumed TLS 1.2 handshake one, an accepted 0-RTT none (the request rides with the
    // ClientHello). Resumption is expected where the link's client offers sessions and
    // its server can resume them (tickets on).
    if (traits(l.kind).tls) {
      const bool resumed = l.resume && l.tickets;
      trips += l.early_data && resumed ? 0 : l.tls == TlsVersion::v1_2 && !resumed ? 2 : 1;
    }
  }
  return trips;
}

std::optional<double> network_floor_us(const ChainPlan& plan, ConnPolicy conn) {
  double total = 0;
  bool any = false;
  for (size_t i = 0; i < plan.links.size(); ++i) {
    const auto rtt = plan.links[i].rtt;
    if (rtt.count() == 0) continue;
    any = true;
    total += round_trips(plan, conn, i) * std::chrono::duration<double, std::micro>(rtt).count();
  }
  if (!any) return std::nullopt;
  return total;
}

}  // namespace hopcost
