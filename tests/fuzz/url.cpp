// Node URLs (net/url.cpp), as `hopcost origin --listen` and `hop --upstream` take them.
// Input: the URL's text. URLs come from command-line arguments, which cannot hold a NUL
// byte, so inputs with one are skipped.
//
// Properties: a bad URL is one ConfigError, nothing else; an accepted one prints back
// (to_url) to a URL that parses to the same link kind and endpoint, and a TCP one's host is
// an address inet_pton reads (or localhost, stored as 127.0.0.1).
#include <algorithm>
#include <string>

#include "fuzz.hpp"
#include "net/url.hpp"
#include "util/errors.hpp"

using namespace hopcost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  if (text.find('\0') != std::string_view::npos) return 0;
  NodeUrl url;
  try {
    url = parse_node_url(text);
  } catch (const ConfigError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("malformed URL"));
    return 0;
  }
  FUZZ_CHECK(url.endpoint.transport == traits(url.kind).transport);
  if (url.endpoint.transport == Transport::uds) {
    FUZZ_CHECK(!url.endpoint.path.empty() && url.endpoint.path.front() == '/' && url.endpoint.path.size() < 108);
  } else {
    FUZZ_CHECK(!url.endpoint.host.empty() && url.endpoint.host != "localhost");
  }
  const std::string printed = to_url(url.kind, url.endpoint);
  NodeUrl again;
  try {
    again = parse_node_url(printed);
  } catch (const ConfigError&) {
    FUZZ_CHECK(false);  // what to_url prints must parse
  }
  FUZZ_CHECK(again.kind == url.kind && again.endpoint.transport == url.endpoint.transport &&
             again.endpoint.host == url.endpoint.host && again.endpoint.port == url.endpoint.port &&
             again.endpoint.path == url.endpoint.path);
  (void)is_loopback_host(url.endpoint.host);
  return 0;
}
