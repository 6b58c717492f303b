// The delay line (harness/net/delayed_pipe.cpp) on a real loopback TCP connection: how
// late it delivers, and what it costs per chunk.
//
// The benchmark's thread runs an io_context with the sending end (a delayed pipe, or at
// rtt 0 the plain socket pipe) and writes one 16-byte chunk every 50 to 150 µs (100 on
// average), paced by a timer, so that at rtt 1 ms about five chunks are in the line at
// once (pipelining, as a busy connection has). The gaps vary (a fixed sequence) so that
// due times do not fall systematically on the pacing timer's own wake-ups, nor always
// apart from them: a node's thread also has other work when a chunk falls due. Each chunk carries the steady-clock time it was written. A
// receiving thread reads them with blocking reads, as a peer node's thread would, and
// records delivery time minus due time (written + rtt/2) in a Histogram.
//
// Lateness therefore includes the loopback path and waking the receiving thread, which
// are not the delay line's doing: the rtt 0 row (due = written) shows that floor on this
// machine. The delay line can never make a chunk early: its due time is stamped after
// ours, and its writer re-checks the clock after every wake-up (`early` counts any
// chunk delivered before it was due; it must be 0).
//
// CPU: `cpu_per_chunk_us` is the sending thread's CPU per chunk (the pacing timer, the
// write, and for rtt > 0 the copy into the line, the writer's timer and its wake-up);
// the difference to the rtt 0 row is the delay line's own cost.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstring>
#include <thread>

#include "metrics/cpu_clock.hpp"
#include "metrics/histogram.hpp"
#include "net/byte_pipe.hpp"

namespace hopcost {
namespace {

using Clock = std::chrono::steady_clock;
// The gap before the next chunk: 50 to 150 µs, from a fixed pseudo-random sequence.
std::chrono::nanoseconds next_gap(uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return std::chrono::microseconds(50) + std::chrono::nanoseconds((state >> 33) % 100'000);
}
constexpr size_t kChunkBytes = 16;  // written_ns, then a sequence number

struct Chunk {
  int64_t written_ns;
  uint64_t seq;
};
static_assert(sizeof(Chunk) == kChunkBytes);

int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

// Reads chunks until end of stream; records each one's lateness.
void receive(int fd, std::chrono::nanoseconds one_way, Histogram* late_ns, uint64_t* early) {
  Chunk c;
  while (true) {
    size_t got = 0;
    while (got < sizeof c) {
      const ssize_t r = ::read(fd, reinterpret_cast<char*>(&c) + got, sizeof c - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return;
      got += static_cast<size_t>(r);
    }
    const int64_t late = now_ns() - (c.written_ns + one_way.count());
    if (late < 0) {
      ++*early;
    } else {
      late_ns->record(static_cast<uint64_t>(late));
    }
  }
}

asio::awaitable<void> send(benchmark::State& state, BytePipe& pipe, uint64_t& cpu_ns) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  Clock::time_point next = Clock::now();
  uint64_t seq = 0, gaps = 1;
  const uint64_t cpu0 = thread_cpu_ns();
  for (auto _ : state) {
    next += next_gap(gaps);
    timer.expires_at(next);
    co_await timer.async_wait(nothrow);
    const Chunk c{now_ns(), seq++};
    asio::const_buffer b(&c, sizeof c);
    std::span<asio::const_buffer> rest(&b, 1);
    size_t written = 0;
    error_code ec;
    if (!write_now(pipe, rest, written, ec) || ec) {
      state.SkipWithError("the write did not complete at once");
      break;
    }
  }
  cpu_ns = thread_cpu_ns() - cpu0;
  pipe.shutdown();  // the line delivers what is queued, then the end of stream
}

void BM_DelayLine(benchmark::State& state, std::chrono::nanoseconds rtt) {
  asio::io_context io(1);
  namespace ip = asio::ip;
  error_code ec;
  ip::tcp::acceptor acceptor(io);
  const ip::tcp::endpoint loopback(ip::make_address("127.0.0.1"), 0);
  acceptor.open(loopback.protocol(), ec);
  if (!ec) acceptor.bind(loopback, ec);
  if (!ec) acceptor.listen(1, ec);
  ip::tcp::socket client(io), server(io);
  if (!ec) client.connect(acceptor.local_endpoint(), ec);
  if (!ec) acceptor.accept(server, ec);
  if (!ec) client.set_option(ip::tcp::no_delay(true), ec);
  if (!ec) server.set_option(ip::tcp::no_delay(true), ec);
  if (ec) {
    state.SkipWithError(("loopback connection: " + ec.message()).c_str());
    return;
  }
  Socket sender(io, asio::generic::stream_protocol(AF_INET, IPPROTO_TCP), client.release());
  const int receiver_fd = server.release();
  std::unique_ptr<BytePipe> pipe = rtt > std::chrono::nanoseconds::zero()
                                       ? make_delayed_pipe(std::move(sender), rtt, false)
                                       : make_socket_pipe(std::move(sender));
  Histogram late_ns;
  uint64_t early = 0;
  std::thread receiver(receive, receiver_fd, rtt / 2, &late_ns, &early);
  uint64_t cpu_ns = 0;
  asio::co_spawn(io, send(state, *pipe, cpu_ns), asio::detached);
  io.run_for(std::chrono::seconds(60));  // ends when the last chunk is delivered
  pipe.reset();
  receiver.join();
  ::close(receiver_fd);

  const double chunks = static_cast<double>(state.iterations());
  state.counters["late_p50_us"] = static_cast<double>(late_ns.value_at_percentile(50)) / 1e3;
  state.counters["late_p99_us"] = static_cast<double>(late_ns.value_at_percentile(99)) / 1e3;
  state.counters["early"] = static_cast<double>(early);
  state.counters["cpu_per_chunk_us"] = chunks > 0 ? static_cast<double>(cpu_ns) / chunks / 1e3 : 0;
}

using std::chrono::microseconds;
BENCHMARK_CAPTURE(BM_DelayLine, rtt_0, microseconds(0))->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DelayLine, rtt_0_2ms, microseconds(200))->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DelayLine, rtt_1ms, microseconds(1000))->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hopcost
