#include "report/reporter.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/errors.hpp"

namespace hopcost {

std::unique_ptr<Reporter> make_console_reporter();
std::unique_ptr<Reporter> make_json_reporter();
std::unique_ptr<Reporter> make_csv_reporter();
std::unique_ptr<Reporter> make_html_reporter();
std::unique_ptr<Reporter> make_markdown_reporter();

namespace {
constexpr std::array<std::string_view, 4> kFormats{"table", "json", "csv", "html"};
constexpr std::array<std::string_view, 5> kNames{"table", "json", "csv", "html", "markdown"};
}  // namespace

std::span<const std::string_view> reporter_formats() { return kFormats; }
std::span<const std::string_view> reporter_names() { return kNames; }

std::unique_ptr<Reporter> make_reporter(std::string_view format) {
  if (format == "table") return make_console_reporter();
  if (format == "json") return make_json_reporter();
  if (format == "csv") return make_csv_reporter();
  if (format == "html") return make_html_reporter();
  if (format == "markdown") return make_markdown_reporter();
  return nullptr;
}

std::string marginal_group(const Marginal& m) {
  std::string group = fmt::format("{} TLS {} {}", m.placement, m.tls, m.conn);
  if (m.upstream && *m.upstream != "1:1") group += " " + *m.upstream;
  if (m.rtt_us && *m.rtt_us > 0) group += fmt::format(" rtt {:g} µs", *m.rtt_us);
  if (!m.tls_setup.empty()) group += " " + m.tls_setup;
  if (m.rate) group += fmt::format(" rate {}/s", *m.rate);
  return group;
}

std::string marginal_figure_text(const MarginalFigure& f, std::string_view unit) {
  if (!f.ci95) return fmt::format("{:+.0f} {}", f.value, unit);
  return fmt::format("{:+.0f} {} [{:+.0f}, {:+.0f}]", f.value, unit, f.ci95->low, f.ci95->high);
}

void write_file_atomically(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw RunError(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const bool flushed = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  const int saved = errno;
  std::fclose(f);
  if (!written || !flushed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = written && flushed ? errno : saved;
    std::remove(tmp.c_str());
    throw RunError(fmt::format("cannot write {}: {}", path, std::strerror(err)));
  }
}

}  // namespace hopcost
