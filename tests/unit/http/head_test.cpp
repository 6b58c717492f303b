#include <catch2/catch.hpp>

#include "http/head.hpp"

using namespace hopcost;

TEST_CASE("a request head: length, id, close") {
  const std::string_view data =
      "POST / HTTP/1.1\r\nHost: x\r\nx-hopcost-id: 42\r\ncontent-length: 5\r\nConnection: keep-alive, Close\r\n\r\nhello";
  HttpHead h;
  REQUIRE(parse_head(data, MessageType::request, h) == ParseResult::ok);
  CHECK(h.head_bytes == data.size() - 5);
  CHECK(h.content_length == 5);
  CHECK(h.request_id == "42");
  CHECK(h.close);
}

TEST_CASE("a response head: status, keep-alive by default in HTTP/1.1, close by default in 1.0") {
  HttpHead h;
  REQUIRE(parse_head("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", MessageType::response, h) ==
          ParseResult::ok);
  CHECK(h.status == 502);
  CHECK_FALSE(h.close);
  REQUIRE(parse_head("HTTP/1.0 200 OK\r\n\r\n", MessageType::response, h) == ParseResult::ok);
  CHECK(h.close);
  CHECK(h.content_length == 0);
}

TEST_CASE("incomplete heads wait for more, oversized and malformed heads are refused") {
  HttpHead h;
  std::string why;
  CHECK(parse_head("GET / HTTP/1.1\r\nHost: x\r\n", MessageType::request, h) == ParseResult::incomplete);
  CHECK(parse_head(std::string(kMaxHeadBytes, 'a'), MessageType::request, h, &why) == ParseResult::too_large);
  CHECK(parse_head("GET / HTTP/1.1\r\nX: " + std::string(kMaxHeadBytes, 'a') + "\r\n\r\n", MessageType::request, h, &why) ==
        ParseResult::too_large);
  CHECK(parse_head("GET /\r\n\r\n", MessageType::request, h, &why) == ParseResult::bad);
  CHECK(parse_head("GET / HTTP/2.0\r\n\r\n", MessageType::request, h, &why) == ParseResult::bad);
  CHECK(parse_head("HTTP/1.1 abc\r\n\r\n", MessageType::response, h, &why) == ParseResult::bad);
  CHECK(parse_head("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", MessageType::request, h, &why) == ParseResult::bad);
  CHECK(parse_head("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", MessageType::request, h,
                   &why) == ParseResult::bad);
  CHECK(why == "conflicting Content-Length headers");
  // 20 digits: beyond 2^64, malformed (a 413 needs a length that parses).
  CHECK(parse_head("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", MessageType::request, h, &why) ==
        ParseResult::bad);
  CHECK(why == "malformed Content-Length");
  CHECK(parse_head("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", MessageType::request, h, &why) ==
        ParseResult::unsupported);
  CHECK_THAT(why, Catch::Contains("Content-Length"));
  // Both framing headers, in either order: the smuggling RFC 9112 warns of, a bad request.
  CHECK(parse_head("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", MessageType::request,
                   h, &why) == ParseResult::bad);
  CHECK(why == "both Content-Length and Transfer-Encoding");
  CHECK(parse_head("GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", MessageType::request,
                   h, &why) == ParseResult::bad);
  CHECK(parse_head(std::string("\x16\x03\x01\x00\xa5\x01\r\n\r\n", 10), MessageType::request, h, &why) == ParseResult::bad);
  CHECK(parse_head("GET / HTTP/1.1\r\nno colon\r\n\r\n", MessageType::request, h, &why) == ParseResult::bad);
}
