// The open-loop schedule (wrk2's model). With a rate of R requests per second over C
// connections, connection c means to send its k-th request at
//     start + (k + c / C) × C / R.
// Taken together the connections send one request every 1/R, evenly spread. A
// connection carries one request at a time (HTTP/1.1 without pipelining): when its
// previous response is late, the next request goes out late, as soon as it can.
//
// Latency is then measured from this *intended* send time. A closed loop, or an open
// loop that measures from the actual send, waits for a stalled response before it sends
// the next request, and so never measures the waiting of the requests it did not send
// during the stall: coordinated omission. Measuring from the intended time charges that
// waiting to the requests that suffered it.
//
// Pure arithmetic on time points, so that it is tested without a clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace hopcost {

class Pacer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Pacer(TimePoint start, double rate_per_s, int connections, int index);

  // When request k (0, 1, …) of this connection is meant to be sent.
  TimePoint intended(uint64_t k) const;
  std::chrono::nanoseconds interval() const { return interval_; }

 private:
  TimePoint first_;
  std::chrono::nanoseconds interval_;
};

}  // namespace hopcost
