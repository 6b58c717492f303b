// Instruction counts under valgrind's callgrind: a figure that noise cannot move. Wall
// clocks on shared machines vary by up to 30% between runs; the instructions a chain
// executes for N requests repeat to a few in ten thousand (docs/gate.md measures it).
//
// Callgrind keeps its counters per thread, and the client requests below act on the
// calling thread: so each node's thread zeroes its own counters when the measured
// interval opens and dumps them, under a label naming the node, when it closes. Every
// dump is one file (`<prefix>.<part>-<thread>`) whose "desc: Trigger" line carries the
// label; hopcost reads them back and deletes them.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>

namespace hopcost {

// True when this process runs under valgrind.
bool under_callgrind();

// Zeroes the calling thread's counters / dumps them under `label` (no-ops natively).
void zero_thread_instructions();
void dump_thread_instructions(const std::string& label);

struct InstructionCounts {
  uint64_t total = 0;      // every instruction the thread executed
  uint64_t handshake = 0;  // of which inside SSL_do_handshake (inclusive of what it calls)
};

// Parses one callgrind dump (format of callgrind 3.x, a single event Ir); sets `label` to
// the client request's trigger text. Pure.
InstructionCounts parse_callgrind_dump(std::istream& in, std::string* label);

// Reads every dump written under `prefix` whose label starts with `label_prefix`, by
// label (the rest of it), and deletes them. Throws RunError if one cannot be read.
std::map<std::string, InstructionCounts> take_instruction_dumps(const std::string& prefix,
                                                                const std::string& label_prefix);

// The environment variable naming the dump prefix, set by `hopcost run
// --count-instructions` for the copy of itself it runs under callgrind.
inline constexpr const char* kCallgrindPrefixEnv = "HOPCOST_CALLGRIND_OUT";

}  // namespace hopcost
