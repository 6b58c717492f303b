#include <catch2/catch.hpp>

#include "net/url.hpp"
#include "util/errors.hpp"

using namespace hopcost;

TEST_CASE("node URLs: every scheme parses and prints back") {
  auto u = parse_node_url("tls://127.0.0.1:8443");
  CHECK(u.kind == LinkKind::tls);
  CHECK(u.endpoint.transport == Transport::tcp);
  CHECK(u.endpoint.host == "127.0.0.1");
  CHECK(u.endpoint.port == 8443);
  CHECK(to_url(u.kind, u.endpoint) == "tls://127.0.0.1:8443");
  u = parse_node_url("tcp://[::1]:0");
  CHECK(u.kind == LinkKind::tcp);
  CHECK(u.endpoint.host == "::1");
  CHECK(u.endpoint.port == 0);
  CHECK(to_url(u.kind, u.endpoint) == "tcp://[::1]:0");
  u = parse_node_url("tcp://localhost:80");
  CHECK(u.endpoint.host == "127.0.0.1");
  u = parse_node_url("unix:/tmp/a.sock");
  CHECK(u.kind == LinkKind::uds);
  CHECK(u.endpoint.path == "/tmp/a.sock");
  CHECK(to_url(u.kind, u.endpoint) == "unix:/tmp/a.sock");
  u = parse_node_url("tls+unix:/tmp/b.sock");
  CHECK(u.kind == LinkKind::tls_uds);
  CHECK(u.endpoint.transport == Transport::uds);
  CHECK(to_url(u.kind, u.endpoint) == "tls+unix:/tmp/b.sock");
  // unix:///path is unix:/path; a path that starts with "//" prints to a URL that reads
  // back as the same path (found by the url fuzz target).
  u = parse_node_url("unix:///tmp/c.sock");
  CHECK(u.endpoint.path == "/tmp/c.sock");
  CHECK(to_url(u.kind, u.endpoint) == "unix:/tmp/c.sock");
  for (const std::string_view text : {"unix:////tmp/d.sock", "unix://///tmp/d.sock", "tls+unix:////x"}) {
    u = parse_node_url(text);
    CHECK(parse_node_url(to_url(u.kind, u.endpoint)).endpoint.path == u.endpoint.path);
  }
  CHECK(parse_node_url("unix:////tmp/d.sock").endpoint.path == "//tmp/d.sock");
}

TEST_CASE("malformed node URLs say what is wrong and what is accepted") {
  auto error = [](std::string_view text) {
    try {
      parse_node_url(text);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("http://127.0.0.1:80"), Catch::Contains("unknown scheme") && Catch::Contains("tls+unix:/PATH"));
  CHECK_THAT(error("tls://127.0.0.1"), Catch::Contains("no port"));
  CHECK_THAT(error("tls://127.0.0.1:99999"), Catch::Contains("0 to 65535"));
  CHECK_THAT(error("tls://127.0.0.1:x"), Catch::Contains("0 to 65535"));
  CHECK_THAT(error("tcp://example.com:80"), Catch::Contains("IP address or localhost"));
  CHECK_THAT(error("unix:relative.sock"), Catch::Contains("absolute path"));
  CHECK_THAT(error("tcp://[::1:80"), Catch::Contains("[IPV6]:PORT"));
}

TEST_CASE("loopback hosts") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
}
