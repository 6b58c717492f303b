// One link of a chain, as both of its ends need it: where the server end listens and,
// for TLS, the listening node's identity and the connecting node's trust. The topology
// builder fills these in; nodes and the driver only open and accept ends.
#pragma once

#include <openssl/base.h>

#include <chrono>
#include <memory>
#include <string>

#include "net/endpoint.hpp"
#include "net/link_kind.hpp"
#include "net/stream.hpp"

namespace hopcost {

struct LinkEnds {
  LinkKind kind = LinkKind::tcp;
  Endpoint endpoint;              // where the server end listens
  SSL_CTX* server_ctx = nullptr;  // TLS kinds: the listening node's certificate and key
  SSL_CTX* client_ctx = nullptr;  // TLS kinds: what the connecting node trusts
  std::string server_name;        // TLS kinds: the name the connecting node verifies
  // The emulated network's round-trip time (DESIGN.md, "Layers of a link"): each end
  // delivers what it writes rtt/2 later, and a new connection's first bytes from the
  // connecting end one rtt later still. 0: no delay line at all.
  std::chrono::nanoseconds rtt{0};
  // The end that is a real program (topologies/real_node.hpp) has no delay line: the
  // other end, hopcost's, then carries the whole rtt (net/delay_line.hpp).
  bool real_client = false, real_server = false;
};

// The connecting end: a new transport connection, wrapped for the link's kind. The
// caller runs handshake() next (so that connect and handshake can be told apart).
// `connecting`: as for connect_to (net/transport.hpp).
asio::awaitable<std::tuple<error_code, std::unique_ptr<Stream>>> connect_end(const LinkEnds& link, StatsSink& stats,
                                                                             Socket** connecting = nullptr);

// The listening end, for a socket just accepted.
std::unique_ptr<Stream> accepted_end(Socket socket, const LinkEnds& link, StatsSink& stats);

}  // namespace hopcost
