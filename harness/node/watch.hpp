// A node's timeouts without a timer per wait. Each connection's Watch says what it waits
// for (a Timeout of node/guard.hpp) and since which tick; the node's Watchdog ticks every
// quarter of its shortest timeout and aborts the stream of every watch whose wait has
// lasted longer than its limit, so that the wait fails wherever it stands. Arming a
// watch is a few stores (no clock read, no system call), which keeps the guard off the
// keep-alive hot path (docs/performance.md). A wait fires between its limit and its
// limit plus two ticks after it began.
//
// Idle turns into head: a watch armed for `idle` with the connection's buffer switches to
// `head` at the first tick that finds a byte of the next request buffered, so that a slow
// client gets the head timeout from its first byte, and an idle one the idle timeout.
//
// Everything here runs on the node's thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "http/message_buffer.hpp"
#include "net/stream.hpp"
#include "node/guard.hpp"

namespace hopcost {

class NodeStats;
class Watchdog;

class Watch {
 public:
  explicit Watch(Watchdog& dog);  // registers with the node's watchdog
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // `stream` waits for `what` from now; `buffer` (idle only) is the one whose first byte
  // turns the wait into `head`. Forgets a timeout that fired before.
  void arm(Timeout what, Stream& stream, const MessageBuffer* buffer = nullptr);
  // A connect waits for `what` from now: the watchdog closes *connecting (set by
  // connect_to while its connect is pending) when it fires.
  void arm(Timeout what, Socket** connecting);
  // The wait is over; the stream may go.
  void disarm() { armed_ = false; }
  // The timeout that aborted the stream since the last arm, if one did.
  std::optional<Timeout> fired() const { return fired_; }

 private:
  friend class Watchdog;
  // Arms `what` from the current tick, on one of the two targets.
  void begin(Timeout what, Stream* stream, Socket** connecting, const MessageBuffer* buffer);
  Watchdog& dog_;
  Watch* prev_ = nullptr;
  Watch* next_ = nullptr;
  Stream* stream_ = nullptr;
  Socket** connecting_ = nullptr;  // instead of stream_, for a connect
  const MessageBuffer* buffer_ = nullptr;
  Timeout what_ = Timeout::head;
  bool armed_ = false;
  std::optional<Timeout> fired_;
  uint32_t since_ = 0;
};

class Watchdog {
 public:
  explicit Watchdog(NodeStats& stats) : stats_(stats) {}
  // The limits to enforce; called before start(). The tick is a quarter of the shortest.
  void set_limits(const NodeLimits& limits);
  // Starts ticking on `io` (the node's), until the io_context stops; its timer lives in
  // the coroutine's frame, destroyed with the io_context, before the watchdog.
  void start(asio::io_context& io);

 private:
  friend class Watch;
  asio::awaitable<void> run();
  void sweep();

  NodeStats& stats_;
  std::chrono::nanoseconds period_ = std::chrono::seconds(1);
  std::array<uint32_t, kTimeouts> limit_ticks_{};
  std::array<std::chrono::nanoseconds, kTimeouts> limits_{};
  uint32_t tick_ = 0;
  Watch* first_ = nullptr;
};

}  // namespace hopcost
