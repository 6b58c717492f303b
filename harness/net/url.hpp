// Node URLs, as standalone nodes take them (`hopcost origin --listen URL`):
//   tls://127.0.0.1:8443   tcp://127.0.0.1:8080   tls://[::1]:8443
//   unix:/path/sock        tls+unix:/path/sock
// Port 0 means "pick one". Plain data, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "net/endpoint.hpp"
#include "net/link_kind.hpp"

namespace hopcost {

struct NodeUrl {
  LinkKind kind = LinkKind::tcp;
  Endpoint endpoint;
};

// Throws ConfigError saying what is wrong and what is accepted.
NodeUrl parse_node_url(std::string_view text);
std::string to_url(LinkKind kind, const Endpoint& endpoint);

// 127.0.0.0/8, ::1, or "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace hopcost
