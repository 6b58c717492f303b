// A listening link end on its own thread that echoes what it reads (or only collects
// it), and one request/response exchange for the connecting end: for tests that drive
// real link ends (net/link.hpp) over loopback.
#pragma once

#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "net/link.hpp"
#include "net/transport.hpp"
#include "node/stats.hpp"

namespace hopcost::test {

using namespace std::chrono_literals;

constexpr size_t kMessage = 16;

// The listening end, on its own thread: accepts link ends and echoes what it reads, and
// reports everything each connection received before its end of stream.
class EchoServer {
 public:
  EchoServer(LinkEnds& link, bool echo) : echo_(echo) {
    acceptor_.emplace(listen_on(io_.get_executor(), link.endpoint));
    link_ = &link;
    asio::co_spawn(io_, accept_all(), asio::detached);
    thread_ = std::thread([this] { io_.run_for(30s); });
  }
  ~EchoServer() {
    io_.stop();
    thread_.join();
  }
  // The listening end's counters.
  const NodeStats& stats() const { return stats_; }
  // What the next connection to end received, up to its end of stream.
  std::string next_received() {
    std::unique_lock lock(mutex_);
    REQUIRE(ended_.wait_for(lock, 10s, [&] { return !received_.empty(); }));
    std::string r = std::move(received_.front());
    received_.pop_front();
    return r;
  }

 private:
  asio::awaitable<void> accept_all() {
    while (true) {
      auto [ec, socket] = co_await acceptor_->async_accept(nothrow);
      if (ec) co_return;
      std::unique_ptr<Stream> stream = accepted_end(std::move(socket), *link_, stats_);
      asio::co_spawn(io_, serve(std::move(stream)), asio::detached);
    }
  }

  asio::awaitable<void> serve(std::unique_ptr<Stream> stream) {
    std::string all;
    if (!co_await stream->handshake()) {
      char buf[4096];
      while (true) {
        auto [ec, n] = co_await stream->read_some(std::span<char>(buf, sizeof buf));
        if (ec) break;
        all.append(buf, n);
        if (echo_) {
          const std::string_view piece(buf, n);
          if (co_await stream->write(std::span<const std::string_view>(&piece, 1))) break;
        }
      }
    }
    co_await stream->shutdown();
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(all));
    ended_.notify_all();
  }

  asio::io_context io_{1};
  std::optional<Acceptor> acceptor_;
  LinkEnds* link_ = nullptr;
  NodeStats stats_;
  bool echo_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable ended_;
  std::deque<std::string> received_;  // per connection, in the order they ended
};


// One request/response of kMessage bytes.
inline asio::awaitable<bool> exchange(Stream& stream) {
  static constexpr std::string_view message = "0123456789abcdef";
  if (co_await stream.write(std::span<const std::string_view>(&message, 1))) co_return false;
  char buf[kMessage];
  size_t got = 0;
  while (got < kMessage) {
    auto [ec, n] = co_await stream.read_some(std::span<char>(buf + got, kMessage - got));
    if (ec) co_return false;
    got += n;
  }
  co_return true;
}


}  // namespace hopcost::test
