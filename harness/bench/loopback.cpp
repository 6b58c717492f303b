// One 64-byte request and its 64-byte answer over a loopback connection: the round trip
// every hop of a chain on one host adds even without TLS, the floor of a plaintext hop.
//
// What one round trip includes: the client's write and read system calls, the kernel's
// loopback path (TCP/IP, or the Unix-socket path with no network stack), waking the echo
// thread, its read and write system calls, and waking the client again. So it counts the
// system calls of both sides and two thread wake-ups, as a request crossing one hop does.
// It excludes connect/accept (the connection is made before timing) and any TLS.
//
// Where the two threads run is a parameter, because on small virtual machines it decides
// the figure (FLOORS.md: waking an idle vCPU costs ~25-30 µs): `same_cpu` pins the client
// (the benchmark's thread) and the echo thread to one CPU, so a round trip is two context
// switches on that CPU; `cross_cpu` pins them to two different CPUs, so each message wakes
// the other CPU. Both use blocking sockets, with TCP_NODELAY on both TCP ends (without
// it, delayed ACKs would add ~40 ms), and TCP binds to 127.0.0.1 only.
//
// Figures: the benchmark's real time per iteration is the mean round trip (plus the two
// monotonic clock reads, ~23 ns each, that time it for the histogram); the counters
// rtt_p50_us and rtt_p99_us come from every round trip recorded in a Histogram, since on
// a shared machine the mean is pulled up by the odd millisecond when another process
// gets the CPU, while the median is the floor hopcost compares against. The CPU column
// is the client thread's only.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "topologies/cpu_policy.hpp"
#include "metrics/histogram.hpp"

namespace hopcost {
namespace {

enum class Transport { tcp, uds };
enum class Placement { same_cpu, cross_cpu };

constexpr size_t kMessageBytes = 64;
constexpr int kWarmupRoundTrips = 100;

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}



class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Reads or writes exactly `n` bytes; false on error or end of stream.
bool read_full(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool write_full(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool set_nodelay(int fd) {
  const int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

// A connected pair: connect and accept both done here, before any thread starts, so
// that a failure cannot leave a thread blocked in accept().
std::string connect_tcp(Fd& client, Fd& server) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) return errno_text("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return errno_text("bind 127.0.0.1");
  if (::listen(listener.get(), 1) != 0) return errno_text("listen");
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return errno_text("getsockname");
  client = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (client.get() < 0) return errno_text("socket");
  if (::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return errno_text("connect");
  server = Fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (server.get() < 0) return errno_text("accept");
  if (!set_nodelay(client.get()) || !set_nodelay(server.get())) return errno_text("TCP_NODELAY");
  return {};
}

std::string connect_uds(Fd& client, Fd& server) {
  char dir[] = "/tmp/hopcost-floor-XXXXXX";
  if (!::mkdtemp(dir)) return errno_text("mkdtemp");
  const std::string path = std::string(dir) + "/echo.sock";
  std::string error;
  {
    Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (listener.get() < 0)
      error = errno_text("socket");
    else if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      error = errno_text("bind");
    else if (::listen(listener.get(), 1) != 0)
      error = errno_text("listen");
    if (error.empty()) {
      client = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (client.get() < 0)
        error = errno_text("socket");
      else if (::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        error = errno_text("connect");
      else if (server = Fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
               server.get() < 0)
        error = errno_text("accept");
    }
  }
  // The connection outlives its name: remove the socket file and directory now.
  ::unlink(path.c_str());
  ::rmdir(dir);
  return error;
}

// The echo side: answers every 64-byte message with 64 bytes until the client closes.
void echo(int fd, int cpu, std::atomic<bool>* pinned) {
  pinned->store(pin_this_thread(cpu));  // before the first answer: the client checks it then
  char buf[kMessageBytes];
  while (read_full(fd, buf, sizeof buf) && write_full(fd, buf, sizeof buf)) {
  }
}

void BM_LoopbackRtt(benchmark::State& state, Transport transport, Placement placement) {
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.empty()) {
    state.SkipWithError("cannot read this thread's CPU affinity (sched_getaffinity)");
    return;
  }
  if (placement == Placement::cross_cpu && cpus.size() < 2) {
    state.SkipWithError("cross-CPU placement needs 2 CPUs; this thread may run on 1");
    return;
  }
  const int client_cpu = cpus[0];
  const int server_cpu = placement == Placement::same_cpu ? cpus[0] : cpus[1];

  Fd client, server;
  if (auto e =
          transport == Transport::tcp ? connect_tcp(client, server) : connect_uds(client, server);
      !e.empty()) {
    state.SkipWithError(e.c_str());
    return;
  }
  // A reply that never comes (a dead echo thread) fails the benchmark instead of hanging it.
  const timeval timeout{5, 0};
  setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  ScopedCpuPin restore_affinity;
  if (!pin_this_thread(client_cpu)) {
    state.SkipWithError("cannot pin the client thread (pthread_setaffinity_np)");
    return;
  }
  std::atomic<bool> echo_pinned{false};
  std::thread echo_thread(echo, server.get(), server_cpu, &echo_pinned);
  struct Join {  // closes the client end first, so that the echo thread sees end of stream
    Fd& client;
    std::thread& t;
    ~Join() {
      ::shutdown(client.get(), SHUT_RDWR);
      t.join();
    }
  } join{client, echo_thread};

  char message[kMessageBytes];
  std::memset(message, 'x', sizeof message);
  char reply[kMessageBytes];
  for (int i = 0; i < kWarmupRoundTrips; ++i) {
    if (!write_full(client.get(), message, sizeof message) ||
        !read_full(client.get(), reply, sizeof reply)) {
      state.SkipWithError(errno_text("warm-up round trip").c_str());
      return;
    }
  }
  if (!echo_pinned.load()) {
    state.SkipWithError("cannot pin the echo thread (pthread_setaffinity_np)");
    return;
  }

  Histogram rtt_ns;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!write_full(client.get(), message, sizeof message) ||
        !read_full(client.get(), reply, sizeof reply)) {
      state.SkipWithError(errno_text("round trip").c_str());
      break;
    }
    const auto t1 = std::chrono::steady_clock::now();
    rtt_ns.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  state.counters["rtt_p50_us"] = static_cast<double>(rtt_ns.value_at_percentile(50)) / 1e3;
  state.counters["rtt_p99_us"] = static_cast<double>(rtt_ns.value_at_percentile(99)) / 1e3;
  state.SetLabel(placement == Placement::same_cpu
                     ? "cpu " + std::to_string(client_cpu)
                     : "cpus " + std::to_string(client_cpu) + "," + std::to_string(server_cpu));
}

BENCHMARK_CAPTURE(BM_LoopbackRtt, tcp_same_cpu, Transport::tcp, Placement::same_cpu)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LoopbackRtt, tcp_cross_cpu, Transport::tcp, Placement::cross_cpu)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LoopbackRtt, uds_same_cpu, Transport::uds, Placement::same_cpu)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_LoopbackRtt, uds_cross_cpu, Transport::uds, Placement::cross_cpu)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hopcost
