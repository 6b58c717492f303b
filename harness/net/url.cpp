#include "net/url.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

#include "util/errors.hpp"

namespace hopcost {
namespace {

constexpr std::string_view kAccepted =
    "accepted: tls://HOST:PORT, tcp://HOST:PORT, unix:/PATH, tls+unix:/PATH (PORT 0 picks one)";

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw ConfigError(fmt::format("malformed URL '{}': {}; {}", text, why, kAccepted));
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  const std::string h(host);
  return inet_pton(AF_INET, h.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

NodeUrl parse_node_url(std::string_view text) {
  NodeUrl url;
  auto strip = [&](std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
  };
  const std::string_view original = text;
  if (strip("tls+unix:") || strip("unix:")) {
    url.kind = original.substr(0, 4) == "tls+" ? LinkKind::tls_uds : LinkKind::uds;
    url.endpoint.transport = Transport::uds;
    if (text.substr(0, 2) == "//") text.remove_prefix(2);  // unix:///path is accepted too
    if (text.empty() || text.front() != '/') bad(original, "a Unix socket needs an absolute path");
    if (text.size() >= 108) bad(original, "the socket path is longer than 107 bytes");
    url.endpoint.path = std::string(text);
    return url;
  }
  if (strip("tls://")) {
    url.kind = LinkKind::tls;
  } else if (strip("tcp://")) {
    url.kind = LinkKind::tcp;
  } else {
    bad(original, "unknown scheme");
  }
  url.endpoint.transport = Transport::tcp;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      bad(original, "expected [IPV6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) bad(original, "no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!port.empty() && port.back() == '/') port.remove_suffix(1);
  unsigned value = 0;
  const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || value > 65535)
    bad(original, "the port must be a number from 0 to 65535");
  in_addr a4{};
  in6_addr a6{};
  const std::string h(host);
  if (h != "localhost" && inet_pton(AF_INET, h.c_str(), &a4) != 1 && inet_pton(AF_INET6, h.c_str(), &a6) != 1)
    bad(original, "the host must be an IP address or localhost");
  url.endpoint.host = h == "localhost" ? "127.0.0.1" : h;
  url.endpoint.port = static_cast<uint16_t>(value);
  return url;
}

std::string to_url(LinkKind kind, const Endpoint& e) {
  // A path that starts with "//" gets the "//" parse_node_url strips (unix:///path), so that
  // it reads back as itself, not one slash shorter.
  if (e.transport == Transport::uds)
    return fmt::format("{}:{}{}", traits(kind).tls ? "tls+unix" : "unix", e.path.starts_with("//") ? "//" : "", e.path);
  const bool v6 = e.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", traits(kind).tls ? "tls" : "tcp", v6 ? "[" : "", e.host, v6 ? "]" : "", e.port);
}

}  // namespace hopcost
