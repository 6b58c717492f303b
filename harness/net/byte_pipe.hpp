// The byte layer under the streams (DESIGN.md, "Layers of a link"): what a stream needs
// from a connection, so that something can slide in below TLS without touching TLS.
// Implementations: a socket (socket_pipe.cpp) and a socket behind a delay line
// (delayed_pipe.cpp). link.cpp picks one per link end.
//
// The calls are the streams' own system-call pattern, split at its seams: synchronous
// non-blocking reads and writes, and waits for readiness or room only when the pipe had
// nothing or took less than everything (or Asio's own read, which tries first, into a
// buffer that must outlive the wait).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <tuple>

#include "net/asio.hpp"

namespace hopcost {

class BytePipe {
 public:
  virtual ~BytePipe() = default;

  // The executor the connection's operations run on.
  virtual asio::any_io_executor get_executor() = 0;

  // Reads what is there now, without waiting: would_block (or try_again) when nothing is.
  virtual size_t try_read(std::span<char> into, error_code& ec) = 0;

  // Until there is something to read (or an error, or the end of stream).
  virtual asio::awaitable<std::tuple<error_code>> wait_readable() = 0;

  // Reads at least one byte, waiting for it. `into` must stay valid until it completes.
  // End of stream is asio::error::eof.
  virtual asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) = 0;

  // Writes what the pipe takes now, without waiting: would_block when it takes nothing.
  // What it took is the pipe's: the caller may reuse its buffers at once.
  virtual size_t try_write(std::span<const asio::const_buffer> buffers, error_code& ec) = 0;

  // Until try_write can take something again.
  virtual asio::awaitable<std::tuple<error_code>> wait_writable() = 0;

  // TCP_QUICKACK: ACK what was received at once (a no-op on a Unix socket).
  virtual void quickack() = 0;

  // Orderly end: what was written is still delivered, then the end of stream, and the
  // connection is closed. Errors are ignored: the exchange is over.
  virtual void shutdown() = 0;

  // At once: what is not yet delivered is dropped; pending operations complete with an
  // error.
  virtual void close() = 0;
};

// Writes as much of `rest` as the pipe takes now, advancing `rest` and `written`. True
// when it is done (everything written, or `ec` set); false when the pipe is full: wait
// for wait_writable() and call again. Not a coroutine: a write that the pipe takes at
// once (the usual case) costs no trip through the scheduler.
inline bool write_now(BytePipe& pipe, std::span<asio::const_buffer>& rest, size_t& written, error_code& ec) {
  while (!rest.empty()) {
    size_t n = pipe.try_write(rest, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return false;
    }
    if (ec) return true;
    written += n;
    while (!rest.empty() && n >= rest.front().size()) {
      n -= rest.front().size();
      rest = rest.subspan(1);
    }
    if (!rest.empty()) rest.front() += n;
  }
  return true;
}

// A connected socket (non-blocking from now on), as a pipe.
std::unique_ptr<BytePipe> make_socket_pipe(Socket socket);

// A connected socket whose writes are delivered through a delay line (delay_line.hpp)
// emulating a network with round-trip time `rtt` (> 0). `connecting`: this end opened the
// connection, so its first bytes also wait for the emulated TCP handshake. `alone`: the
// peer has no delay line (a real program): this end carries the whole round trip.
std::unique_ptr<BytePipe> make_delayed_pipe(Socket socket, std::chrono::nanoseconds rtt, bool connecting,
                                            bool alone = false);

}  // namespace hopcost
