#include "net/delay_line.hpp"

#include <algorithm>

#include "util/check.hpp"

namespace hopcost {
namespace {
// Delivered bytes are dropped from the front of the buffer when the line is empty (the
// usual case: no copy at all), or when they are both many and most of the buffer.
constexpr size_t kCompactAbove = 64 * 1024;
// A drained line keeps at most this much buffer (an idle connection stays small).
constexpr size_t kKeepCapacity = 16 * 1024;
}  // namespace

DelayLine::DelayLine(std::chrono::nanoseconds rtt, std::optional<TimePoint> connected_at, bool alone)
    : one_way_(alone ? rtt : rtt / 2) {
  HOPCOST_CHECK(rtt > std::chrono::nanoseconds::zero());
  if (connected_at) handshake_done_ = *connected_at + rtt;
}

void DelayLine::push(TimePoint now, std::string_view bytes) {
  if (bytes.empty()) return;
  TimePoint sent = now;
  if (handshake_done_) {
    sent = std::max(now, *handshake_done_);
    handshake_done_.reset();
  }
  // In order: nothing overtakes a chunk still held by the connect delay.
  const TimePoint due = std::max(sent + one_way_, last_due_);
  last_due_ = due;
  bytes_.append(bytes);
  // A write of several buffers is one chunk: same due time.
  if (first_ < chunks_.size() && chunks_.back().due == due) {
    chunks_.back().size += bytes.size();
  } else {
    chunks_.push_back({due, bytes.size()});
  }
}

DelayLine::TimePoint DelayLine::next_due() const {
  HOPCOST_CHECK(first_ < chunks_.size());
  return chunks_[first_].due;
}

std::string_view DelayLine::due_bytes(TimePoint now) const {
  size_t n = 0;
  for (size_t i = first_; i < chunks_.size() && chunks_[i].due <= now; ++i) n += chunks_[i].size;
  return std::string_view(bytes_).substr(head_, n);
}

void DelayLine::consume(size_t n) {
  HOPCOST_CHECK(n <= queued_bytes());
  head_ += n;
  while (n > 0) {
    Chunk& c = chunks_[first_];
    const size_t take = std::min(n, c.size);
    c.size -= take;
    n -= take;
    if (c.size == 0) ++first_;
  }
  if (empty()) {
    clear();
    return;
  }
  if (head_ > kCompactAbove && head_ * 2 > bytes_.size()) {
    bytes_.erase(0, head_);
    head_ = 0;
  }
  if (first_ > 1024 && first_ * 2 > chunks_.size()) {
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
  }
}

void DelayLine::clear() {
  bytes_.clear();
  if (bytes_.capacity() > kKeepCapacity) std::string().swap(bytes_);
  head_ = 0;
  chunks_.clear();
  first_ = 0;
}

}  // namespace hopcost
