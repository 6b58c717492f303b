// End-to-end: the delay line (harness/net/delayed_pipe.cpp) between two real link ends on
// loopback TCP, built by connect_end and accepted_end from a LinkEnds with an rtt. Times
// are asserted as ratios to the configured rtt, with generous margins: a delay line
// never delivers early, and on a shared machine it may deliver late.
#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "support/echo_server.hpp"
#include "tls/context.hpp"
#include "tls/pki.hpp"

using namespace hopcost;
using namespace hopcost::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Timings {
  bool ok = false;
  Clock::duration first{};                // connect, handshake and the first exchange
  std::vector<Clock::duration> exchanges;  // then, on the same connection
};

asio::awaitable<void> time_exchanges(const LinkEnds& link, int count, Timings& out) {
  NodeStats stats;
  const auto t0 = Clock::now();
  auto [ec, stream] = co_await connect_end(link, stats);
  if (ec) co_return;
  if (co_await stream->handshake()) co_return;
  if (!co_await exchange(*stream)) co_return;
  out.first = Clock::now() - t0;
  for (int i = 0; i < count; ++i) {
    const auto t = Clock::now();
    if (!co_await exchange(*stream)) co_return;
    out.exchanges.push_back(Clock::now() - t);
  }
  co_await stream->shutdown();
  out.ok = true;
}

Timings run_client(const LinkEnds& link, int count) {
  Timings t;
  asio::io_context io(1);
  asio::co_spawn(io, time_exchanges(link, count, t), asio::detached);
  io.run_for(20s);
  return t;
}

double median_over(std::vector<Clock::duration> v, std::chrono::nanoseconds rtt) {
  std::sort(v.begin(), v.end());
  return std::chrono::duration<double>(v[v.size() / 2]) / std::chrono::duration<double>(rtt);
}

double ratio(Clock::duration d, std::chrono::nanoseconds rtt) {
  return std::chrono::duration<double>(d) / std::chrono::duration<double>(rtt);
}

}  // namespace

TEST_CASE("delay line over tcp: an exchange takes one rtt, the first on a new connection two") {
  const auto rtt = 2ms;
  LinkEnds link;
  link.kind = LinkKind::tcp;
  link.rtt = rtt;
  EchoServer server(link, true);
  const Timings t = run_client(link, 21);
  REQUIRE(t.ok);
  REQUIRE(t.exchanges.size() == 21);
  const double established = median_over(t.exchanges, rtt);
  INFO("established exchange p50: " << established << " rtt; first: " << ratio(t.first, rtt) << " rtt");
  CHECK(established >= 1.0);  // never early
  CHECK(established <= 1.6);
  // Connect (one rtt, the emulated TCP handshake) and the exchange (one more).
  CHECK(ratio(t.first, rtt) >= 2.0);
  CHECK(ratio(t.first, rtt) <= 3.0);
  for (auto d : t.exchanges) CHECK(ratio(d, rtt) >= 1.0);
}

TEST_CASE("delay line over tls: TLS 1.3 runs unchanged on it, its handshake one more rtt") {
  const auto rtt = 2ms;
  Pki pki;
  const Credential origin = pki.issue("origin");
  const TlsSettings settings;
  const auto server_ctx = make_server_ctx(settings, origin);
  const auto client_ctx = make_client_ctx(settings, pki.ca_cert());
  LinkEnds link;
  link.kind = LinkKind::tls;
  link.rtt = rtt;
  link.server_ctx = server_ctx.get();
  link.client_ctx = client_ctx.get();
  link.server_name = "origin";
  EchoServer server(link, true);
  const Timings t = run_client(link, 11);
  REQUIRE(t.ok);
  INFO("established exchange p50: " << median_over(t.exchanges, rtt) << " rtt; first: " << ratio(t.first, rtt)
                                    << " rtt");
  CHECK(median_over(t.exchanges, rtt) >= 1.0);
  CHECK(median_over(t.exchanges, rtt) <= 1.6);
  // Connect, the full TLS 1.3 handshake and the exchange: one rtt each.
  CHECK(ratio(t.first, rtt) >= 3.0);
  CHECK(ratio(t.first, rtt) <= 4.5);
}

