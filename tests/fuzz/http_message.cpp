// The HTTP/1.1 head parser and the message framing (http/head.cpp, http/message_buffer.cpp)
// on a byte stream that arrives in fuzzer-chosen chunks, as a node reads its peer.
//
// Input: byte 0 flags (bit 0: responses, else requests; bits 1-2: what is done with each
// message: forward, discard_body, forward with the head replaced, or alternate; bit 3: the
// sink refuses its third write; bits 4-7: the largest chunk, 1 byte to 32 KiB), bytes 1-2
// the seed of the chunk sizes, then the stream.
//
// Properties: the framing does not depend on the chunking (every head read matches
// parse_head on the whole rest of the stream, a refusal is the same kind, and a stream that ends inside a message
// fails with eof, never reads as a clean close or a different message); a forwarded
// message is exactly its bytes (head and Content-Length body), or the replaced head and
// the body; head_bytes is within the data and the head limit; a clean close happens only
// at a message boundary; what stays buffered after a message is what was read past it.
#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <string>

#include "fuzz.hpp"
#include "http/head.hpp"
#include "http/message_buffer.hpp"

using namespace hopcost;

namespace {

// The peer: hands out the stream in chunks, then eof.
class Source final : public Stream {
 public:
  Source(std::string_view data, fuzz::Chunks chunks) : data_(data), chunks_(chunks) {}
  size_t position() const { return pos_; }

  asio::awaitable<error_code> handshake() override { co_return error_code{}; }
  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    FUZZ_CHECK(!into.empty());
    if (pos_ == data_.size()) co_return std::tuple{error_code(asio::error::eof), size_t{0}};
    const size_t n = std::min({chunks_.next(), into.size(), data_.size() - pos_});
    std::memcpy(into.data(), data_.data() + pos_, n);
    pos_ += n;
    co_return std::tuple{error_code{}, n};
  }
  asio::awaitable<error_code> write(std::span<const std::string_view>) override {
    FUZZ_CHECK(false);  // the framing never writes to the stream it reads
    co_return error_code{};
  }
  asio::awaitable<void> shutdown() override { co_return; }
  void abort() override {}

 private:
  std::string_view data_;
  fuzz::Chunks chunks_;
  size_t pos_ = 0;
};

// Where forwarded messages go; optionally fails its third write, as a peer that left.
class Sink final : public Stream {
 public:
  explicit Sink(bool fails) : fails_(fails) {}
  std::string got;

  asio::awaitable<error_code> handshake() override { co_return error_code{}; }
  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char>) override {
    FUZZ_CHECK(false);
    co_return std::tuple{error_code{}, size_t{0}};
  }
  asio::awaitable<error_code> write(std::span<const std::string_view> pieces) override {
    if (fails_ && ++writes_ == 3) co_return error_code(asio::error::broken_pipe);
    for (const auto piece : pieces) got.append(piece);
    co_return error_code{};
  }
  asio::awaitable<void> shutdown() override { co_return; }
  void abort() override {}

 private:
  bool fails_;
  int writes_ = 0;
};

// Neither ok nor incomplete: one of parse_head's refusals.
bool refused(ParseResult p) { return p != ParseResult::ok && p != ParseResult::incomplete; }

constexpr std::array<size_t, 16> kMaxChunk = {1, 2, 3, 5, 8, 13, 64, 100, 512, 1000, 4096, 8192, 16383, 16384, 16385, 32768};

