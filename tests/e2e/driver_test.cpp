// End-to-end: the load driver's timeout on an open keep-alive connection (the watchdog of
// harness/load/driver.cpp), against a server that answers the first request of each
// connection and then never answers again. Counts, not times.
#include <catch2/catch.hpp>

#include <thread>

#include "load/driver.hpp"
#include "net/transport.hpp"

using namespace hopcost;
using namespace std::chrono_literals;

namespace {

// Answers the first request on each connection (200, empty body), then reads and drops
// everything without answering, keeping the connection open.
asio::awaitable<void> answer_once(Socket socket) {
  std::string in;
  char buf[4096];
  bool answered = false;
  while (true) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), nothrow);
    if (ec) co_return;
    in.append(buf, n);
    if (!answered && in.find("\r\n\r\n") != std::string::npos) {
      answered = true;
      static constexpr std::string_view ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(ok), nothrow);
      if (wec) co_return;
    }
  }
}

asio::awaitable<void> accept_all(Acceptor& acceptor) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(nothrow);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), answer_once(std::move(socket)), asio::detached);
  }
}

}  // namespace

TEST_CASE("a keep-alive request with no response in time is a timeout error, and the connection is replaced") {
  asio::io_context io(1);
  Endpoint endpoint;
  Acceptor acceptor = listen_on(io.get_executor(), endpoint);
  asio::co_spawn(io, accept_all(acceptor), asio::detached);
  std::thread server([&] { io.run(); });

  LinkEnds entry;
  entry.kind = LinkKind::tcp;
  entry.endpoint = endpoint;
  NodeStats client;
  LoadSettings settings;
  // One connection: its first request (warm-up) sets it up, the window opens, and the
  // second, the only measured one, is never answered.
  settings.connections = 1;
  settings.duration = 100ms;
  settings.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const auto load = run_closed_loop(entry, settings, client, {});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  io.stop();
  server.join();

  CHECK(load.requests == 0);
  CHECK(load.errors[ErrorKind::timeout] == 1);
  CHECK(load.errors.total() == 1);
  CHECK(load.latency_ns.count() == 0);
  CHECK(load.samples.empty());
  CHECK(elapsed >= 300ms);  // not before the timeout
  CHECK(elapsed < 5s);      // bounded by it, not hung
}
