// Byte transports under the streams: loopback TCP (tcp_transport.cpp) and Unix sockets
// (uds_transport.cpp), both as Asio generic stream sockets.
#pragma once

#include "net/asio.hpp"
#include "net/endpoint.hpp"

namespace hopcost {

// Binds and listens on `endpoint`; a TCP port of 0 is replaced by the port bound.
// Throws RunError naming the endpoint when it cannot.
Acceptor listen_on(const asio::any_io_executor& ex, Endpoint& endpoint);

// Connects a new socket to `endpoint` (TCP_NODELAY set for TCP). `connecting` (optional)
// points at the socket while its connect is pending, and is null otherwise: closing it
// then ends the connect with operation_aborted (a node's connect timeout, node/watch.hpp).
asio::awaitable<std::tuple<error_code, Socket>> connect_to(const Endpoint& endpoint, Socket** connecting = nullptr);

// Per-transport socket options for an accepted socket (TCP_NODELAY for TCP).
void tune_accepted(Socket& socket, Transport transport);

// Per transport, behind the two functions above.
Acceptor listen_tcp(const asio::any_io_executor& ex, Endpoint& endpoint);
asio::awaitable<std::tuple<error_code, Socket>> connect_tcp(const Endpoint& endpoint, Socket** connecting);
Acceptor listen_uds(const asio::any_io_executor& ex, const Endpoint& endpoint);
asio::awaitable<std::tuple<error_code, Socket>> connect_uds(const Endpoint& endpoint, Socket** connecting);
void set_tcp_nodelay(Socket& socket);

}  // namespace hopcost
