// Hostile peers against standalone nodes (node/guard.hpp): malformed requests answered
// with 400, 413, 431 or 501 before the close; slow clients, stalled upstreams and silent
// TLS clients cut short by the timeouts; garbage and resets from an upstream; a node at
// its --max-connections, and one out of file descriptors. Each asserts the status the
// client sees and the counter the node keeps. Timeouts here are short (0.3 s), so that
// the suite stays fast; no assertion is on an absolute time but "eventually".
#include <catch2/catch.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "net/link.hpp"
#include "node/origin.hpp"
#include "support/process.hpp"

using namespace hopcost;
using namespace hopcost::test;
using namespace std::chrono_literals;

namespace {

// A plain TCP connection to "127.0.0.1:PORT", as a misbehaving client holds one.
class RawClient {
 public:
  explicit RawClient(const std::string& host_port) {
    const auto colon = host_port.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
    ::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &a.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends every byte (blocking); false if the peer closed or reset first.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until the peer closes, or `limit` passes: what came, and whether it closed.
  std::pair<std::string, bool> read_until_close(std::chrono::milliseconds limit = 5s) {
    std::string got;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left <= 0ms) return {got, false};
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {got, false};
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return {got, true};
      got.append(buf, static_cast<size_t>(n));
    }
  }
  int fd() const { return fd_; }
  // Whether the peer has closed the connection, within `limit`.
  bool closed_within(std::chrono::milliseconds limit) { return read_until_close(limit).second; }

 private:
  int fd_ = -1;
};

// The status line's code of a response, or 0.
int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

nlohmann::json stats_of(test::Node& node) {
  node.process->signal(SIGUSR1);
  const auto line = node.process->read_line(5s);
  REQUIRE(line);
  return nlohmann::json::parse(*line);
}

// A socket listening on 127.0.0.1, on a port the kernel picks; `bound` gets the address.
int listen_loopback(int backlog, sockaddr_in& bound) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  bound = sockaddr_in{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof bound) == 0);
  REQUIRE(::listen(fd, backlog) == 0);
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  return fd;
}

// A fake upstream on 127.0.0.1: each accepted connection is given to `behave` on the
// server's own thread, one at a time.
class FakeUpstream {
 public:
  explicit FakeUpstream(std::function<void(int fd)> behave) : behave_(std::move(behave)) {
    sockaddr_in a{};
    fd_ = listen_loopback(64, a);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        behave_(c);
        ::close(c);
      }
    });
  }
  ~FakeUpstream() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  std::atomic<bool> stop_{false};

 private:
  std::function<void(int)> behave_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Reads a request head from `fd` (up to its blank line); false if the peer went first.
bool read_request_head(int fd) {
  std::string got;
  char c;
  while (got.size() < 4 || got.compare(got.size() - 4, 4, "\r\n\r\n") != 0) {
    if (::recv(fd, &c, 1, 0) != 1) return false;
    got.push_back(c);
  }
  return true;
}

std::string curl_status(const std::string& url, const std::string& extra = "") {
  return run_command("curl -s -o /dev/null --max-time 10 -w '%{http_code}' " + extra + " " + url).output;
}

}  // namespace

