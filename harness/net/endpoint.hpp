// Where a node listens: a loopback TCP address or a Unix-socket path. Plain data.
#pragma once

#include <cstdint>
#include <string>

#include "net/link_kind.hpp"

namespace hopcost {

struct Endpoint {
  Transport transport = Transport::tcp;
  std::string host = "127.0.0.1";  // tcp: always a loopback address
  uint16_t port = 0;               // tcp: 0 until bound ("pick one")
  std::string path;                // uds: the socket file

  std::string to_string() const {
    return transport == Transport::tcp ? host + ":" + std::to_string(port) : "unix:" + path;
  }
};

}  // namespace hopcost
