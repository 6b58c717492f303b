#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "hopcost_build_info.hpp"
#include "report/result.hpp"
#include "tls/boringssl.hpp"

namespace hopcost {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

}  // namespace

Context collect_context() {
  Context c;
  c.hopcost_version = HOPCOST_VERSION;
  c.git_revision = HOPCOST_GIT_REVISION;
  c.build_type = HOPCOST_BUILD_TYPE;
#ifndef NDEBUG
  c.build_type += " (assertions on)";
#endif
  c.compiler = fmt::format("GCC {}", __VERSION__);
  c.tls_library = fmt::format("BoringSSL (API {}, Debian {})", BORINGSSL_API_VERSION, HOPCOST_BORINGSSL_PACKAGE);
  c.cpu_model = cpu_model();
  c.cores = static_cast<int>(std::thread::hardware_concurrency());
  utsname u{};
  if (uname(&u) == 0) c.kernel = fmt::format("{} {}", u.sysname, u.release);
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) c.hostname = host;
  c.started_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
  c.cpu_governor = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  return c;
}

std::vector<std::string> context_warnings(const Context& c) {
  std::vector<std::string> w;
  if (c.build_type.find("Release") == std::string::npos || c.build_type.find("assertions") != std::string::npos)
    w.push_back(fmt::format("this is a {} build: figures are not representative; build Release (scripts/run does)",
                            c.build_type));
  return w;
}

}  // namespace hopcost
