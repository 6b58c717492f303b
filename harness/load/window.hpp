// The measured window's two edges, each a barrier (issue #8). Pure logic on time points
// handed in, so that it is tested without a clock (tests/unit/load/window_test.cpp).
//
// Why barriers: the nodes' counters (handshakes, CPU, bytes, errors) are read as
// snapshots when the window opens and when it closes. A request in flight at either
// edge does work on both sides of it: its handshakes would be counted in the window while
// the request is not, and handshakes per request read above the number of links (+20%
// at 32 hops). So:
// - at the end of warm-up no connection starts a new request; when the last request in
//   flight has ended (its connection closed, under --conn new), the window opens, and
//   every connection starts again: nothing begun before the window is counted in it;
// - with keep-alive, the window opens only once every connection is open and has
//   carried a request (connected and handshaken on every link), or has just failed (a
//   chain that refuses connections is measured as failing, not waited for): warm-up
//   extends until then, by at most `setup_limit`, after which the variant fails, saying
//   how long setup took;
// - at the end no connection starts a new request; when the last measured request has
//   ended, the window closes, before any connection is shut down.
// Each request is bounded by the driver's timeout, so each barrier is too.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace hopcost {

class MeasuredWindow {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Settings {
    std::chrono::nanoseconds warmup{0};
    std::chrono::nanoseconds duration{std::chrono::seconds(1)};
    std::chrono::nanoseconds setup_limit{std::chrono::seconds(60)};  // warm-up's extension, at most
    int connections = 1;
    bool establish_all = false;  // keep-alive: every connection established before the window
    uint64_t requests = 0;       // measured requests to start (0: the window lasts `duration`)
  };

  enum class Phase { warmup, opening, measuring, closing, closed, failed };
  // What a connection does with the request it is about to start.
  enum class Admit { warmup, measured, wait, stop };
  // What the end of a request means for the window.
  enum class Edge { none, open, close };

  MeasuredWindow(const Settings& settings, TimePoint start);

  // A connection asks to start a request meant to go at `intended` (closed loop: now).
  // warmup and measured count it in flight until done(); wait: wait until the window
  // has opened, then ask again; stop: start no more requests.
  Admit admit(TimePoint now, TimePoint intended);
  // A request admitted by admit() has ended, its connection torn down if it was to be.
  void done();
  // After every admit() and done(): whether an edge is due now, that is, a barrier has
  // nothing left in flight. The caller takes its snapshot, then calls opened() or
  // closed(); until then the same edge is not returned again.
  Edge edge();
  void opened(TimePoint now);
  void closed(TimePoint now);

  // Keep-alive: a connection has become usable (+1) or lost its connection (-1); its
  // last request has failed (+1) or it is trying again (-1).
  void established(int delta) { established_ += delta; }
  void failing(int delta) { failing_ += delta; }

  Phase phase() const { return phase_; }
  TimePoint start() const { return start_; }
  TimePoint window_start() const { return window_start_; }
  TimePoint window_end() const { return window_end_; }  // the planned end (duration)
  TimePoint closed_at() const { return closed_at_; }
  // How much longer than asked warm-up lasted (0 if it did not extend).
  std::chrono::nanoseconds warmup_extension() const;
  // Set when the first extension began: the connections established then.
  std::optional<int> established_at_warmup_end() const { return established_at_end_; }
  int established() const { return established_; }
  // Keep-alive: the connections established when the window opened (all, unless some failed).
  int established_at_open() const { return established_at_open_; }
  // Why the window never opened (phase failed).
  const std::string& failure() const { return failure_; }

 private:
  Settings s_;
  Phase phase_ = Phase::warmup;
  TimePoint start_, warmup_end_, window_start_{}, window_end_{}, closed_at_{};
  uint64_t in_flight_ = 0;
  uint64_t measured_started_ = 0;
  int established_ = 0, failing_ = 0, established_at_open_ = 0;
  std::optional<int> established_at_end_;
  std::string failure_;
  bool edge_taken_ = false;
};

}  // namespace hopcost
