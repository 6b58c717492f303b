// A socket behind a delay line: the emulated network of a link with a round-trip time.
//
// The delay is applied where bytes are sent: a write stamps a copy of its bytes with their
// due time (delay_line.hpp) and returns at once, and one writer coroutine per connection
// writes each chunk to the socket when it is due, in order. Reads are the socket's own:
// the peer's end delays the other direction. So a request and its response cost one rtt,
// pipelined writes keep their spacing, and TLS above sees only a slower network.
//
// Timing: the writer sleeps on a steady timer until the oldest chunk is due, then reads
// the clock again and sleeps again if it woke early: a chunk never leaves before its due
// time. Asio arms a timerfd (no timer slack) for it; how late a chunk leaves is
// measured by harness/bench/delay_line.cpp.
//
// Lifetime: the socket, the line and the writer's state are shared by the pipe and its
// writer coroutine. close() (or destroying the pipe without shutdown()) drops what is
// queued and closes the socket; the writer wakes with an error and ends. After
// shutdown(), queued bytes are still delivered, then the socket is shut down and closed,
// even if the pipe is destroyed first; a writer left alone that would have to wait for
// room in the socket closes it instead, so nothing outlives its exchange unbounded.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "net/byte_pipe.hpp"
#include "net/delay_line.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

using Clock = DelayLine::Clock;

// Writes wait for room once this much is queued and not yet delivered (a fast writer
// into a slow reader must not queue without bound).
constexpr size_t kMaxQueued = 1024 * 1024;

struct Sender {
  Sender(Socket s, std::chrono::nanoseconds rtt, std::optional<Clock::time_point> connected_at, bool alone)
      : socket(std::move(s)), due_timer(socket.get_executor()), room_timer(socket.get_executor()),
        line(rtt, connected_at, alone) {}

  Socket socket;
  asio::steady_timer due_timer;   // the writer: until the next chunk is due, or a push
  asio::steady_timer room_timer;  // a writer waiting for room in a full line
  DelayLine line;
  error_code error;                // the first write error: later writes return it
  bool idle = false;               // the writer waits for a push
  bool waiting_for_socket = false;  // the writer waits for room in the socket
  bool shutdown_requested = false;
  bool closed = false;
  bool detached = false;  // the pipe is gone: the writer finishes a shutdown alone

  void close_now() {
    if (closed) return;
    closed = true;
    line.clear();
    due_timer.cancel();
    room_timer.cancel();
    error_code ignored;
    socket.close(ignored);
  }

  void finish() {  // everything was delivered: the orderly end
    if (closed) return;
    error_code ignored;
    socket.shutdown(Socket::shutdown_both, ignored);
    close_now();
  }
};

