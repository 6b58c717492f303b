#include "metrics/instructions.hpp"

#include <valgrind/callgrind.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "util/errors.hpp"

namespace hopcost {

bool under_callgrind() { return RUNNING_ON_VALGRIND != 0; }

void zero_thread_instructions() { CALLGRIND_ZERO_STATS; }

void dump_thread_instructions(const std::string& label) { CALLGRIND_DUMP_STATS_AT(label.c_str()); }

namespace {

// The last number of a cost line: its Ir (one event), after the position.
uint64_t last_number(const std::string& line) {
  const size_t space = line.find_last_of(' ');
  return std::stoull(space == std::string::npos ? line : line.substr(space + 1));
}

}  // namespace

InstructionCounts parse_callgrind_dump(std::istream& in, std::string* label) {
  constexpr std::string_view kTrigger = "desc: Trigger: Client Request: ";
  constexpr std::string_view kHandshake = "SSL_do_handshake";
  InstructionCounts c;
  // Function names may be compressed: "cfn=(12) name" defines id 12, "cfn=(12)" reuses it.
  // fn= and cfn= share the id space.
  std::unordered_map<std::string, std::string> names;
  auto function = [&](std::string_view spec) {
    std::string s(spec);
    if (!s.empty() && s[0] == '(') {
      const size_t close = s.find(')');
      const std::string id = s.substr(0, close + 1);
      if (close + 1 < s.size()) names[id] = s.substr(close + 2);
      return names[id];
    }
    return s;
  };
  bool calls_handshake = false;  // the next cost line is a call's inclusive cost into SSL_do_handshake
  bool after_calls = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kTrigger, 0) == 0) {
      if (label) *label = line.substr(kTrigger.size());
    } else if (line.rfind("totals:", 0) == 0) {
      c.total = last_number(line);
    } else if (line.rfind("summary:", 0) == 0 && c.total == 0) {
      c.total = last_number(line);
    } else if (line.rfind("fn=", 0) == 0) {
      function(std::string_view(line).substr(3));
      calls_handshake = false;
    } else if (line.rfind("cfn=", 0) == 0) {
      calls_handshake = function(std::string_view(line).substr(4)) == kHandshake;
    } else if (line.rfind("calls=", 0) == 0) {
      after_calls = true;
    } else if (after_calls) {
      // The cost line right after calls= is the inclusive cost of that call.
      if (calls_handshake && !line.empty() && line.find('=') == std::string::npos) c.handshake += last_number(line);
      after_calls = false;
      calls_handshake = false;
    }
  }
  return c;
}

std::map<std::string, InstructionCounts> take_instruction_dumps(const std::string& prefix,
                                                                const std::string& label_prefix) {
  namespace fs = std::filesystem;
  std::map<std::string, InstructionCounts> out;
  const fs::path p(prefix);
  const std::string stem = p.filename().string() + ".";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(p.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0) continue;  // "<prefix>.<part>-<thread>": client request dumps only
    std::ifstream in(entry.path());
    if (!in) throw RunError(fmt::format("cannot read the callgrind dump {}", entry.path().string()));
    std::string label;
    const auto counts = parse_callgrind_dump(in, &label);
    if (label.rfind(label_prefix, 0) != 0) continue;
    out[label.substr(label_prefix.size())] = counts;
    fs::remove(entry.path(), ec);
  }
  return out;
}

}  // namespace hopcost
