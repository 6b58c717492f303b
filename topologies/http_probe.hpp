// One real HTTP/1.1 request to a listening address, TLS verified: how a launcher knows that
// a real program is ready (it answers), with no sleep. Blocking sockets under poll with a
// deadline, BoringSSL directly: no Asio, no node statistics, nothing of a run.
#pragma once

#include <chrono>
#include <string>

#include "net/endpoint.hpp"

namespace hopcost {

struct ProbeTarget {
  Endpoint endpoint{};
  bool tls = false;
  std::string ca{};           // TLS: the CA the server's chain is verified against
  std::string server_name{};  // TLS: the name verified and sent as SNI
  std::string client_cert{};  // TLS with mutual TLS: the identity presented (PEM)
  std::string client_key{};
  std::string request_id_header{};  // sent with the request id given to probe_http, if not empty
};

struct ProbeResult {
  bool connected = false;  // the connection, and its TLS handshake, succeeded
  bool answered = false;  // a complete response head came back
  // Connected, then the program closed the connection before the deadline without a
  // byte of response: a layer-4 program (stunnel) does that when its upstream fails.
  bool closed_unanswered = false;
  int status = 0;         // its status code
  std::string error{};    // why not, when not: "connect: Connection refused", "TLS: certificate verify failed" …
};

// GET / with `Connection: close`; reads the response to its end (or to the deadline once
// the head has come), so that the program has logged the request when this returns.
// The server's chain is verified against `ca` and `server_name`, but not its validity
// dates: the probe asks whether the program is up with the run's certificate, and a
// certificate expired on purpose (`--expired-cert`) is the run's fault to count, at the
// run's client, not a reason for the node never to be ready.
ProbeResult probe_http(const ProbeTarget& target, const std::string& request_id, std::chrono::milliseconds timeout);

}  // namespace hopcost