asio::awaitable<void> drive(std::string_view stream, uint32_t flags, uint32_t seed) {
  const MessageType type = flags & 1 ? MessageType::response : MessageType::request;
  const uint32_t action = flags >> 1 & 3;
  Source source(stream, fuzz::Chunks(seed, kMaxChunk[flags >> 4 & 15]));
  Sink sink(flags & 8);
  MessageBuffer buffer;
  size_t start = 0;  // where the current message begins in `stream`
  for (int index = 0;; ++index) {
    HttpHead head;
    const ReadResult r = co_await buffer.read_head(source, type, head);
    const std::string_view rest = stream.substr(start);
    HttpHead expected;
    const ParseResult want = parse_head(rest, type, expected);
    switch (r.outcome) {
      case ReadOutcome::ok:
        FUZZ_CHECK(want == ParseResult::ok);
        break;
      case ReadOutcome::bad:  // the same refusal (400, 431 or 501) whatever the chunking
        FUZZ_CHECK(refused(want) && r.parsed == want && !r.detail.empty());
        co_return;
      case ReadOutcome::closed:
        FUZZ_CHECK(start == stream.size() && r.ec == asio::error::eof);
        co_return;
      case ReadOutcome::failed:
        FUZZ_CHECK(want == ParseResult::incomplete && r.ec == asio::error::eof);
        FUZZ_CHECK(source.position() == stream.size());
        co_return;
    }
    FUZZ_CHECK(head.head_bytes == expected.head_bytes && head.content_length == expected.content_length &&
               head.close == expected.close && head.status == expected.status &&
               head.request_id == expected.request_id);
    FUZZ_CHECK(head.head_bytes >= 4 && head.head_bytes <= rest.size() && head.head_bytes <= kMaxHeadBytes);
    FUZZ_CHECK(rest.substr(head.head_bytes - 4, 4) == "\r\n\r\n");
    if (type == MessageType::response) FUZZ_CHECK(head.status >= 100 && head.status <= 599);
    const std::string_view message = buffer.buffered_message(head);
    FUZZ_CHECK(message.size() >= head.head_bytes && rest.starts_with(message));

    // The message as it must come out: its head and body, nothing of the next one.
    const size_t body_here = std::min<uint64_t>(head.content_length, rest.size() - head.head_bytes);
    const bool whole = body_here == head.content_length;
    const std::string_view body = rest.substr(head.head_bytes, body_here);
    const uint32_t what = action == 3 ? static_cast<uint32_t>(index) % 3 : action;
    if (what == 1) {
      const error_code ec = co_await buffer.discard_body(source, head);
      if (ec) {
        FUZZ_CHECK(ec == asio::error::eof && !whole);
        co_return;
      }
      FUZZ_CHECK(whole);
    } else {
      // Replaced: a fixed piece and the head's first bytes, read from the buffer itself.
      const std::string_view replacement[] = {"HTTP/1.1 200 OK\r\n", message.substr(0, std::min<size_t>(head.head_bytes, 10))};
      const bool replaced = what == 2;
      std::string out = replaced ? std::string(replacement[0]) + std::string(replacement[1]) + std::string(body)
                                 : std::string(rest.substr(0, head.head_bytes + body_here));
      sink.got.clear();
      std::chrono::steady_clock::time_point last_write{};
      const ForwardResult f = co_await buffer.forward(source, sink, head, &last_write,
                                                      replaced ? std::span<const std::string_view>(replacement)
                                                               : std::span<const std::string_view>());
      if (f.write_failed) co_return;
      FUZZ_CHECK(out.starts_with(sink.got));
      if (f.ec) {
        FUZZ_CHECK(f.ec == asio::error::eof && !whole);
        co_return;
      }
      FUZZ_CHECK(whole && sink.got == out);
      FUZZ_CHECK(last_write != std::chrono::steady_clock::time_point{});
    }
    start += head.head_bytes + body_here;
    // What stays buffered is exactly what was read past the message.
    FUZZ_CHECK(buffer.empty() == (source.position() == start));
    FUZZ_CHECK(source.position() >= start);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Header header(data, size);
  const uint32_t flags = header.take(1);
  const uint32_t seed = header.take(2);
  const std::string_view stream = header.rest();

  // Also the parser alone, on the whole input, both ways.
  for (const MessageType type : {MessageType::request, MessageType::response}) {
    HttpHead h;
    std::string why;
    const std::string_view text = fuzz::as_text(data, size);
    const ParseResult p = parse_head(text, type, h, &why);
    if (p == ParseResult::ok) {
      FUZZ_CHECK(h.head_bytes <= text.size() && h.head_bytes <= kMaxHeadBytes);
      FUZZ_CHECK(h.request_id.empty() || (h.request_id.data() >= text.data() &&
                                          h.request_id.data() + h.request_id.size() <= text.data() + h.head_bytes));
    }
    FUZZ_CHECK(refused(p) == !why.empty());
  }

  static asio::io_context io;
  io.restart();
  std::exception_ptr failure;
  asio::co_spawn(io, drive(stream, flags, seed), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);  // no exception is expected: a finding
  return 0;
}
