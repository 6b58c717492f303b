#include "cli/guard_flags.hpp"

#include <charconv>
#include <cmath>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "util/errors.hpp"

namespace hopcost {
namespace {

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

uint64_t parse_count(const std::string& flag, const std::string& text, uint64_t hi) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || text.empty() || v == 0 || v > hi)
    throw ConfigError(fmt::format("{}: '{}' is not a whole number from 1 to {}", flag, text, hi));
  return v;
}

}  // namespace

std::chrono::nanoseconds parse_timeout_seconds(const std::string& text) {
  double v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const double hi = seconds(kMaxNodeTimeout);
  if (ec != std::errc{} || p != text.data() + text.size() || !std::isfinite(v) || v <= 0 || v > hi)
    throw ConfigError(fmt::format("'{}' is not a number of seconds above 0 and at most {:g}", text, hi));
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(v));
}

void add_guard_flags(CLI::App& app, GuardFlags& f, bool relay) {
  const NodeLimits d;
  app.add_option("--head-timeout", f.head_timeout,
                 fmt::format("Seconds a client has to send a whole request (head, then body) from when the connection "
                             "is ready, or from the first byte of a request on a kept-alive one; then the connection is "
                             "closed, counted as a head timeout [default: {:g}]",
                             seconds(d.head_timeout)))
      ->type_name("SECONDS");
  app.add_option("--idle-timeout", f.idle_timeout,
                 fmt::format("Seconds a kept-alive connection may wait for its next request before it is closed "
                             "(counted, not an error) [default: {:g}]",
                             seconds(d.idle_timeout)))
      ->type_name("SECONDS");
  app.add_option("--handshake-timeout", f.handshake_timeout,
                 fmt::format("Seconds a TLS handshake may take, on --listen{} [default: {:g}]",
                             relay ? " and on --upstream" : "", seconds(d.handshake_timeout)))
      ->type_name("SECONDS");
  if (relay) {
    app.add_option("--connect-timeout", f.connect_timeout,
                   fmt::format("Seconds a connect to --upstream may take; then the client gets a 504 [default: {:g}]",
                               seconds(d.connect_timeout)))
        ->type_name("SECONDS");
    app.add_option("--response-timeout", f.response_timeout,
                   fmt::format("Seconds the upstream has for its whole response, from when the request went; then the "
                               "client gets a 504 (or, once the response has begun, a connection cut short) "
                               "[default: {:g}]",
                               seconds(d.response_timeout)))
        ->type_name("SECONDS");
  }
  app.add_option("--max-body", f.max_body,
                 fmt::format("Largest request body (Content-Length) accepted; beyond it, a 413 [default: {}]",
                             d.max_body_bytes))
      ->type_name("BYTES");
  app.add_option("--max-connections", f.max_connections,
                 "Accepted connections open at once; beyond it, a 503 and the close, so that the node never runs out "
                 "of file descriptors [default: the soft RLIMIT_NOFILE less 64, divided by the descriptors a "
                 "connection holds (a relay's two)]")
      ->type_name("N");
}

NodeLimits parse_guard_flags(const GuardFlags& f, int fds_per_connection) {
  NodeLimits l;
  auto timeout = [](const char* flag, const std::string& text, std::chrono::nanoseconds& into) {
    if (text.empty()) return;
    try {
      into = parse_timeout_seconds(text);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", flag, e.what()));
    }
  };
  timeout("--head-timeout", f.head_timeout, l.head_timeout);
  timeout("--idle-timeout", f.idle_timeout, l.idle_timeout);
  timeout("--handshake-timeout", f.handshake_timeout, l.handshake_timeout);
  timeout("--connect-timeout", f.connect_timeout, l.connect_timeout);
  timeout("--response-timeout", f.response_timeout, l.response_timeout);
  if (!f.max_body.empty()) l.max_body_bytes = parse_count("--max-body", f.max_body, uint64_t{1} << 40);
  l.max_connections = f.max_connections.empty() ? default_max_connections(fds_per_connection)
                                                : parse_count("--max-connections", f.max_connections, 10'000'000);
  return l;
}

}  // namespace hopcost
