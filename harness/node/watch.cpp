#include "node/watch.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "node/stats.hpp"

namespace hopcost {

Watch::Watch(Watchdog& dog) : dog_(dog), next_(dog.first_) {
  if (next_) next_->prev_ = this;
  dog.first_ = this;
}

Watch::~Watch() {
  if (prev_)
    prev_->next_ = next_;
  else
    dog_.first_ = next_;
  if (next_) next_->prev_ = prev_;
}

void Watch::begin(Timeout what, Stream* stream, Socket** connecting, const MessageBuffer* buffer) {
  what_ = what;
  stream_ = stream;
  connecting_ = connecting;
  buffer_ = buffer;
  since_ = dog_.tick_;
  fired_.reset();
  armed_ = true;
}

void Watch::arm(Timeout what, Socket** connecting) { begin(what, nullptr, connecting, nullptr); }

void Watch::arm(Timeout what, Stream& stream, const MessageBuffer* buffer) { begin(what, &stream, nullptr, buffer); }

void Watchdog::set_limits(const NodeLimits& l) {
  auto at = [&](Timeout t) -> std::chrono::nanoseconds& { return limits_[static_cast<int>(t)]; };
  at(Timeout::handshake) = l.handshake_timeout;
  at(Timeout::head) = l.head_timeout;
  at(Timeout::idle) = l.idle_timeout;
  at(Timeout::upstream_connect) = l.connect_timeout;
  at(Timeout::upstream_handshake) = l.handshake_timeout;
  at(Timeout::upstream_response) = l.response_timeout;
  const auto shortest = *std::min_element(limits_.begin(), limits_.end());
  period_ = std::clamp<std::chrono::nanoseconds>(shortest / 4, std::chrono::milliseconds(1), std::chrono::seconds(1));
  for (int i = 0; i < kTimeouts; ++i)
    limit_ticks_[i] = static_cast<uint32_t>((limits_[i].count() + period_.count() - 1) / period_.count());
}

void Watchdog::start(asio::io_context& io) { asio::co_spawn(io, run(), asio::detached); }

asio::awaitable<void> Watchdog::run() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    timer.expires_after(period_);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (ec) co_return;
    ++tick_;
    sweep();
  }
}

void Watchdog::sweep() {
  for (Watch* w = first_; w; w = w->next_) {
    if (!w->armed_) continue;
    if (w->what_ == Timeout::idle && w->buffer_ && !w->buffer_->empty()) {
      w->what_ = Timeout::head;  // the next request has begun
      w->since_ = tick_;
      continue;
    }
    const int k = static_cast<int>(w->what_);
    // Armed at some instant inside tick since_: more than limit ticks later, at least the
    // limit has passed.
    if (tick_ - w->since_ <= limit_ticks_[k]) continue;
    w->armed_ = false;
    w->fired_ = w->what_;
    stats_.add_timeout(w->what_, std::chrono::duration<double>(limits_[k]).count());
    if (w->stream_) {
      w->stream_->abort();
    } else if (w->connecting_ && *w->connecting_) {
      error_code ignored;
      (*w->connecting_)->close(ignored);
    }
  }
}

}  // namespace hopcost