// The writer, one per connection, for its whole life. `self` keeps the sender alive.
asio::awaitable<void> run_writer(std::shared_ptr<Sender> self) {
  Sender& s = *self;
  while (!s.closed) {
    if (s.line.empty()) {
      if (s.shutdown_requested) {
        s.finish();
        break;
      }
      s.idle = true;
      s.due_timer.expires_at(Clock::time_point::max());
      co_await s.due_timer.async_wait(nothrow);  // ended by a push, shutdown() or close()
      s.idle = false;
      continue;
    }
    const Clock::time_point now = Clock::now();
    if (now < s.line.next_due()) {
      s.due_timer.expires_at(s.line.next_due());
      co_await s.due_timer.async_wait(nothrow);
      continue;  // the clock is read again: never early
    }
    const std::string_view due = s.line.due_bytes(now);
    error_code ec;
    const size_t n = s.socket.write_some(asio::buffer(due.data(), due.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      if (s.detached) {
        s.close_now();
        break;
      }
      s.waiting_for_socket = true;
      auto [wec] = co_await s.socket.async_wait(Socket::wait_write, nothrow);
      s.waiting_for_socket = false;
      if (wec && !s.closed) {
        s.error = wec;
        s.line.clear();
        s.room_timer.cancel();
      }
      continue;
    }
    if (ec) {  // the peer is gone: what is queued cannot be delivered
      s.error = ec;
      s.line.clear();
      s.room_timer.cancel();
      if (s.detached || s.shutdown_requested) s.close_now();
      continue;
    }
    const bool was_full = s.line.queued_bytes() >= kMaxQueued;
    s.line.consume(n);
    if (was_full && s.line.queued_bytes() < kMaxQueued) s.room_timer.cancel();
  }
}

class DelayedPipe final : public BytePipe {
 public:
  DelayedPipe(Socket socket, std::chrono::nanoseconds rtt, bool connecting, bool alone) {
    socket.non_blocking(true);  // for the synchronous reads and writes
    std::optional<Clock::time_point> connected_at;
    if (connecting) connected_at = Clock::now();  // its first bytes wait for the connect
    // Alone and accepting: the peer (a real program) did not wait for the emulated
    // connect, so what it sent first is read one rtt after the accept (delay_line.hpp).
    if (alone && !connecting) hold_reads_until_ = Clock::now() + rtt;
    sender_ = std::make_shared<Sender>(std::move(socket), rtt, connected_at, alone);
    asio::co_spawn(sender_->socket.get_executor(), run_writer(sender_), asio::detached);
  }

  ~DelayedPipe() override {
    Sender& s = *sender_;
    if (s.shutdown_requested && !s.line.empty() && !s.waiting_for_socket) {
      s.detached = true;  // the writer delivers the rest, then closes
    } else {
      s.close_now();
    }
  }

  asio::any_io_executor get_executor() override { return sender_->socket.get_executor(); }

  size_t try_read(std::span<char> into, error_code& ec) override {
    if (holding()) {
      ec = asio::error::would_block;
      return 0;
    }
    return sender_->socket.read_some(asio::buffer(into.data(), into.size()), ec);
  }

  asio::awaitable<std::tuple<error_code>> wait_readable() override {
    if (holding()) return held_wait();
    return sender_->socket.async_wait(Socket::wait_read, nothrow);
  }

  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    if (holding()) return held_read(into);
    return sender_->socket.async_read_some(asio::buffer(into.data(), into.size()), nothrow);
  }

  size_t try_write(std::span<const asio::const_buffer> buffers, error_code& ec) override {
    Sender& s = *sender_;
    if (s.closed) {
      ec = asio::error::bad_descriptor;
      return 0;
    }
    if (s.error) {
      ec = s.error;
      return 0;
    }
    if (s.shutdown_requested) {
      ec = asio::error::shut_down;
      return 0;
    }
    if (s.line.queued_bytes() >= kMaxQueued) {
      ec = asio::error::would_block;
      return 0;
    }
    ec = {};
    const Clock::time_point now = Clock::now();
    size_t n = 0;
    for (const auto& b : buffers) {
      s.line.push(now, std::string_view(static_cast<const char*>(b.data()), b.size()));
      n += b.size();
    }
    if (s.idle) s.due_timer.cancel();
    return n;
  }

  asio::awaitable<std::tuple<error_code>> wait_writable() override {
    Sender& s = *sender_;
    if (!s.closed && !s.error && s.line.queued_bytes() >= kMaxQueued) {
      s.room_timer.expires_at(Clock::time_point::max());
      co_await s.room_timer.async_wait(nothrow);  // ended when the writer makes room, or by close()
    }
    // A named local, not a temporary inside co_return (docs/architecture.md, GCC 12).
    const error_code ec = s.closed ? error_code(asio::error::operation_aborted) : s.error;
    co_return std::tuple{ec};
  }

  void quickack() override {
    const int one = 1;
    ::setsockopt(sender_->socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  }

  void shutdown() override {
    Sender& s = *sender_;
    if (s.shutdown_requested || s.closed) return;
    s.shutdown_requested = true;
    if (s.line.empty()) {
      s.finish();
    } else {
      s.room_timer.cancel();
    }
  }

  void close() override { sender_->close_now(); }

 private:
  // Whether reads are still held (an accepting end alone: see the constructor).
  bool holding() {
    if (hold_reads_until_ && Clock::now() >= *hold_reads_until_) hold_reads_until_.reset();
    return hold_reads_until_.has_value();
  }
  asio::awaitable<void> hold() {
    asio::steady_timer timer(sender_->socket.get_executor(), *hold_reads_until_);
    auto [ec] = co_await timer.async_wait(nothrow);
    (void)ec;
    hold_reads_until_.reset();
  }
  asio::awaitable<std::tuple<error_code>> held_wait() {
    co_await hold();
    auto result = co_await sender_->socket.async_wait(Socket::wait_read, nothrow);
    co_return result;
  }
  asio::awaitable<std::tuple<error_code, size_t>> held_read(std::span<char> into) {
    co_await hold();
    auto result = co_await sender_->socket.async_read_some(asio::buffer(into.data(), into.size()), nothrow);
    co_return result;
  }

  std::optional<Clock::time_point> hold_reads_until_;
  std::shared_ptr<Sender> sender_;
};

}  // namespace

std::unique_ptr<BytePipe> make_delayed_pipe(Socket socket, std::chrono::nanoseconds rtt, bool connecting, bool alone) {
  return std::make_unique<DelayedPipe>(std::move(socket), rtt, connecting, alone);
}

}  // namespace hopcost