TEST_CASE("a standalone origin answers malformed requests with 400, 413, 431 or 501, then closes, and counts each") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0", "--max-body", "1000"});
  const std::string at = host_port(origin.url);
  struct Case {
    std::string what, bytes;
    int status;
  };
  const std::vector<Case> cases{
      {"a 1 MiB header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n", 431},
      {"both Content-Length and Transfer-Encoding",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400},
      {"a Content-Length of 20 digits", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
      {"binary garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), 400},
      {"Transfer-Encoding alone", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501},
      {"a body beyond --max-body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'), 413},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    RawClient client(at);
    CHECK(client.send(c.bytes));
    const auto [response, closed] = client.read_until_close();
    CHECK(status_of(response) == c.status);
    CHECK_THAT(response, Catch::Contains("Connection: close"));
    CHECK(closed);
  }
  // A well-formed request is still served.
  CHECK(curl_status("http://" + at + "/") == "200");
  const auto stats = stats_of(origin);
  CHECK(stats["http_errors"]["400"] == 3);
  CHECK(stats["http_errors"]["413"] == 1);
  CHECK(stats["http_errors"]["431"] == 1);
  CHECK(stats["http_errors"]["501"] == 1);
  CHECK(stats["errors"]["read"] == 6);  // each one is also a failed request of the node's
  CHECK_THAT(stats["first_errors"]["read"].get<std::string>(), Catch::Contains("bad request"));
  CHECK(stats["messages"] == 1);
}

TEST_CASE("slow clients are closed by --head-timeout and idle ones by --idle-timeout, each counted") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0", "--head-timeout", "0.3", "--idle-timeout", "0.6"});
  const std::string at = host_port(origin.url);
  // 50 clients that send half a request head and stop, as in the issue's 300.
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(std::make_unique<RawClient>(at));
    CHECK(slow.back()->send("GET / HTTP/1.1\r\nHost: x\r\nX-Half: "));
  }
  // A client that sends nothing at all gets the head timeout too.
  RawClient silent(at);
  int closed = 0;
  for (auto& c : slow) closed += c->closed_within(5s);
  CHECK(closed == 50);
  CHECK(silent.closed_within(5s));
  // A kept-alive connection that was served once, then idles.
  RawClient idle(at);
  CHECK(idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto [response, idle_closed] = idle.read_until_close(5s);
  CHECK(status_of(response) == 200);
  CHECK(idle_closed);
  // A client that trickles a request slower than the head timeout allows is cut off even
  // though bytes keep coming: the timeout runs from the request's first byte.
  RawClient trickle(at);
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {
    cut = !trickle.send("X") || trickle.closed_within(50ms);
  }
  CHECK(cut);
  const auto stats = stats_of(origin);
  CHECK(stats["timeouts"]["head"] == 52);
  CHECK(stats["timeouts"]["idle"] == 1);
  CHECK(stats["errors"]["timeout"] == 52);  // idle closes are not errors
  CHECK_THAT(stats["first_errors"]["timeout"].get<std::string>(), Catch::Contains("head timeout (0.3 s)"));
  CHECK(stats["http_errors"]["400"] == 0);
}

TEST_CASE("a TLS client that never finishes its handshake is closed by --handshake-timeout") {
  TempDir pki;
  REQUIRE(run_hopcost("pki --out " + pki.path.string() + " --name origin").code == 0);
  auto origin = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", pki / "origin.pem", "--key",
                            pki / "origin.key", "--handshake-timeout", "0.3"});
  RawClient client(host_port(origin.url));
  CHECK(client.send(std::string("\x16\x03\x01\x00\x80", 5)));  // a record header, and no record
  CHECK(client.closed_within(5s));
  const auto stats = stats_of(origin);
  CHECK(stats["timeouts"]["handshake"] == 1);
  CHECK(stats["errors"]["timeout"] == 1);
  CHECK(stats["errors"]["handshake"] == 0);
}

TEST_CASE("a relay answers 502 to an upstream that sends garbage, and 504 to one that stalls") {
  SECTION("garbage") {
    FakeUpstream garbage([](int fd) {
      if (read_request_head(fd)) (void)!::write(fd, "\x00\x01\x02garbage\r\n\r\n", 14);
    });
    auto relay = start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", garbage.url()});
    CHECK(curl_status("http://" + host_port(relay.url) + "/") == "502");
    const auto stats = stats_of(relay);
    CHECK(stats["http_errors"]["502"] == 1);
    CHECK(stats["errors"]["read"] == 1);
    CHECK_THAT(stats["first_errors"]["read"].get<std::string>(), Catch::Contains("upstream response"));
  }
  SECTION("a stall") {
    FakeUpstream stall([](int fd) {
      if (read_request_head(fd)) {
        char c;
        ::recv(fd, &c, 1, 0);  // until the relay gives up and closes
      }
    });
    auto relay = start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", stall.url(), "--response-timeout", "0.3"});
    CHECK(curl_status("http://" + host_port(relay.url) + "/") == "504");
    const auto stats = stats_of(relay);
    CHECK(stats["http_errors"]["504"] == 1);
    CHECK(stats["timeouts"]["upstream_response"] == 1);
    CHECK(stats["errors"]["timeout"] == 1);
    CHECK(stats["errors"]["read"] == 0);
  }
  SECTION("an upstream that does not read the request") {
    FakeUpstream deaf([](int fd) {
      for (int i = 0; i < 200; ++i) {  // never reads; waits (at most 10 s) for the relay to close
        pollfd p{fd, POLLRDHUP, 0};
        if (::poll(&p, 1, 50) > 0) return;
      }
    });
    for (const std::string policy : {"1:1", "pool"}) {
      INFO("--upstream-policy " << policy);
      auto relay = start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", deaf.url(), "--upstream-policy",
                               policy, "--response-timeout", "0.3"});
      TempDir tmp;
      { std::ofstream(tmp / "body") << std::string(16 << 20, 'b'); }  // beyond every socket buffer
      CHECK(curl_status("http://" + host_port(relay.url) + "/", "--data-binary @" + tmp / "body") == "504");
      const auto stats = stats_of(relay);
      CHECK(stats["http_errors"]["504"] == 1);
      CHECK(stats["timeouts"]["upstream_response"] == 1);
    }
  }
}

