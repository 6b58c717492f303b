// Unix-domain stream sockets: the article's same-host hop, with no network stack.
#include <boost/asio/local/stream_protocol.hpp>
#include <fmt/format.h>

#include "net/transport.hpp"
#include "util/errors.hpp"

namespace hopcost {

Acceptor listen_uds(const asio::any_io_executor& ex, const Endpoint& endpoint) {
  error_code ec;
  asio::local::stream_protocol::acceptor uds(ex);
  const asio::local::stream_protocol::endpoint where(endpoint.path);
  uds.open(where.protocol(), ec);
  if (!ec) uds.bind(where, ec);
  if (!ec) uds.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) {
    return Acceptor(ex, asio::generic::stream_protocol(AF_UNIX, 0), uds.release());
  }
  throw RunError(fmt::format("cannot listen on {}: {}", endpoint.to_string(), ec.message()));
}

asio::awaitable<std::tuple<error_code, Socket>> connect_uds(const Endpoint& endpoint, Socket** connecting) {
  Socket socket(co_await asio::this_coro::executor);
  error_code ec;
  socket.open(asio::generic::stream_protocol(AF_UNIX, 0), ec);
  if (!ec) {
    const asio::local::stream_protocol::endpoint where(endpoint.path);
    if (connecting) *connecting = &socket;
    std::tie(ec) = co_await socket.async_connect(asio::generic::stream_protocol::endpoint(where), nothrow);
    if (connecting) *connecting = nullptr;
  }
  co_return std::tuple{ec, std::move(socket)};
}

}  // namespace hopcost
