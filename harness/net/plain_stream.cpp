// Plaintext links (tcp, uds): bytes straight to the socket.
#include <array>

#include "net/streams.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

class PlainStream final : public Stream {
 public:
  PlainStream(Socket socket, TlsSide side, NodeStats& stats) : socket_(std::move(socket)), side_(side), stats_(stats) {
    socket_.non_blocking(true);  // see read_some
  }

  asio::awaitable<error_code> handshake() override { co_return error_code{}; }

  // A non-blocking read first, and a wait for readiness only when the socket has
  // nothing: the system calls of async_read_some (which also tries first), but `into`
  // is written only in the resumption that returns, never while suspended, so callers
  // may pass a buffer shared by the thread's connections (MessageBuffer does). A read
  // that finds data also returns without a trip through the scheduler.
  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    while (true) {
      error_code ec;
      const size_t n = socket_.read_some(asio::buffer(into.data(), into.size()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        auto [wec] = co_await socket_.async_wait(Socket::wait_read, nothrow);
        if (wec) co_return std::tuple{wec, size_t{0}};
        continue;
      }
      count(n);
      co_return std::tuple{ec, n};
    }
  }

  // Likewise a non-blocking write first, and a wait for room only when the socket took
  // less than everything: async_write's system calls, without the trip through the
  // scheduler when the socket takes the whole message at once (the usual case).
  asio::awaitable<error_code> write(std::span<const std::string_view> pieces) override {
    std::array<asio::const_buffer, kMaxPieces> buffers;
    HOPCOST_CHECK(pieces.size() <= buffers.size());
    size_t count_left = 0;
    for (auto p : pieces)
      if (!p.empty()) buffers[count_left++] = asio::buffer(p);
    std::span<asio::const_buffer> rest(buffers.data(), count_left);
    size_t written = 0;
    error_code ec;
    while (!rest.empty()) {
      size_t n = socket_.write_some(rest, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        auto [wec] = co_await socket_.async_wait(Socket::wait_write, nothrow);
        if ((ec = wec)) break;
        continue;
      }
      if (ec) break;
      written += n;
      while (!rest.empty() && n >= rest.front().size()) {
        n -= rest.front().size();
        rest = rest.subspan(1);
      }
      if (!rest.empty()) rest.front() += n;
    }
    count(written);
    co_return ec;
  }

  asio::awaitable<void> shutdown() override {
    error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    co_return;
  }

  void abort() override {
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  // Plaintext: what crosses the socket is the message itself.
  void count(size_t n) {
    stats_.add_wire(side_, n);
    stats_.add_app(side_, n);
  }

  static constexpr size_t kMaxPieces = 4;
  Socket socket_;
  TlsSide side_;
  NodeStats& stats_;
};

}  // namespace

std::unique_ptr<Stream> make_plain_stream(Socket socket, TlsSide side, NodeStats& stats) {
  return std::make_unique<PlainStream>(std::move(socket), side, stats);
}

}  // namespace hopcost
