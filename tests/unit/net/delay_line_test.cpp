// The delay line's schedule on a fake clock: time points made up by the test, so every
// due time is exact and nothing sleeps.
#include <catch2/catch.hpp>

#include <string>

#include "net/delay_line.hpp"

using namespace hopcost;
using namespace std::chrono_literals;
using TimePoint = DelayLine::TimePoint;

namespace {

const TimePoint t0 = TimePoint(1s);  // any instant

// Delivers everything due at `now`, as the writer does.
std::string deliver(DelayLine& line, TimePoint now) {
  std::string out(line.due_bytes(now));
  line.consume(out.size());
  return out;
}

}  // namespace

TEST_CASE("delay line: a chunk is due rtt/2 after it was written, never before") {
  DelayLine line(2ms, std::nullopt);
  line.push(t0, "abc");
  REQUIRE_FALSE(line.empty());
  CHECK(line.next_due() == t0 + 1ms);
  CHECK(line.due_bytes(t0 + 1ms - 1ns).empty());
  CHECK(deliver(line, t0 + 1ms) == "abc");
  CHECK(line.empty());
}

TEST_CASE("delay line: chunks are delivered in order, those due together in one piece") {
  DelayLine line(2ms, std::nullopt);
  line.push(t0, "one ");
  line.push(t0 + 10us, "two ");
  line.push(t0 + 20us, "three");
  CHECK(line.queued_bytes() == 13);
  CHECK(deliver(line, t0 + 1ms + 15us) == "one two ");
  CHECK(line.next_due() == t0 + 1ms + 20us);
  CHECK(deliver(line, t0 + 5ms) == "three");
}

TEST_CASE("delay line: pipelining is kept, three chunks written 100 us apart arrive 100 us apart") {
  DelayLine line(1ms, std::nullopt);
  line.push(t0, "a");
  line.push(t0 + 100us, "b");
  line.push(t0 + 200us, "c");
  // Not 3 x rtt/2 apart: each delay runs from the chunk's own write.
  std::vector<TimePoint> due;
  while (!line.empty()) {
    const TimePoint at = line.next_due();
    due.push_back(at);
    CHECK(deliver(line, at).size() == 1);
  }
  REQUIRE(due.size() == 3);
  CHECK(due[0] == t0 + 500us);
  CHECK(due[1] - due[0] == 100us);
  CHECK(due[2] - due[1] == 100us);
}

TEST_CASE("delay line: a partial write leaves the rest of its chunk due as before") {
  DelayLine line(2ms, std::nullopt);
  line.push(t0, "hello");
  line.push(t0 + 1ms, "world");
  CHECK(line.due_bytes(t0 + 1ms) == "hello");
  line.consume(2);
  CHECK(line.next_due() == t0 + 1ms);
  CHECK(line.due_bytes(t0 + 1ms) == "llo");
  line.consume(3);
  CHECK(line.next_due() == t0 + 2ms);
  CHECK(deliver(line, t0 + 2ms) == "world");
}

TEST_CASE("delay line: the connecting end's first bytes wait one more rtt (the TCP handshake)") {
  const auto rtt = 2ms;
  SECTION("written at once: due at connect + rtt + rtt/2") {
    DelayLine line(rtt, t0);
    line.push(t0, "GET");
    CHECK(line.next_due() == t0 + 3ms);
  }
  SECTION("written after the emulated handshake is over: no extra wait") {
    DelayLine line(rtt, t0);
    line.push(t0 + 5ms, "GET");
    CHECK(line.next_due() == t0 + 6ms);
  }
  SECTION("written in between: due at connect + rtt + rtt/2") {
    DelayLine line(rtt, t0);
    line.push(t0 + 500us, "GET");
    CHECK(line.next_due() == t0 + 3ms);
  }
  SECTION("only the first chunk waits; later ones keep their order behind it") {
    DelayLine line(rtt, t0);
    line.push(t0, "first");
    line.push(t0 + 100us, "second");  // alone it would be due at t0 + 1.1 ms
    CHECK(deliver(line, t0 + 3ms) == "firstsecond");
    line.push(t0 + 4ms, "third");
    CHECK(line.next_due() == t0 + 5ms);
  }
  SECTION("the accepting end does not wait") {
    DelayLine line(rtt, std::nullopt);
    line.push(t0, "HTTP/1.1 200");
    CHECK(line.next_due() == t0 + 1ms);
  }
}

TEST_CASE("delay line: cancellation drops what is queued, and the line can go on") {
  DelayLine line(2ms, t0);
  line.push(t0, "never delivered");
  line.push(t0 + 100us, "nor this");
  line.clear();
  CHECK(line.empty());
  CHECK(line.queued_bytes() == 0);
  CHECK(line.due_bytes(t0 + 1s).empty());
  // The handshake wait was spent on the dropped chunk; the next is due rtt/2 after it
  // is written, and not before what was dropped would have been.
  line.push(t0 + 10ms, "after");
  CHECK(line.next_due() == t0 + 11ms);
  CHECK(deliver(line, t0 + 11ms) == "after");
}

TEST_CASE("delay line: much queued and partly delivered stays whole and in order") {
  DelayLine line(2ms, std::nullopt);
  std::string sent, received;
  for (int i = 0; i < 5000; ++i) {
    const std::string chunk = std::to_string(i) + std::string(40, 'x') + ";";
    sent += chunk;
    line.push(t0 + std::chrono::microseconds(i), chunk);
    // Deliver a little, in odd sizes, now and then (a socket that takes part).
    if (i % 7 == 0) {
      const std::string_view due = line.due_bytes(t0 + std::chrono::microseconds(i));
      const size_t n = std::min<size_t>(due.size(), 333);
      received.append(due.substr(0, n));
      line.consume(n);
    }
  }
  received += deliver(line, t0 + 1s);
  CHECK(line.empty());
  CHECK(received == sent);
}

TEST_CASE("delay line alone (its peer, a real program, has none): a whole rtt per chunk, the connecting end waits for the connect") {
  // Connecting end: the connect's rtt, then the whole rtt of the round trip.
  DelayLine client(2ms, t0, true);
  client.push(t0, "hello");
  CHECK(client.next_due() == t0 + 2ms + 2ms);
  client.push(t0 + 5ms, "again");  // later chunks: one whole rtt
  deliver(client, t0 + 4ms);
  CHECK(client.next_due() == t0 + 5ms + 2ms);
  // Accepting end: a whole rtt per chunk (its reads are held one rtt from the accept by
  // its pipe, delayed_pipe.cpp, for the connect its peer did not wait for).
  DelayLine server(2ms, std::nullopt, true);
  server.push(t0 + 100us, "first");
  CHECK(server.next_due() == t0 + 2100us);
}
