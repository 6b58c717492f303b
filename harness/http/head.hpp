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
enum class ParseResult { incomplete, ok, bad };

struct HttpHead {
  size_t head_bytes = 0;        // start line and headers, through the blank line
  uint64_t content_length = 0;  // body bytes after the head
  bool close = false;           // the connection ends after this exchange
  int status = 0;               // responses: the status code
  std::string_view request_id;  // the X-Hopcost-Id value, if any (points into the data)
};

// Parses the head at the start of `data`. `why` (optional) says what is wrong on `bad`.
// Bodies must be framed by Content-Length: Transfer-Encoding is refused.
ParseResult parse_head(std::string_view data, MessageType type, HttpHead& head, std::string* why = nullptr);

}  // namespace hopcost
