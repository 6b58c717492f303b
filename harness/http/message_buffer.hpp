// One connection's inbound bytes, read message by message. Bytes that arrive after the
// end of one message stay buffered for the next.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "http/head.hpp"
#include "net/stream.hpp"

namespace hopcost {

enum class ReadOutcome {
  ok,      // a whole head is buffered and parsed
  closed,  // the peer closed cleanly before sending any byte of a new message
  bad,     // the bytes are not an HTTP/1.1 head hopcost accepts (`detail` says why)
  failed,  // the read failed or the peer closed mid-message (`ec` says how)
};

struct ReadResult {
  ReadOutcome outcome = ReadOutcome::ok;
  error_code ec;
  std::string detail;
  ParseResult parsed = ParseResult::ok;  // bad: which of parse_head's refusals
};

struct ForwardResult {
  error_code ec;
  bool write_failed = false;  // else a read of the body failed
};

// Memory: a buffer holds a block of kCapacity bytes only while it holds bytes. When it is
// empty (between messages: an idle keep-alive connection waiting for its next request),
// the block goes back to a per-thread pool, and the next read lands in a per-thread
// buffer, copied into a block from the pool once bytes have arrived. This relies on
// Stream::read_some writing into `into` only in the resumption that returns (both
// streams read synchronously, and wait for readiness without a buffer), so that no other
// connection of the thread can write into the shared landing buffer in between.
class MessageBuffer {
 public:
  static constexpr size_t kCapacity = 32 * 1024;

  MessageBuffer() = default;
  ~MessageBuffer() { release(); }
  MessageBuffer(const MessageBuffer&) = delete;
  MessageBuffer& operator=(const MessageBuffer&) = delete;

  // Forgets everything buffered (for a new connection).
  void clear() { release(); }

  // Reads from `from` until one whole head is buffered, and parses it into `head`.
  // `head.request_id` stays valid until the next call on this buffer.
  asio::awaitable<ReadResult> read_head(Stream& from, MessageType type, HttpHead& head);

  // After read_head: sends the head and the whole body to `to`, unchanged, reading the
  // rest of the body from `from` as it comes. Head and buffered body go in one write.
  // `last_write` (optional) is set just before the write of the message's last byte.
  // `head_pieces` (optional) are written in place of the head's bytes: a relay that drops
  // hop-by-hop headers (a pooling relay, node/relay.cpp); they may point into this buffer.
  asio::awaitable<ForwardResult> forward(Stream& from, Stream& to, const HttpHead& head,
                                         std::chrono::steady_clock::time_point* last_write = nullptr,
                                         std::span<const std::string_view> head_pieces = {});

  // After read_head: the message's bytes buffered so far, its head and as much of its
  // body as has arrived (the whole message when the size is head_bytes + content_length).
  // Valid until the next call on this buffer; discard_body consumes a whole message
  // without reading. A pooling relay keeps a whole request to send it again.
  std::string_view buffered_message(const HttpHead& head) const {
    // head_bytes + content_length could wrap near 2^64: compare the body's part alone.
    const size_t here = end_ - begin_;
    const size_t body = static_cast<size_t>(std::min<uint64_t>(here - head.head_bytes, head.content_length));
    return std::string_view(data_ + begin_, head.head_bytes + body);
  }
  // Whether no byte is buffered (none of a next message has arrived).
  bool empty() const { return begin_ == end_; }

  // After read_head: reads the body and drops it.
  asio::awaitable<error_code> discard_body(Stream& from, const HttpHead& head);

 private:
  std::string_view buffered() const { return {data_ + begin_, end_ - begin_}; }
  // Reads more into the free tail, making room first if needed.
  asio::awaitable<std::tuple<error_code, size_t>> read_more(Stream& from);
  // Gives the block back to the thread's pool, and forgets what it held: begin_ and end_
  // index into data_, so they go with it.
  void release();

  char* data_ = nullptr;  // a block of kCapacity bytes from the pool, or null when empty
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last byte read
};

}  // namespace hopcost
