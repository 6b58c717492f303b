// Scenario files (scenario/scenario.cpp: `hopcost run FILE.toml`), TOML through toml++
// and the one table of keys. Input: the file's text, handed to load_scenario_file through
// an in-memory file (memfd), as a file on disk would be.
//
// Properties: a bad file is one ConfigError; an accepted scenario has a JSON form; every
// key's value, written as on the command line (scenario_value_text), sets that key to the
// same value again; and its matrix (expand) is variants or one ConfigError, each variant
// with links of its topology (only for small matrices: the fuzzer would otherwise spend
// its time on a product of long lists, which the parser bounds anyway).
#include <sys/mman.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fuzz.hpp"
#include "scenario/scenario.hpp"
#include "util/errors.hpp"

using namespace hopcost;

namespace {

// One in-memory file, rewritten for every input.
class MemFile {
 public:
  MemFile() : fd_(memfd_create("hopcost-fuzz-scenario", 0)) { FUZZ_CHECK(fd_ >= 0); }
  std::string write(std::string_view text) {
    FUZZ_CHECK(ftruncate(fd_, 0) == 0);
    for (size_t done = 0; done < text.size();) {
      const ssize_t n = pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(done));
      FUZZ_CHECK(n > 0);
      done += static_cast<size_t>(n);
    }
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

size_t matrix_size(const Scenario& s) {
  size_t n = 1;
  for (size_t axis : {s.topologies.size(), s.hops.size(), s.tls.size(), s.conn.size(), s.placement.size(),
                      s.upstream.size(), s.rtt.size(), std::max<size_t>(1, s.rate.size()), s.key.size(),
                      std::max<size_t>(1, s.group.size()), s.resume.size(), s.upstream_resume.size(), s.relay.size(),
                      s.db.size(), s.db_link.size(), s.db_server_link.size(), s.db_policy.size()}) {
    n *= std::max<size_t>(1, axis);
    if (n > 4096) return n;
  }
  return n;
}

std::vector<std::string> command_line_values(std::string_view key, const std::string& text) {
  if (key != "topology") return {text};
  std::vector<std::string> out;  // one --topology per topology (scenario_value_text joins them with spaces)
  size_t pos = 0;
  while (true) {
    const size_t space = text.find(' ', pos);
    out.push_back(text.substr(pos, space == std::string::npos ? std::string::npos : space - pos));
    if (space == std::string::npos) return out;
    pos = space + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static MemFile file;
  const std::string path = file.write(fuzz::as_text(data, size));
  Scenario s;
  try {
    s = load_scenario_file(path);
  } catch (const ConfigError& e) {
    FUZZ_CHECK(std::string_view(e.what()).find(path) != std::string_view::npos);  // names the file
    return 0;
  }
  (void)scenario_to_json(s).dump();
  for (const ScenarioKey& key : scenario_keys()) {
    const std::string text = scenario_value_text(s, key.key);
    if (text.empty()) continue;  // a key at its "none" (no --requests, no --out)
    Scenario again = s;
    try {
      set_scenario_value(again, key.key, command_line_values(key.key, text));
    } catch (const ConfigError&) {
      FUZZ_CHECK(false);  // a value as printed must be accepted
    }
    FUZZ_CHECK(again == s);
  }
  if (matrix_size(s) > 4096) return 0;
  std::vector<Variant> variants;
  try {
    variants = expand(s);
  } catch (const ConfigError& e) {
    FUZZ_CHECK(*e.what() != '\0');
    return 0;
  }
  for (const Variant& v : variants) {
    FUZZ_CHECK(v.hops() >= 1);
    if (v.topology.is_explicit()) FUZZ_CHECK(v.links == v.topology.links);
  }
  return 0;
}
