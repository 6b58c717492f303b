// The upstream pool's bookkeeping (node/upstream_pool.hpp): lending order, what is kept,
// the idle bound and timeout, the peak, and teardown in either order. Connections here
// are fake streams: nothing goes over a socket.
#include <catch2/catch.hpp>

#include <cstring>

#include "node/upstream_pool.hpp"

using namespace hopcost;
using namespace std::chrono_literals;

namespace {

struct Flags {
  int shutdowns = 0;
  int destroyed = 0;
};

// Reads `input` once, then end of stream; records shutdown and destruction.
class FakeStream final : public Stream {
 public:
  FakeStream(Flags& flags, std::string input = {}) : flags_(flags), input_(std::move(input)) {}
  ~FakeStream() override { ++flags_.destroyed; }
  asio::awaitable<error_code> handshake() override { co_return error_code{}; }
  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    if (input_.empty()) co_return std::tuple{error_code(asio::error::eof), size_t{0}};
    const size_t n = std::min(into.size(), input_.size());
    std::memcpy(into.data(), input_.data(), n);
    input_.erase(0, n);
    co_return std::tuple{error_code{}, n};
  }
  asio::awaitable<error_code> write(std::span<const std::string_view>) override { co_return error_code{}; }
  asio::awaitable<void> shutdown() override {
    ++flags_.shutdowns;
    co_return;
  }
  void abort() override {}

 private:
  Flags& flags_;
  std::string input_;
};

std::unique_ptr<UpstreamConnection> connection(Flags& flags, std::string input = {}) {
  auto c = std::make_unique<UpstreamConnection>();
  c->stream = std::make_unique<FakeStream>(flags, std::move(input));
  return c;
}

// Reads one response and its body, as a relay does before giving the connection back.
asio::awaitable<void> read_response(UpstreamConnection& c, HttpHead& head, bool& parsed) {
  const auto r = co_await c.buffer.read_head(*c.stream, MessageType::response, head);
  if (r.outcome == ReadOutcome::ok) (void)co_await c.buffer.discard_body(*c.stream, head);
  parsed = r.outcome == ReadOutcome::ok;
}

// The pool as a relay uses it: take, else open; an exchange; give back.
UpstreamConnection* borrow(UpstreamPool& pool, Flags& flags, std::vector<std::unique_ptr<UpstreamConnection>>& held) {
  auto c = pool.take();
  if (!c) {
    c = connection(flags);
    pool.opened();
  }
  held.push_back(std::move(c));
  return held.back().get();
}

}  // namespace

TEST_CASE("the upstream pool lends its most recently used idle connection, and opens only when none is idle") {
  asio::io_context io(1);
  UpstreamPool pool(io);
  io.poll();  // the keeper starts
  Flags flags;
  CHECK(pool.take() == nullptr);
  std::vector<std::unique_ptr<UpstreamConnection>> held;
  UpstreamConnection* a = borrow(pool, flags, held);
  UpstreamConnection* b = borrow(pool, flags, held);
  CHECK(pool.in_use() == 2);
  CHECK(pool.peak() == 2);
  CHECK(pool.give_back(std::move(held[0]), true) == nullptr);
  CHECK(pool.give_back(std::move(held[1]), true) == nullptr);
  CHECK(pool.idle() == 2);
  CHECK(pool.in_use() == 0);
  held.clear();
  // Last in, first out.
  auto first = pool.take();
  CHECK(first.get() == b);
  auto second = pool.take();
  CHECK(second.get() == a);
  CHECK(pool.take() == nullptr);
  CHECK(pool.in_use() == 2);
  // Reused, not opened: the peak does not move.
  CHECK(pool.peak() == 2);
  pool.opened();
  CHECK(pool.peak() == 3);
  // Not reusable (a side said Connection: close): handed back to be closed.
  auto back = pool.give_back(std::move(first), false);
  CHECK(back.get() == b);
  pool.discard(std::move(second));
  CHECK(pool.idle() == 0);
  CHECK(pool.in_use() == 1);
  CHECK(flags.destroyed == 1);  // the discarded one
}

TEST_CASE("the upstream pool keeps no connection with bytes left over, and no more than max_idle") {
  asio::io_context io(1);
  UpstreamPool pool(io, UpstreamPoolSettings{1, 60s});
  io.poll();
  Flags flags;
  // A response followed by bytes that belong to no request: the connection is not kept.
  auto c = connection(flags, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nstray");
  pool.opened();
  HttpHead head;
  bool parsed = false;
  asio::co_spawn(io, read_response(*c, head, parsed), asio::detached);
  io.poll();
  REQUIRE(parsed);
  REQUIRE_FALSE(c->buffer.empty());
  CHECK(pool.give_back(std::move(c), true) != nullptr);
  CHECK(pool.idle() == 0);

  pool.opened();
  pool.opened();
  CHECK(pool.give_back(connection(flags), true) == nullptr);
  CHECK(pool.give_back(connection(flags), true) != nullptr);  // beyond max_idle = 1
  CHECK(pool.idle() == 1);
}

TEST_CASE("the upstream pool closes connections idle past its timeout") {
  asio::io_context io(1);
  UpstreamPool pool(io, UpstreamPoolSettings{16, 20ms});
  io.poll();
  Flags flags;
  pool.opened();
  REQUIRE(pool.give_back(connection(flags), true) == nullptr);
  REQUIRE(pool.idle() == 1);
  for (int i = 0; i < 100 && pool.idle() > 0; ++i) io.run_for(5ms);
  CHECK(pool.idle() == 0);
  CHECK(flags.shutdowns == 1);  // an orderly close
  CHECK(flags.destroyed == 1);
}

TEST_CASE("idle connections go with the io_context, or with the pool, whichever goes first") {
  Flags flags;
  {
    auto io = std::make_unique<asio::io_context>(1);
    UpstreamPool pool(*io);
    io->poll();
    pool.opened();
    REQUIRE(pool.give_back(connection(flags), true) == nullptr);
    io.reset();  // a relay's Node::stop(): the keeper's frame goes, and the idle sockets with it
    CHECK(flags.destroyed == 1);
    CHECK(pool.idle() == 0);
    // Nothing is kept without the keeper.
    pool.opened();
    CHECK(pool.give_back(connection(flags), true) != nullptr);
  }
  {
    asio::io_context io(1);
    {
      UpstreamPool pool(io);
      io.poll();
      pool.opened();
      REQUIRE(pool.give_back(connection(flags), true) == nullptr);
    }
    CHECK(flags.destroyed == 3);
    io.run_for(50ms);  // the keeper wakes, sees the pool gone, and ends
    CHECK(io.stopped());
  }
}
