// One connection as the nodes and the driver see it, whatever the link kind: the small
// interface every link kind implements (plain_stream.cpp, tls_stream.cpp). Failures are
// returned as error codes, never thrown.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "net/asio.hpp"
#include "net/stats_sink.hpp"

namespace hopcost {

class Stream {
 public:
  virtual ~Stream() = default;

  // TLS: runs the handshake (the side was fixed at construction), counts it and its
  // thread CPU in the node's stats. Plaintext: completes at once. A server whose peer
  // closes before sending a byte returns kClosedBeforeHandshake: no handshake was tried
  // (a TCP health check, such as `hopcost hop`'s probe of its upstream), none failed.
  virtual asio::awaitable<error_code> handshake() = 0;
  static inline const error_code kClosedBeforeHandshake = asio::error::not_connected;

  // Reads at least one byte. End of stream is asio::error::eof.
  virtual asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) = 0;

  // Writes every byte of every piece, in order.
  virtual asio::awaitable<error_code> write(std::span<const std::string_view> pieces) = 0;

  // Orderly end: TLS sends close_notify (without waiting for the peer's), then the
  // socket is shut down and closed. Errors are ignored: the exchange is over.
  virtual asio::awaitable<void> shutdown() = 0;

  // Closes at once; pending operations complete with an error. Used by timeouts.
  virtual void abort() = 0;

  // What the TLS handshake negotiated; empty for plaintext.
  virtual std::optional<Negotiated> negotiated() const { return std::nullopt; }
};

}  // namespace hopcost
