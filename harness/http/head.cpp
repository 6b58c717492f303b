#include "http/head.hpp"

#include <charconv>

namespace hopcost {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if the comma-separated `list` holds `token` (case-insensitive).
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

ParseResult fail(std::string* why, std::string_view text, ParseResult result = ParseResult::bad) {
  if (why) *why = std::string(text);
  return result;
}

}  // namespace

ParseResult parse_head(std::string_view data, MessageType type, HttpHead& head, std::string* why) {
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return data.size() >= kMaxHeadBytes ? fail(why, "head larger than 16 KiB", ParseResult::too_large)
                                        : ParseResult::incomplete;
  if (end + 4 > kMaxHeadBytes) return fail(why, "head larger than 16 KiB", ParseResult::too_large);
  head = HttpHead{};
  head.head_bytes = end + 4;
  std::string_view lines = data.substr(0, end + 2);  // every line ends with CRLF

  const size_t eol = lines.find("\r\n");
  const std::string_view start = lines.substr(0, eol);
  lines.remove_prefix(eol + 2);
  bool http10 = false;
  if (type == MessageType::response) {
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (start.size() < 12 || start.substr(0, 7) != "HTTP/1." || start[8] != ' ')
      return fail(why, "malformed status line");
    http10 = start[7] == '0';
    const auto [p, ec] = std::from_chars(start.data() + 9, start.data() + 12, head.status);
    if (ec != std::errc{} || p != start.data() + 12 || head.status < 100 || head.status > 599)
      return fail(why, "malformed status code");
  } else {
    // METHOD SP target SP HTTP/1.x
    const size_t sp1 = start.find(' ');
    const size_t sp2 = start.rfind(' ');
    if (sp1 == 0 || sp1 == std::string_view::npos || sp2 == sp1) return fail(why, "malformed request line");
    const std::string_view version = start.substr(sp2 + 1);
    if (version.size() != 8 || version.substr(0, 7) != "HTTP/1.") return fail(why, "not an HTTP/1.x request");
    http10 = version[7] == '0';
  }

  bool keep_alive = false, saw_length = false, saw_transfer_encoding = false;
  while (!lines.empty()) {
    const size_t line_end = lines.find("\r\n");
    const std::string_view line = lines.substr(0, line_end);
    lines.remove_prefix(line_end + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(why, "malformed header line");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      uint64_t n = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || p != value.data() + value.size() || value.empty())
        return fail(why, "malformed Content-Length");
      if (saw_length && n != head.content_length) return fail(why, "conflicting Content-Length headers");
      head.content_length = n;
      saw_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      saw_transfer_encoding = true;
    } else if (iequals(name, "connection")) {
      head.close = head.close || has_token(value, "close");
      keep_alive = keep_alive || has_token(value, "keep-alive");
    } else if (iequals(name, kRequestIdHeader)) {
      head.request_id = value;
    }
  }
  if (saw_transfer_encoding && saw_length) return fail(why, "both Content-Length and Transfer-Encoding");
  if (saw_transfer_encoding)
    return fail(why, "Transfer-Encoding is not supported; frame bodies with Content-Length", ParseResult::unsupported);
  if (http10 && !keep_alive) head.close = true;
  return ParseResult::ok;
}

}  // namespace hopcost
