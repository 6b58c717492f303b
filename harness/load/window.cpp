#include "load/window.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/check.hpp"

namespace hopcost {

MeasuredWindow::MeasuredWindow(const Settings& settings, TimePoint start)
    : s_(settings), start_(start), warmup_end_(start + settings.warmup) {
  HOPCOST_CHECK(settings.connections > 0);
}

MeasuredWindow::Admit MeasuredWindow::admit(TimePoint now, TimePoint intended) {
  switch (phase_) {
    case Phase::warmup:
      if (now < warmup_end_) break;
      if (s_.establish_all && established_ + failing_ < s_.connections) {
        if (!established_at_end_) established_at_end_ = established_;
        if (now - warmup_end_ > s_.setup_limit) {
          phase_ = Phase::failed;
          failure_ = fmt::format(
              "setup did not finish: after {:.1f} s of warm-up ({:.1f} s asked for), {} of {} keep-alive connections "
              "were established; fewer --connections or --hops, or a longer --warmup",
              std::chrono::duration<double>(now - start_).count(), std::chrono::duration<double>(s_.warmup).count(),
              established_, s_.connections);
          return Admit::stop;
        }
        break;  // warm-up goes on until every connection is established
      }
      phase_ = Phase::opening;
      return Admit::wait;
    case Phase::opening:
      return Admit::wait;
    case Phase::measuring:
      if (s_.requests ? measured_started_ >= s_.requests : std::max(now, intended) >= window_end_) {
        phase_ = Phase::closing;
        return Admit::stop;
      }
      ++measured_started_;
      ++in_flight_;
      return Admit::measured;
    case Phase::closing:
    case Phase::closed:
    case Phase::failed:
      return Admit::stop;
  }
  ++in_flight_;
  return Admit::warmup;
}

void MeasuredWindow::done() {
  HOPCOST_CHECK(in_flight_ > 0);
  --in_flight_;
}

MeasuredWindow::Edge MeasuredWindow::edge() {
  if (in_flight_ > 0 || edge_taken_) return Edge::none;
  if (phase_ == Phase::opening) {
    edge_taken_ = true;
    return Edge::open;
  }
  if (phase_ == Phase::closing) {
    edge_taken_ = true;
    return Edge::close;
  }
  return Edge::none;
}

void MeasuredWindow::opened(TimePoint now) {
  HOPCOST_CHECK(phase_ == Phase::opening && in_flight_ == 0);
  phase_ = Phase::measuring;
  edge_taken_ = false;
  window_start_ = now;
  window_end_ = now + s_.duration;
  established_at_open_ = established_;
}

void MeasuredWindow::closed(TimePoint now) {
  HOPCOST_CHECK(phase_ == Phase::closing && in_flight_ == 0);
  phase_ = Phase::closed;
  closed_at_ = now;
}

std::chrono::nanoseconds MeasuredWindow::warmup_extension() const {
  if (phase_ == Phase::warmup || phase_ == Phase::opening || phase_ == Phase::failed) return {};
  return std::max(std::chrono::nanoseconds(0), window_start_ - warmup_end_);
}

}  // namespace hopcost
