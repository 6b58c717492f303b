// Loopback TCP. TCP_NODELAY is set on every socket, both ends: without it, Nagle's
// algorithm and delayed ACKs add ~40 ms to a request/response exchange (FLOORS.md).
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>

#include "net/transport.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {
asio::ip::tcp::endpoint tcp_endpoint(const Endpoint& e) {
  return {asio::ip::make_address(e.host), e.port};
}
}  // namespace

void set_tcp_nodelay(Socket& socket) {
  const int one = 1;
  HOPCOST_CHECK(::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
}

Acceptor listen_tcp(const asio::any_io_executor& ex, Endpoint& endpoint) {
  error_code ec;
  asio::ip::tcp::acceptor tcp(ex);
  const auto where = tcp_endpoint(endpoint);
  tcp.open(where.protocol(), ec);
  if (!ec) tcp.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) tcp.bind(where, ec);
  if (!ec) tcp.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) {
    endpoint.port = tcp.local_endpoint().port();
    const auto protocol = asio::generic::stream_protocol(where.protocol().family(), IPPROTO_TCP);
    return Acceptor(ex, protocol, tcp.release());
  }
  throw RunError(fmt::format("cannot listen on {}: {}", endpoint.to_string(), ec.message()));
}

asio::awaitable<std::tuple<error_code, Socket>> connect_tcp(const Endpoint& endpoint, Socket** connecting) {
  const auto where = tcp_endpoint(endpoint);
  Socket socket(co_await asio::this_coro::executor);
  error_code ec;
  socket.open(asio::generic::stream_protocol(where.protocol().family(), IPPROTO_TCP), ec);
  if (!ec) {
    if (connecting) *connecting = &socket;
    std::tie(ec) = co_await socket.async_connect(asio::generic::stream_protocol::endpoint(where), nothrow);
    if (connecting) *connecting = nullptr;
  }
  if (!ec) set_tcp_nodelay(socket);
  co_return std::tuple{ec, std::move(socket)};
}

}  // namespace hopcost