TEST_CASE("a relay whose upstream's accept queue is full answers 504 after --connect-timeout") {
  // A listener that never accepts, with a backlog of 0 (one connection queued), filled:
  // the kernel drops the relay's SYNs and its connect waits.
  sockaddr_in a{};
  const int listener = listen_loopback(0, a);
  const std::string upstream = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  // The relay probes its upstream once at start: start it while a place is free.
  auto relay = start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", "tcp://" + upstream, "--connect-timeout", "0.3"});
  std::vector<int> fill;
  for (int i = 0; i < 3; ++i) {  // the probe's connection has gone: fill the queue again
    fill.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    ::connect(fill.back(), reinterpret_cast<sockaddr*>(&a), sizeof a);  // may stay in progress: that is the point
  }
  CHECK(curl_status("http://" + host_port(relay.url) + "/") == "504");
  const auto stats = stats_of(relay);
  CHECK(stats["http_errors"]["504"] == 1);
  CHECK(stats["timeouts"]["upstream_connect"] == 1);
  CHECK(stats["errors"]["timeout"] == 1);
  for (int fd : fill) ::close(fd);
  ::close(listener);
}

TEST_CASE("an upstream that resets mid-body gives the client an error, not a hang") {
  for (const std::string policy : {"1:1", "pool"}) {
    INFO("--upstream-policy " << policy);
    FakeUpstream reset([](int fd) {
      if (!read_request_head(fd)) return;
      const std::string part = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'x');
      (void)!::write(fd, part.data(), part.size());
      ::usleep(50'000);
      linger l{1, 0};  // close with a reset
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    });
    auto relay = start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", reset.url(), "--upstream-policy", policy});
    const auto r = run_command("curl -s -o /dev/null --max-time 10 http://" + host_port(relay.url) + "/; echo \" exit $?\"");
    CHECK_THAT(r.output, Catch::Contains("exit 18"));  // curl: partial file (not 28, the timeout)
    const auto stats = stats_of(relay);
    CHECK(stats["errors"]["read"] == 1);
    CHECK_THAT(stats["first_errors"]["read"].get<std::string>(), Catch::Contains("response"));
  }
}

TEST_CASE("a client that disconnects mid-response frees the relay's upstream connection, never pooled again") {
  for (const std::string policy : {"1:1", "pool"}) {
    INFO("--upstream-policy " << policy);
    // 64 MiB: more than every socket buffer on the way holds, so that the relay is still
    // writing when the client goes.
    auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0", "--response-bytes", "67108864"});
    auto relay = start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", origin.url, "--upstream-policy", policy});
    const size_t origin_sockets = socket_count(origin.process->pid());  // its listener
    {
      RawClient client(host_port(relay.url));
      CHECK(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      char some[1000];
      CHECK(::recv(client.fd(), some, sizeof some, 0) > 0);  // the response has begun
      std::this_thread::sleep_for(200ms);                      // the buffers fill
    }  // gone, mid-response, with unread bytes: a reset
    // The relay closes the upstream connection it was forwarding on: the origin is back to
    // its listener alone.
    CHECK(eventually([&] { return socket_count(origin.process->pid()) == origin_sockets; }, 5s));
    // And the next request gets a new, clean upstream connection.
    CHECK(curl_status("http://" + host_port(relay.url) + "/") == "200");
    const auto stats = stats_of(relay);
    CHECK(stats["upstream_opened"] == 2);
    CHECK(stats["upstream_reuses"] == 0);
    CHECK(stats["errors"]["write"] == 1);
  }
}

TEST_CASE("a node at --max-connections answers 503 and closes, instead of running out of descriptors") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0", "--max-connections", "5"});
  const std::string at = host_port(origin.url);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 5; ++i) {
    held.push_back(std::make_unique<RawClient>(at));
    CHECK(held.back()->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  for (auto& c : held) {  // the five are served, and kept alive
    const auto [r, closed] = c->read_until_close(300ms);
    CHECK(status_of(r) == 200);
    CHECK_FALSE(closed);
  }
  RawClient sixth(at);
  CHECK(sixth.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto [response, closed] = sixth.read_until_close();
  CHECK(status_of(response) == 503);
  CHECK(closed);
  held.pop_back();  // one closes: a place frees
  CHECK(eventually([&] { return curl_status("http://" + at + "/") == "200"; }, 5s));
  const auto stats = stats_of(origin);
  CHECK(stats["http_errors"]["503"] == 1);
  CHECK(stats["errors"]["connect"] == 1);
  CHECK(stats["exhausted"] == 0);
}

TEST_CASE("a node out of file descriptors does not spin on accept, and counts the failures") {
  // 40 descriptors, and a cap above what they allow: the accepts themselves fail (EMFILE).
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0", "--max-connections", "1000"});
  const pid_t pid = origin.process->pid();
  REQUIRE(run_command("prlimit --pid " + std::to_string(pid) + " --nofile=40:40").code == 0);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 60; ++i) clients.push_back(std::make_unique<RawClient>(host_port(origin.url)));  // the backlog takes them
  auto cpu_ticks = [&] {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    std::getline(in, s);
    std::istringstream fields(s.substr(s.rfind(')') + 2));
    std::string f;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stol(f);
      if (i == 15) stime = std::stol(f);
    }
    return utime + stime;
  };
  REQUIRE(eventually([&] { return stats_of(origin)["exhausted"].get<int>() > 0; }, 5s));
  const long before = cpu_ticks();
  std::this_thread::sleep_for(1s);
  const long used = cpu_ticks() - before;  // clock ticks (100 a second): a spin would take about 100
  CHECK(used < 30);
  const auto stats = stats_of(origin);
  CHECK(stats["errors"]["connect"].get<int>() > 0);
  CHECK_THAT(stats["first_exhausted"].get<std::string>(), Catch::Contains("Too many open files"));
  clients.clear();
  CHECK_FALSE(origin.process->exited());
}

