// Plaintext links (tcp, uds): bytes straight to the byte pipe (byte_pipe.hpp).
#include <array>

#include "net/streams.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

class PlainStream final : public Stream {
 public:
  PlainStream(std::unique_ptr<BytePipe> pipe, TlsSide side, StatsSink& stats)
      : pipe_(std::move(pipe)), side_(side), stats_(stats) {}

  asio::awaitable<error_code> handshake() override { co_return error_code{}; }

  // A non-blocking read first, and a wait for readiness only when the socket has
  // nothing: the system calls of async_read_some (which also tries first), but `into`
  // is written only in the resumption that returns, never while suspended, so callers
  // may pass a buffer shared by the thread's connections (MessageBuffer does). A read
  // that finds data also returns without a trip through the scheduler.
  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    while (true) {
      error_code ec;
      const size_t n = pipe_->try_read(into, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        auto [wec] = co_await pipe_->wait_readable();
        if (wec) co_return std::tuple{wec, size_t{0}};
        continue;
      }
      count(n);
      co_return std::tuple{ec, n};
    }
  }

  // Likewise a non-blocking write first, and a wait for room only when the pipe took
  // less than everything: async_write's system calls, without the trip through the
  // scheduler when the pipe takes the whole message at once (the usual case).
  asio::awaitable<error_code> write(std::span<const std::string_view> pieces) override {
    std::array<asio::const_buffer, kMaxPieces> buffers;
    HOPCOST_CHECK(pieces.size() <= buffers.size());
    size_t count_left = 0;
    for (auto p : pieces)
      if (!p.empty()) buffers[count_left++] = asio::buffer(p);
    std::span<asio::const_buffer> rest(buffers.data(), count_left);
    size_t written = 0;
    error_code ec;
    while (!write_now(*pipe_, rest, written, ec)) {
      auto [wec] = co_await pipe_->wait_writable();
      if ((ec = wec)) break;
    }
    count(written);
    co_return ec;
  }

  asio::awaitable<void> shutdown() override {
    pipe_->shutdown();
    co_return;
  }

  void abort() override { pipe_->close(); }

 private:
  // Plaintext: what crosses the socket is the message itself.
  void count(size_t n) {
    stats_.add_wire(side_, n);
    stats_.add_app(side_, n);
  }

  static constexpr size_t kMaxPieces = 4;
  std::unique_ptr<BytePipe> pipe_;
  TlsSide side_;
  StatsSink& stats_;
};

}  // namespace

std::unique_ptr<Stream> make_plain_stream(std::unique_ptr<BytePipe> pipe, TlsSide side, StatsSink& stats) {
  return std::make_unique<PlainStream>(std::move(pipe), side, stats);
}

}  // namespace hopcost
