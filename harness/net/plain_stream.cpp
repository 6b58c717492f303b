// Plaintext links (tcp, uds): bytes straight to the byte pipe (byte_pipe.hpp).
#include <algorithm>
#include <array>
#include <cstring>

#include <boost/asio/post.hpp>

#include "net/streams.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

class PlainStream final : public Stream {
 public:
  PlainStream(std::unique_ptr<BytePipe> pipe, TlsSide side, StatsSink& stats)
      : pipe_(std::move(pipe)), side_(side), stats_(stats) {}

  asio::awaitable<error_code> handshake() override { co_return error_code{}; }

  // `into` is written only in the resumption that returns, never while suspended, so
  // callers may pass a buffer shared by the thread's connections (MessageBuffer does),
  // and the system calls are those of Asio's own reads: when the socket is expected to be
  // drained (the last read returned less than it asked for), Asio reads into this
  // stream's small wait buffer, copied into `into`; when more is expected, a synchronous
  // non-blocking read goes straight into `into`, without a trip through the scheduler.
  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    if (more_) {
      error_code ec;
      const size_t n = pipe_->try_read(into, ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) {
        more_ = !ec && n == into.size();
        count(n);
        co_return std::tuple{ec, n};
      }
    }
    if (wrote_) {
      // Right after a write, the peer's answer cannot be here yet: let the thread's other
      // ready work run first (a post, no system call) rather than find the socket empty
      // (a failed read) and wait.
      wrote_ = false;
      co_await asio::post(pipe_->get_executor(), asio::use_awaitable);
    }
    const size_t want = std::min(into.size(), kWaitChunk);
    auto [ec, n] = co_await pipe_->read_some(std::span<char>(wait_, want));
    std::memcpy(into.data(), wait_, n);
    more_ = !ec && n == want;
    count(n);
    co_return std::tuple{ec, n};
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
    wrote_ = true;
    more_ = false;
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
  static constexpr size_t kWaitChunk = 2 * 1024;  // one small message
  std::unique_ptr<BytePipe> pipe_;
  TlsSide side_;
  StatsSink& stats_;
  bool more_ = false;      // the last read filled its buffer: more may be waiting
  bool wrote_ = false;     // the last operation was a write
  char wait_[kWaitChunk];  // what Asio reads into (see read_some)
};

}  // namespace

std::unique_ptr<Stream> make_plain_stream(std::unique_ptr<BytePipe> pipe, TlsSide side, StatsSink& stats) {
  return std::make_unique<PlainStream>(std::move(pipe), side, stats);
}

}  // namespace hopcost
