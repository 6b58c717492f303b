#include "node/upstream_pool.hpp"

#include <algorithm>

#include "node/node.hpp"
#include "util/check.hpp"

namespace hopcost {

UpstreamPool::UpstreamPool(asio::io_context& io, UpstreamPoolSettings settings)
    : io_(io), settings_(settings), self_(std::make_shared<UpstreamPool*>(this)) {
  spawn_logged(io_, keep(self_), "upstream pool");
}

UpstreamPool::~UpstreamPool() {
  // The io_context still runs (a pool destroyed before it): close the idle connections
  // here and let the keeper, woken, see that the pool is gone.
  *self_ = nullptr;
  idle_.clear();
  if (keeper_timer_) keeper_timer_->cancel();
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take() {
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  ++in_use_;
  return c;
}

void UpstreamPool::opened() {
  ++in_use_;
  peak_ = std::max(peak_, in_use_ + idle_.size());
}

std::unique_ptr<UpstreamConnection> UpstreamPool::give_back(std::unique_ptr<UpstreamConnection> c, bool reusable) {
  HOPCOST_CHECK(in_use_ > 0);
  --in_use_;
  if (!reusable || !c->buffer.empty() || idle_.size() >= settings_.max_idle || !*self_ || !keeper_alive_) return c;
  c->idle_since = std::chrono::steady_clock::now();
  idle_.push_back(std::move(c));
  return nullptr;
}

void UpstreamPool::discard(std::unique_ptr<UpstreamConnection> c) {
  HOPCOST_CHECK(in_use_ > 0);
  --in_use_;
  c.reset();
}

asio::awaitable<void> UpstreamPool::keep(std::shared_ptr<UpstreamPool*> self) {
  // Destroyed with this frame, which the io_context destroys when it is destroyed: the
  // idle sockets go while its services still exist.
  struct Guard {
    std::shared_ptr<UpstreamPool*> self;
    ~Guard() {
      if (UpstreamPool* p = *self) {
        p->idle_.clear();
        p->keeper_alive_ = false;
        p->keeper_timer_ = nullptr;
      }
    }
  } guard{self};
  asio::steady_timer timer(io_);
  keeper_alive_ = true;
  keeper_timer_ = &timer;
  const auto period = std::max<std::chrono::nanoseconds>(settings_.idle_timeout / 4, std::chrono::milliseconds(1));
  std::vector<std::unique_ptr<UpstreamConnection>> expired;
  while (true) {
    timer.expires_after(period);
    co_await timer.async_wait(nothrow);
    UpstreamPool* pool = *self;
    if (!pool) co_return;  // the pool is gone: `this` with it
    const auto now = std::chrono::steady_clock::now();
    const auto end = std::find_if(idle_.begin(), idle_.end(),
                                  [&](const auto& c) { return now - c->idle_since < settings_.idle_timeout; });
    expired.assign(std::make_move_iterator(idle_.begin()), std::make_move_iterator(end));
    idle_.erase(idle_.begin(), end);
    // Idle connections are not in use by anyone: an orderly close of each, one by one.
    for (auto& c : expired)
      if (c->stream) co_await c->stream->shutdown();
    expired.clear();
    if (!*self) co_return;
  }
}

}  // namespace hopcost
