// A relay's pool of upstream connections (upstream policy `pool`, DESIGN.md "Words"):
// idle connections to the relay's upstream, kept open and lent to any downstream
// connection's request, one request/response exchange at a time (HAProxy `http-reuse`,
// Nginx upstream `keepalive`).
//
// One pool per relay. Every connection of a relay runs on the relay's one io_context
// thread, so the pool takes no lock. The most recently used idle connection is lent
// first (its peer is the least likely to have closed it), and a connection is opened
// only when none is idle, so the pool never holds more connections than the most ever
// in use at once. An idle connection is closed after `idle_timeout`, and beyond
// `max_idle` a connection given back is closed instead of kept.
//
// The idle connections live in a keeper coroutine's frame (spawned on the io_context at
// construction), not in the pool object: when the io_context is destroyed (Node::stop),
// it destroys that frame and with it every idle socket, while the io_context's services
// still exist. A socket destroyed after its io_context would touch freed memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "http/message_buffer.hpp"
#include "net/stream.hpp"

namespace hopcost {

// One upstream connection and the state that stays with it between its exchanges.
struct UpstreamConnection {
  std::unique_ptr<Stream> stream;
  // Its inbound bytes. Empty whenever the connection is idle: a connection given back
  // with bytes left over (more than the response) is not kept, so nothing leaks into the
  // next exchange.
  MessageBuffer buffer;
  uint64_t exchanges = 0;  // complete request/response exchanges it has carried
  std::chrono::steady_clock::time_point idle_since{};
};

struct UpstreamPoolSettings {
  size_t max_idle = 1024;
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);
};

class UpstreamPool {
 public:
  explicit UpstreamPool(asio::io_context& io, UpstreamPoolSettings settings = {});
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // Lends the most recently used idle connection, or returns null: then the caller opens
  // one and calls opened(). Either way the connection counts as in use until it comes
  // back through give_back() or discard().
  std::unique_ptr<UpstreamConnection> take();
  // A connection the caller has just opened (for a request) is in use.
  void opened();
  // After a complete exchange: keeps the connection idle if `reusable` (neither side said
  // `Connection: close`, nothing left over) and there is room; otherwise hands it back
  // to the caller, who closes it (an orderly shutdown).
  std::unique_ptr<UpstreamConnection> give_back(std::unique_ptr<UpstreamConnection> c, bool reusable);
  // A connection that failed: no longer in use, destroyed.
  void discard(std::unique_ptr<UpstreamConnection> c);

  size_t idle() const { return idle_.size(); }
  size_t in_use() const { return in_use_; }
  // The most connections the pool has held at once, idle and in use together (which is
  // also the most in use at once, but for the new connection of a retry).
  size_t peak() const { return peak_; }

 private:
  // Closes connections idle past the timeout, every quarter of it. Its frame owns the
  // idle connections' lifetime (see above); `self` tells it whether the pool still exists.
  asio::awaitable<void> keep(std::shared_ptr<UpstreamPool*> self);

  asio::io_context& io_;
  UpstreamPoolSettings settings_;
  // Oldest first, so that the connections past their idle timeout are a prefix. Owned by
  // the keeper's frame in this sense: the keeper clears it when the frame is destroyed.
  std::vector<std::unique_ptr<UpstreamConnection>> idle_;
  size_t in_use_ = 0;
  size_t peak_ = 0;
  std::shared_ptr<UpstreamPool*> self_;  // null inside once the pool is destroyed
  bool keeper_alive_ = false;            // the keeper's frame exists: connections may be kept
  asio::steady_timer* keeper_timer_ = nullptr;
};

}  // namespace hopcost
