#include "http/message_buffer.hpp"

#include <cstring>
#include <memory>
#include <vector>

#include "util/check.hpp"

namespace hopcost {
namespace {

// Blocks of MessageBuffer::kCapacity bytes, per thread. Only buffers that hold bytes
// (messages being read or forwarded) have one, so the pool holds about as many as the
// thread's most requests in progress at once; beyond kMaxFree, blocks are freed.
// Set when the thread's pool is destroyed (thread exit), for buffers destroyed later.
thread_local bool pool_gone = false;

class BlockPool {
 public:
  static constexpr size_t kMaxFree = 256;

  ~BlockPool() {
    for (char* b : free_) delete[] b;
    pool_gone = true;
  }
  char* take() {
    if (free_.empty()) return new char[MessageBuffer::kCapacity];
    char* b = free_.back();
    free_.pop_back();
    return b;
  }
  void give(char* b) {
    if (free_.size() >= kMaxFree) {
      delete[] b;
      return;
    }
    free_.push_back(b);
  }
  // Where a read lands while the buffer is empty (see message_buffer.hpp).
  char* landing() { return landing_.get(); }

 private:
  std::vector<char*> free_;
  std::unique_ptr<char[]> landing_{new char[MessageBuffer::kCapacity]};
};

BlockPool& pool() {
  static thread_local BlockPool p;
  return p;
}

}  // namespace

void MessageBuffer::release() {
  begin_ = end_ = 0;
  if (!data_) return;
  if (pool_gone)
    delete[] data_;
  else
    pool().give(data_);
  data_ = nullptr;
}

asio::awaitable<std::tuple<error_code, size_t>> MessageBuffer::read_more(Stream& from) {
  if (begin_ == end_) {
    // Empty: hold no block while waiting, which may last as long as the connection
    // stays idle. The bytes land in the thread's buffer and are copied into a block
    // before anything else runs on this thread.
    release();
    char* landing = pool().landing();
    auto [ec, n] = co_await from.read_some(std::span(landing, kCapacity));
    if (n > 0) {
      data_ = pool().take();
      std::memcpy(data_, landing, n);
      end_ = n;
    }
    co_return std::tuple{ec, n};
  }
  if (end_ == kCapacity) {
    std::memmove(data_, data_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  HOPCOST_CHECK(end_ < kCapacity);
  auto [ec, n] = co_await from.read_some(std::span(data_ + end_, kCapacity - end_));
  end_ += n;
  co_return std::tuple{ec, n};
}

asio::awaitable<ReadResult> MessageBuffer::read_head(Stream& from, MessageType type, HttpHead& head) {
  ReadResult result;
  while (true) {
    const ParseResult parsed = parse_head(buffered(), type, head, &result.detail);
    if (parsed == ParseResult::ok) co_return result;
    if (parsed != ParseResult::incomplete) {
      result.outcome = ReadOutcome::bad;
      result.parsed = parsed;
      co_return result;
    }
    const bool nothing_yet = begin_ == end_;
    auto [ec, n] = co_await read_more(from);
    if (ec) {
      // A peer that closes an idle connection, cleanly or with a reset (HAProxy resets its
      // idle plaintext server connections), ends it: no request was lost.
      const bool ended = ec == asio::error::eof || ec == asio::error::connection_reset;
      result.outcome = nothing_yet && ended ? ReadOutcome::closed : ReadOutcome::failed;
      result.ec = ec;
      co_return result;
    }
  }
}

asio::awaitable<ForwardResult> MessageBuffer::forward(Stream& from, Stream& to, const HttpHead& head,
                                                     std::chrono::steady_clock::time_point* last_write,
                                                     std::span<const std::string_view> head_pieces) {
  HOPCOST_CHECK(end_ - begin_ >= head.head_bytes);
  uint64_t body_left = head.content_length;
  const size_t body_here = static_cast<size_t>(std::min<uint64_t>(body_left, end_ - begin_ - head.head_bytes));
  const std::string_view first[] = {std::string_view(data_ + begin_, head.head_bytes + body_here)};
  std::vector<std::string_view> replaced;  // only when the head is replaced
  if (!head_pieces.empty()) {
    replaced.assign(head_pieces.begin(), head_pieces.end());
    if (body_here > 0) replaced.push_back(std::string_view(data_ + begin_ + head.head_bytes, body_here));
  }
  const std::span<const std::string_view> pieces = head_pieces.empty() ? std::span<const std::string_view>(first)
                                                                        : std::span<const std::string_view>(replaced);
  begin_ += head.head_bytes + body_here;
  body_left -= body_here;
  if (last_write && body_left == 0) *last_write = std::chrono::steady_clock::now();
  if (auto ec = co_await to.write(pieces)) co_return ForwardResult{ec, true};
  while (body_left > 0) {
    auto [ec, n] = co_await read_more(from);
    if (ec) co_return ForwardResult{ec, false};
    const size_t take = static_cast<size_t>(std::min<uint64_t>(body_left, end_ - begin_));
    const std::string_view piece[] = {std::string_view(data_ + begin_, take)};
    begin_ += take;
    body_left -= take;
    if (last_write && body_left == 0) *last_write = std::chrono::steady_clock::now();
    if (auto wec = co_await to.write(piece)) co_return ForwardResult{wec, true};
  }
  if (begin_ == end_) release();  // the message is out; nothing waits for the next one
  co_return ForwardResult{};
}

asio::awaitable<error_code> MessageBuffer::discard_body(Stream& from, const HttpHead& head) {
  HOPCOST_CHECK(end_ - begin_ >= head.head_bytes);
  begin_ += head.head_bytes;
  uint64_t body_left = head.content_length;
  while (true) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(body_left, end_ - begin_));
    begin_ += take;
    body_left -= take;
    if (body_left == 0) {
      if (begin_ == end_) release();
      co_return error_code{};
    }
    auto [ec, n] = co_await read_more(from);
    if (ec) co_return ec;
  }
}

}  // namespace hopcost