TEST_CASE("delay line: rtt 0 takes no delay path") {
  const auto rtt = 2ms;
  LinkEnds delayed;
  delayed.rtt = rtt;
  LinkEnds direct;  // rtt 0
  Timings with, without;
  {
    EchoServer server(delayed, true);
    with = run_client(delayed, 11);
  }
  {
    EchoServer server(direct, true);
    without = run_client(direct, 11);
    // A new connection's first exchange, the best of three: one alone can be held up by
    // the scheduler on a loaded machine (measured once at 3 ms, against 8 µs typical).
    for (int i = 0; i < 2 && without.ok; ++i) {
      const Timings again = run_client(direct, 0);
      if (again.ok) without.first = std::min(without.first, again.first);
    }
  }
  REQUIRE(with.ok);
  REQUIRE(without.ok);
  INFO("rtt 0 exchange p50: " << median_over(without.exchanges, rtt) << " of 2 ms; first "
                              << ratio(without.first, rtt));
  CHECK(median_over(without.exchanges, rtt) < 0.25 * median_over(with.exchanges, rtt));
  CHECK(ratio(without.first, rtt) < 0.25 * ratio(with.first, rtt));
}

namespace {

enum class Ending { shutdown, abort };

asio::awaitable<void> write_then_end(const LinkEnds& link, Ending ending, bool& wrote) {
  NodeStats stats;
  auto [ec, stream] = co_await connect_end(link, stats);
  if (ec) co_return;
  static constexpr std::string_view words = "last words";
  if (co_await stream->write(std::span<const std::string_view>(&words, 1))) co_return;
  wrote = true;
  // The words are still in the delay line (due one and a half rtt from now).
  if (ending == Ending::shutdown) {
    co_await stream->shutdown();
  } else {
    stream->abort();
  }
  // The stream is destroyed here, before anything was delivered.
}

}  // namespace

TEST_CASE("delay line: shutdown delivers what is queued, then the end, and abort drops it") {
  LinkEnds link;
  link.rtt = 20ms;
  EchoServer server(link, false);
  for (Ending ending : {Ending::shutdown, Ending::abort}) {
    bool wrote = false;
    asio::io_context io(1);
    asio::co_spawn(io, write_then_end(link, ending, wrote), asio::detached);
    io.run_for(5s);  // returns once the detached writer is done too
    REQUIRE(wrote);
    CHECK(io.stopped());
    const std::string received = server.next_received();
    CHECK(received == (ending == Ending::shutdown ? "last words" : ""));
  }
}

namespace {

asio::awaitable<void> write_then_wait(const LinkEnds& link, bool& wrote) {
  NodeStats stats;
  auto [ec, stream] = co_await connect_end(link, stats);
  if (ec) co_return;
  static constexpr std::string_view words = "never delivered";
  if (co_await stream->write(std::span<const std::string_view>(&words, 1))) co_return;
  wrote = true;
  asio::steady_timer wait(co_await asio::this_coro::executor, 1h);
  co_await wait.async_wait(nothrow);
}

}  // namespace

TEST_CASE("delay line: a connection destroyed with its io_context while the writer waits ends cleanly") {
  LinkEnds link;
  link.rtt = 10s;  // nothing is due before the io_context is gone
  EchoServer server(link, false);
  bool wrote = false;
  {
    asio::io_context io(1);
    asio::co_spawn(io, write_then_wait(link, wrote), asio::detached);
    io.run_for(100ms);
    // io's destructor destroys the client coroutine (and its stream) and the writer.
  }
  REQUIRE(wrote);
  CHECK(server.next_received().empty());
}

namespace {

asio::awaitable<void> write_much(const LinkEnds& link, const std::string& data, bool& wrote) {
  NodeStats stats;
  auto [ec, stream] = co_await connect_end(link, stats);
  if (ec) co_return;
  // 64 KiB at a time, far faster than the line delivers: it fills (writes then wait for
  // room), and the socket behind it fills too (the writer waits for room in it).
  for (size_t at = 0; at < data.size(); at += 64 * 1024) {
    const std::string_view piece = std::string_view(data).substr(at, 64 * 1024);
    if (co_await stream->write(std::span<const std::string_view>(&piece, 1))) co_return;
  }
  wrote = true;
  co_await stream->shutdown();
}

}  // namespace

TEST_CASE("delay line: more than it holds at once arrives whole and in order") {
  LinkEnds link;
  link.rtt = 2ms;
  EchoServer server(link, false);
  std::string data(6 * 1024 * 1024, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + (i * 7919 + i / 4096) % 26);
  bool wrote = false;
  asio::io_context io(1);
  asio::co_spawn(io, write_much(link, data, wrote), asio::detached);
  io.run_for(20s);
  REQUIRE(wrote);
  const std::string received = server.next_received();
  CHECK(received.size() == data.size());
  CHECK(received == data);
}
