#include <catch2/catch.hpp>

#include <sstream>

#include "metrics/instructions.hpp"

using namespace hopcost;

TEST_CASE("a callgrind dump gives its total and the inclusive cost of SSL_do_handshake") {
  // The shape callgrind 3.19 writes: compressed names, a call's inclusive cost on the line
  // after calls=, and totals at the end.
  std::istringstream dump(R"(# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 42
cmd:  hopcost run
part: 3
thread: 2
desc: I1 cache:
desc: Trigger: Client Request: hopcost-7:relay1
positions: line
events: Ir
summary: 1000000

ob=(1) /usr/lib/x86_64-linux-gnu/android/libssl.so.0
fl=(1) ???
fn=(10) hopcost::TlsStream::handshake()
0 500
cfn=(11) SSL_do_handshake
calls=2 0
0 300000
cfn=(12) SSL_read
calls=5 0
0 2000
fn=(13) hopcost::Relay::serve()
0 700
cfn=(11)
calls=1 0
0 150000
cfn=(14) memcpy
calls=3 0
+2 99

totals: 1000000
)");
  std::string label;
  const auto c = parse_callgrind_dump(dump, &label);
  CHECK(label == "hopcost-7:relay1");
  CHECK(c.total == 1000000);
  CHECK(c.handshake == 450000);  // both calls into SSL_do_handshake, and nothing else
}

TEST_CASE("not under valgrind, counting is a no-op") {
  CHECK_FALSE(under_callgrind());
  zero_thread_instructions();
  dump_thread_instructions("nothing");
}
