#include "net/transport.hpp"

namespace hopcost {

Acceptor listen_on(const asio::any_io_executor& ex, Endpoint& endpoint) {
  return endpoint.transport == Transport::tcp ? listen_tcp(ex, endpoint) : listen_uds(ex, endpoint);
}

asio::awaitable<std::tuple<error_code, Socket>> connect_to(const Endpoint& endpoint, Socket** connecting) {
  if (endpoint.transport == Transport::tcp) co_return co_await connect_tcp(endpoint, connecting);
  co_return co_await connect_uds(endpoint, connecting);
}

void tune_accepted(Socket& socket, Transport transport) {
  if (transport == Transport::tcp) set_tcp_nodelay(socket);
}

}  // namespace hopcost
