#include "net/link.hpp"

#include "net/streams.hpp"
#include "net/transport.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {
std::unique_ptr<Stream> wrap(Socket socket, const LinkEnds& link, TlsSide side, NodeStats& stats) {
  if (!traits(link.kind).tls) return make_plain_stream(std::move(socket), side, stats);
  SSL_CTX* ctx = side == TlsSide::server ? link.server_ctx : link.client_ctx;
  HOPCOST_CHECK(ctx != nullptr);
  return make_tls_stream(std::move(socket), ctx, side, link.server_name, stats);
}
}  // namespace

asio::awaitable<std::tuple<error_code, std::unique_ptr<Stream>>> connect_end(const LinkEnds& link,
                                                                             NodeStats& stats) {
  auto [ec, socket] = co_await connect_to(link.endpoint);
  if (ec) co_return std::tuple{ec, std::unique_ptr<Stream>{}};
  co_return std::tuple{ec, wrap(std::move(socket), link, TlsSide::client, stats)};
}

std::unique_ptr<Stream> accepted_end(Socket socket, const LinkEnds& link, NodeStats& stats) {
  tune_accepted(socket, link.endpoint.transport);
  return wrap(std::move(socket), link, TlsSide::server, stats);
}

}  // namespace hopcost
