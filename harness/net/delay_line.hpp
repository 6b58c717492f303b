// The delay line's schedule, as pure logic on time points (no clock, no I/O), so that its
// tests are exact and instant. delayed_pipe.cpp stamps writes with the steady clock and
// sends what is due.
//
// An emulated network with round-trip time rtt (DESIGN.md, "Layers of a link"): a chunk
// written at t is due at the peer at t + rtt/2, in order, and each chunk's delay runs
// from its own write, not from the previous chunk's delivery, so pipelining is kept
// (toxiproxy's latency toxic does the same). The end that opened the connection also
// waits for the emulated TCP handshake: its first chunk is due at
// max(t, connected_at + rtt) + rtt/2. Only one direction is delayed here; the peer's end
// has its own delay line for the other, so a request and its response make one rtt.
//
// A peer without a delay line (a real program, topologies/real_node.hpp) leaves this end
// to carry the whole round trip: its chunks are due a whole rtt after they are written.
// When it accepted the connection, its pipe also holds what it reads until one rtt after
// the accept (delayed_pipe.cpp), standing in for the connect wait its peer does not do.
// Request and response, and each handshake flight and its answer, still make one rtt,
// and a new connection one more.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hopcost {

class DelayLine {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // `rtt` > 0. `connected_at`: for the end that opened the connection, when its
  // connection was established; empty for the end that accepted it. `alone`: the peer has
  // no delay line (above).
  DelayLine(std::chrono::nanoseconds rtt, std::optional<TimePoint> connected_at, bool alone = false);

  // Queues a copy of `bytes`, written at `now` (time points passed in are
  // non-decreasing).
  void push(TimePoint now, std::string_view bytes);

  bool empty() const { return head_ == bytes_.size(); }
  size_t queued_bytes() const { return bytes_.size() - head_; }

  // When the oldest queued chunk is due. Not empty().
  TimePoint next_due() const;

  // Every byte due at `now`, oldest first, in one piece (what one write may send).
  std::string_view due_bytes(TimePoint now) const;

  // The first `n` bytes of due_bytes() have been delivered.
  void consume(size_t n);

  // Drops everything queued (the connection was closed); the schedule goes on.
  void clear();

 private:
  struct Chunk {
    TimePoint due;
    size_t size;  // bytes still queued
  };

  std::chrono::nanoseconds one_way_;
  std::optional<TimePoint> handshake_done_;  // until the connecting end's first chunk
  TimePoint last_due_{};
  std::string bytes_;  // queued bytes from head_ on, in order
  size_t head_ = 0;
  std::vector<Chunk> chunks_;  // from first_ on
  size_t first_ = 0;
};

}  // namespace hopcost
