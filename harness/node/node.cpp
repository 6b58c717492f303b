#include "node/node.hpp"

#include <pthread.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <algorithm>
#include <charconv>
#include <future>
#include <cstdio>

#include <fmt/format.h>

#include "net/transport.hpp"
#include "util/cpu_affinity.hpp"
#include "util/errors.hpp"
#include "util/check.hpp"

namespace hopcost {

using namespace asio::experimental::awaitable_operators;

void spawn_logged(asio::io_context& io, asio::awaitable<void> task, std::string what) {
  asio::co_spawn(io, std::move(task), [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "hopcost: %s: unexpected exception: %s\n", what.c_str(), x.what());
    }
  });
}

Node::Node(std::string name, Role role)
    : name_(std::move(name)), role_(role), io_(std::make_unique<asio::io_context>(1)) {
  watchdog_.set_limits(limits_);
}

void Node::set_limits(const NodeLimits& limits) {
  HOPCOST_CHECK(!thread_.joinable());
  limits_ = limits;
  watchdog_.set_limits(limits_);
}

Node::~Node() { stop(); }

void Node::listen(LinkEnds& downstream) {
  HOPCOST_CHECK(!acceptor_ && !thread_.joinable());
  acceptor_.emplace(listen_on(io_->get_executor(), downstream.endpoint));
  downstream_ = &downstream;
}

void Node::start(std::optional<int> cpu) {
  HOPCOST_CHECK(acceptor_ && !thread_.joinable());
  spawn_logged(*io_, accept_loop(), name_ + " accept");
  watchdog_.start(*io_);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    io_->run();
  });
  cpu_ = ThreadCpuClock::of(thread_.native_handle());
  if (cpu) {
    if (!pin_thread(thread_.native_handle(), *cpu)) {
      stop();
      throw RunError(fmt::format("{}: cannot pin to CPU {}", name_, *cpu));
    }
  }
}

void Node::stop() {
  if (!io_) return;
  if (thread_.joinable()) run_on_thread([this] { release(); });
  io_->stop();
  if (thread_.joinable()) thread_.join();
  cpu_ = ThreadCpuClock{};
  acceptor_.reset();
  io_.reset();
}

void Node::run_on_thread(const std::function<void()>& f) {
  HOPCOST_CHECK(thread_.joinable());
  std::promise<void> done;
  asio::post(*io_, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

std::string_view Node::response_head(std::span<char> buf, std::string_view status, size_t body_bytes,
                                    std::string_view request_id, bool close) {
  const auto n = fmt::format_to_n(buf.data(), buf.size(), "HTTP/1.1 {}\r\nContent-Length: {}\r\n{}: {}\r\n{}\r\n", status,
                                  body_bytes, kRequestIdHeader, request_id, close ? "Connection: close\r\n" : "")
                     .size;
  return {buf.data(), std::min(n, buf.size())};
}

void Node::record_residence(std::string_view request_id, std::chrono::steady_clock::time_point head_in,
                            std::chrono::steady_clock::time_point last_out) {
  if (!keep_residence_) return;
  uint64_t id = 0;
  const auto [p, ec] = std::from_chars(request_id.data(), request_id.data() + request_id.size(), id);
  if (ec != std::errc{} || p != request_id.data() + request_id.size() || residence_.size() >= kMaxResidenceSamples) return;
  residence_.push_back({id, static_cast<uint64_t>((last_out - head_in).count())});
}

bool Node::admit(const ReadResult& r, const HttpHead& request, Watch& watch, Refused& refused) {
  if (r.outcome == ReadOutcome::ok) {
    if (request.content_length <= limits_.max_body_bytes) return true;
    watch.disarm();
    refused.kind = Refusal::payload_too_large;
    refused.reason = fmt::format("Content-Length {} is beyond --max-body {}", request.content_length, limits_.max_body_bytes);
  } else if (r.outcome == ReadOutcome::bad) {
    watch.disarm();
    refused.kind = r.parsed == ParseResult::too_large     ? Refusal::headers_too_large
                   : r.parsed == ParseResult::unsupported ? Refusal::not_implemented
                                                          : Refusal::bad_request;
    refused.reason = r.detail;
  } else {
    watch.disarm();
    if (r.outcome == ReadOutcome::failed && !watch.fired()) stats_.add_error(ErrorKind::read, r.ec.message());
    return false;
  }
  stats_.add_error(ErrorKind::read, "bad request: " + refused.reason);
  return false;
}

namespace {

// Reads and drops up to `budget` bytes, until the peer closes or a read fails.
asio::awaitable<void> drain(Stream& stream, size_t budget) {
  char sink[4096];
  while (budget > 0) {
    auto [ec, n] = co_await stream.read_some(sink);
    if (ec) co_return;
    budget -= std::min(budget, n);
  }
}

}  // namespace

asio::awaitable<void> Node::refuse(Stream& stream, Refusal kind, const std::string& reason,
                                   std::chrono::nanoseconds linger) {
  stats_.add_refusal(kind);
  const std::string body = fmt::format("{}: {}\n", name_, reason);
  const std::string head = fmt::format("HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                       kRefusalLines[static_cast<int>(kind)], body.size());
  const std::string_view pieces[] = {head, body};
  const auto ec = co_await stream.write(pieces);  // named: GCC 12
  if (ec) co_return;  // the peer is gone: the refusal is counted either way
  asio::steady_timer timer(*io_, linger);
  auto drained = drain(stream, kLingerBytes);
  auto expired = timer.async_wait(nothrow);
  co_await (std::move(drained) || std::move(expired));
}

asio::awaitable<void> Node::accept_loop() {
  while (true) {
    auto [ec, socket] = co_await acceptor_->async_accept(nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors, say: the connection stays in the backlog and the
      // listener stays readable, so wait a little rather than spin.
      stats_.add_error(ErrorKind::connect, "accept: " + ec.message());
      asio::steady_timer pause(*io_, std::chrono::milliseconds(10));
      co_await pause.async_wait(nothrow);
      continue;
    }
    spawn_logged(*io_, handle(std::move(socket)), name_ + " connection");
  }
}

asio::awaitable<void> Node::handle(Socket socket) {
  // Counted from the accept to the close, whatever the way out.
  ++open_connections_;
  struct Open {
    uint64_t& n;
    ~Open() { --n; }
  } open{open_connections_};
  const bool over = limits_.max_connections > 0 && open_connections_ > limits_.max_connections;
  auto stream = accepted_end(std::move(socket), *downstream_, stats_);
  {
    Watch watch(watchdog_);
    watch.arm(Timeout::handshake, *stream);
    const auto ec = co_await stream->handshake();  // named: GCC 12
    watch.disarm();
    if (ec) {
      if (watch.fired()) co_return;  // counted by the watchdog
      if (ec != Stream::kClosedBeforeHandshake) stats_.add_handshake_failure(TlsSide::server, ec.message());
      co_return;
    }
  }
  if (over) {
    // Refused politely: before the process runs out of descriptors and its accepts fail.
    const std::string reason = fmt::format("{} connections are open, the most --max-connections allows",
                                           limits_.max_connections);
    stats_.add_error(ErrorKind::connect, "refused: " + reason);
    co_await refuse(*stream, Refusal::over_capacity, reason, std::chrono::milliseconds(100));  // the fd is the point
    co_await stream->shutdown();
    co_return;
  }
  co_await serve(std::move(stream));
}

}  // namespace hopcost
