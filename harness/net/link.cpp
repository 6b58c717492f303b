#include "net/link.hpp"

#include "net/byte_pipe.hpp"
#include "net/streams.hpp"
#include "net/transport.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {
// The one place a link end is built: the byte pipe for the link's network (a delay line
// only with a round-trip time: rtt 0 is the socket itself, with no queue and no timer),
// then the stream for its kind on the pipe.
std::unique_ptr<Stream> wrap(Socket socket, const LinkEnds& link, TlsSide side, StatsSink& stats) {
  std::unique_ptr<BytePipe> pipe = link.rtt > std::chrono::nanoseconds::zero()
                                       ? make_delayed_pipe(std::move(socket), link.rtt, side == TlsSide::client,
                                                           side == TlsSide::client ? link.real_server : link.real_client)
                                       : make_socket_pipe(std::move(socket));
  if (!traits(link.kind).tls) return make_plain_stream(std::move(pipe), side, stats);
  SSL_CTX* ctx = side == TlsSide::server ? link.server_ctx : link.client_ctx;
  HOPCOST_CHECK(ctx != nullptr);
  return make_tls_stream(std::move(pipe), ctx, side, link.server_name, stats);
}
}  // namespace

asio::awaitable<std::tuple<error_code, std::unique_ptr<Stream>>> connect_end(const LinkEnds& link, StatsSink& stats,
                                                                             Socket** connecting) {
  auto [ec, socket] = co_await connect_to(link.endpoint, connecting);
  if (ec) co_return std::tuple{ec, std::unique_ptr<Stream>{}};
  std::unique_ptr<Stream> stream = wrap(std::move(socket), link, TlsSide::client, stats);
  co_return std::tuple{ec, std::move(stream)};
}

std::unique_ptr<Stream> accepted_end(Socket socket, const LinkEnds& link, StatsSink& stats) {
  tune_accepted(socket, link.endpoint.transport);
  return wrap(std::move(socket), link, TlsSide::server, stats);
}

}  // namespace hopcost
