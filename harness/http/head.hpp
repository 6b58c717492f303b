// HTTP/1.1 framing, just enough to know where a message ends: the start line, the
// Content-Length, Connection: close, and hopcost's request id. Relays forward the bytes
// they received, unchanged; nothing is re-serialised. Plain functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hopcost {

// ASCII case-insensitive equality, as HTTP header names compare.
bool iequals(std::string_view a, std::string_view b);


inline constexpr size_t kMaxHeadBytes = 16 * 1024;
inline constexpr std::string_view kRequestIdHeader = "X-Hopcost-Id";

enum class MessageType { request, response };
// What a node answers each with: bad 400, too_large 431, unsupported 501 (node/guard.hpp).
enum class ParseResult {
  incomplete,   // no blank line yet, within kMaxHeadBytes
  ok,
  bad,          // not an HTTP/1.x head, a malformed Content-Length, or both framing headers
  too_large,    // kMaxHeadBytes without the end of the head
  unsupported,  // Transfer-Encoding: bodies must be framed by Content-Length
};

struct HttpHead {
  size_t head_bytes = 0;        // start line and headers, through the blank line
  uint64_t content_length = 0;  // body bytes after the head
  bool close = false;           // the connection ends after this exchange
  int status = 0;               // responses: the status code
  std::string_view request_id;  // the X-Hopcost-Id value, if any (points into the data)
};

// Parses the head at the start of `data`. `why` (optional) says what is wrong when the
// result is neither ok nor incomplete. Bodies must be framed by Content-Length: a head
// with Transfer-Encoding is unsupported, and bad if it has Content-Length too (the
// request smuggling of RFC 9112, section 6.1).
ParseResult parse_head(std::string_view data, MessageType type, HttpHead& head, std::string* why = nullptr);

}  // namespace hopcost