TEST_CASE("the guard's flags reject zero, negative and out-of-range values with exit 2, naming the flag") {
  for (const std::string flag : {"--head-timeout", "--idle-timeout", "--handshake-timeout"}) {
    for (const std::string value : {"0", "-1", "abc", "3601"}) {
      const auto r = run_hopcost("origin --listen tcp://127.0.0.1:0 " + flag + " " + value);
      INFO(flag << " " << value << ": " << r.output);
      CHECK(r.code == 2);
      CHECK_THAT(r.output, Catch::Contains(flag));
    }
  }
  for (const std::string flag : {"--connect-timeout", "--response-timeout"}) {
    const auto r = run_hopcost("hop --listen tcp://127.0.0.1:0 --upstream tcp://127.0.0.1:1 " + flag + " 0");
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(flag));
  }
  for (const std::string flag : {"--max-connections", "--max-body"}) {
    for (const std::string value : {"0", "-3", "many"}) {
      const auto r = run_hopcost("origin --listen tcp://127.0.0.1:0 " + flag + " " + value);
      INFO(flag << " " << value << ": " << r.output);
      CHECK(r.code == 2);
      CHECK_THAT(r.output, Catch::Contains(flag));
    }
  }
  for (const std::string flag : {"--head-timeout", "--idle-timeout"}) {
    TempDir out;
    const auto r = run_hopcost("run --hops 1 --duration 0.2 --out " + out / "r" + " " + flag + " 0");
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(flag));
    CHECK_FALSE(std::filesystem::exists(out / "r"));
  }
}

TEST_CASE("a run's report shows its nodes' timeouts: keep-alive connections idle past --idle-timeout") {
  TempDir out;
  // 4 connections at 4 requests a second: each idles about a second, past the 0.3 s.
  const auto r = run_hopcost("run --topology tls-everywhere --hops 2 --tls 1.3 --conn keepalive --connections 4 "
                             "--rate 4 --duration 2 --warmup 0.2 --idle-timeout 0.3 --format json --out " + out / "r");
  INFO(r.output);
  REQUIRE(r.code != 2);
  const auto report = nlohmann::json::parse(read_file(out / "r/report.json"));
  const auto& nodes = report["variants"][0]["nodes"];
  uint64_t idle = 0;
  for (const auto& n : nodes) {
    if (n["role"] == "client") {
      CHECK(n["timeouts"].is_null());
      continue;
    }
    REQUIRE(n["timeouts"].is_object());
    idle += n["timeouts"]["idle"].get<uint64_t>();
    CHECK(n["http_errors"]["504"] == 0);
  }
  CHECK(idle > 0);
  CHECK(report["context"]["configuration"]["idle_timeout"] == 0.3);
}

TEST_CASE("a node keeps each request's residence time only when asked: a standalone one without --residence-file keeps none") {
  for (const bool keep : {true, false}) {
    INFO("keep " << keep);
    LinkEnds link;
    link.kind = LinkKind::tcp;
    link.endpoint.transport = Transport::tcp;
    Origin origin("origin", 10);
    origin.keep_residence(keep);
    origin.listen(link);
    origin.start();
    {
      RawClient client("127.0.0.1:" + std::to_string(link.endpoint.port));
      for (int id = 1; id <= 3; ++id) {
        CHECK(client.send("GET / HTTP/1.1\r\nX-Hopcost-Id: " + std::to_string(id) + "\r\n\r\n"));
        char buf[512];
        CHECK(::recv(client.fd(), buf, sizeof buf, 0) > 0);
      }
    }
    REQUIRE(eventually([&] { return origin.stats().snapshot().messages == 3; }, 5s));
    origin.stop();
    CHECK(origin.residence().size() == (keep ? 3u : 0u));
  }
}
