#include "load/driver.hpp"

#include <fmt/format.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "http/message_buffer.hpp"
#include "load/pacer.hpp"
#include "node/node.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

using Clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;

struct Failure {
  ErrorKind kind;
  std::string detail;
};

class ClosedLoop {
 public:
  ClosedLoop(const LinkEnds& entry, const LoadSettings& s, NodeStats& client)
      : entry_(entry), settings_(s), client_(client), body_(s.request_bytes, 'x') {
    const bool close = s.conn == ConnPolicy::new_connection;
    const std::string_view host = entry.server_name.empty() ? std::string_view("hopcost") : entry.server_name;
    head_start_ = fmt::format("{} / HTTP/1.1\r\nHost: {}\r\n{}: ", s.request_bytes ? "POST" : "GET", host,
                              kRequestIdHeader);
    head_end_ = "\r\n";
    if (s.request_bytes) head_end_ += fmt::format("Content-Length: {}\r\n", s.request_bytes);
    if (close) head_end_ += "Connection: close\r\n";
    head_end_ += "\r\n";
    head_end_ += body_;
  }

  LoadResult run(const std::function<void()>& window_opened) {
    asio::io_context io(1);
    const auto start = Clock::now();
    window_start_ = start + settings_.warmup;
    end_ = window_start_ + settings_.duration;
    asio::steady_timer window(io, window_start_);
    if (settings_.warmup.count() == 0) {
      window_opened();
    } else {
      window.async_wait([&](error_code ec) {
        if (!ec) window_opened();
      });
    }
    for (int i = 0; i < settings_.connections; ++i) spawn_logged(io, connection(i), "client connection");
    io.run();
    result_.measured = std::max(last_completion_, window_start_) - window_start_;
    const auto rate_end = settings_.requests ? last_success_ : std::max(end_, last_success_);
    result_.rate_window = std::max(rate_end, window_start_) - window_start_;
    return std::move(result_);
  }

 private:
  struct Connection {
    std::unique_ptr<Stream> stream;
    MessageBuffer buffer;
    bool reusable = false;
  };

  asio::awaitable<void> connection(int index) {
    Connection c;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    // Open loop: warm-up and the measured interval each have their own schedule, so that
    // a backlog left by warm-up is dropped, not carried into the measurement.
    std::optional<Pacer> pacer;
    bool measuring = false;
    if (settings_.rate) pacer.emplace(window_start_ - settings_.warmup, *settings_.rate, settings_.connections, index);
    for (uint64_t k = 0;; ++k) {
      if (pacer && !measuring && (pacer->intended(k) >= window_start_ || Clock::now() >= window_start_)) {
        pacer.emplace(window_start_, *settings_.rate, settings_.connections, index);
        measuring = true;
        k = 0;
      }
      // Open loop: wait for the intended send time; closed loop: go now.
      const auto intended = pacer ? pacer->intended(k) : Clock::now();
      if (!settings_.requests && (intended >= end_ || Clock::now() >= end_)) break;
      if (pacer && Clock::now() < intended) {
        timer.expires_at(intended);
        co_await timer.async_wait(nothrow);
      }
      const auto t0 = Clock::now();
      const bool measured = intended >= window_start_;
      // A fixed number of requests: the interval ends when the last of them has started.
      if (measured && settings_.requests && measured_started_++ >= settings_.requests) break;
      const uint64_t id = ++next_id_;
      timer.expires_at(t0 + settings_.timeout);
      // Whichever finishes first wins; the other is cancelled. Cancelling the exchange
      // aborts its connect, handshake, read or write wherever it stands.
      auto exchanged = exchange(c, id);  // named first: see docs/architecture.md, "Coroutines and GCC 12"
      auto timed_out = timer.async_wait(nothrow);
      auto outcome = co_await (std::move(exchanged) || std::move(timed_out));
      const auto t1 = Clock::now();
      std::optional<Failure> failure;
      if (outcome.index() == 1)
        failure = Failure{ErrorKind::timeout, fmt::format("no response within {} ms", settings_.timeout.count() / 1'000'000)};
      else
        failure = std::move(std::get<0>(outcome));
      // The measured interval ends when its last request ends, whatever its outcome.
      if (measured) last_completion_ = std::max(last_completion_, t1);
      if (!failure) {
        if (measured) {
          last_success_ = std::max(last_success_, t1);
          const auto latency = static_cast<uint64_t>((t1 - intended).count());
          result_.latency_ns.record(latency);
          if (pacer) result_.uncorrected_ns.record(static_cast<uint64_t>((t1 - t0).count()));
          result_.samples.push_back({id, static_cast<uint64_t>((t1 - t0).count())});
          ++result_.requests;
        }
      } else {
        client_.add_error(failure->kind, failure->detail);
        if (measured) ++result_.errors[failure->kind];
        c.reusable = false;
      }
      if (!c.reusable && c.stream) {
        if (!failure) co_await c.stream->shutdown();
        c.stream.reset();
      }
    }
    if (c.stream) co_await c.stream->shutdown();
  }

  // One request and its response on `c`, connecting first if needed. A failure is
  // built in a named local before co_return: GCC 12 can destroy a temporary with a
  // destructor made inside a co_return or co_await expression twice (docs/architecture.md).
  asio::awaitable<std::optional<Failure>> exchange(Connection& c, uint64_t request_id) {
    std::optional<Failure> failure;
    if (!c.stream) {
      auto [ec, stream] = co_await connect_end(entry_, client_);
      if (ec) {
        failure.emplace(Failure{ErrorKind::connect, ec.message()});
        co_return failure;
      }
      if ((ec = co_await stream->handshake())) {
        failure.emplace(Failure{ErrorKind::handshake, ec.message()});
        co_return failure;
      }
      c.stream = std::move(stream);
      c.buffer.clear();
    }
    char id[24];
    const auto id_len = fmt::format_to_n(id, sizeof id, "{}", request_id).size;
    const std::string_view request[] = {head_start_, std::string_view(id, id_len), head_end_};
    if (auto ec = co_await c.stream->write(request)) {
      failure.emplace(Failure{ErrorKind::write, ec.message()});
      co_return failure;
    }
    HttpHead head;
    const auto r = co_await c.buffer.read_head(*c.stream, MessageType::response, head);
    if (r.outcome != ReadOutcome::ok) {
      failure.emplace(Failure{ErrorKind::read, r.outcome == ReadOutcome::bad ? "bad response: " + r.detail
                                               : r.ec                          ? r.ec.message()
                                                                               : "connection closed before the response"});
      co_return failure;
    }
    const int status = head.status;
    const bool close = head.close;
    if (auto ec = co_await c.buffer.discard_body(*c.stream, head)) {
      failure.emplace(Failure{ErrorKind::read, ec.message()});
      co_return failure;
    }
    if (status != 200) {
      failure.emplace(Failure{ErrorKind::status, fmt::format("HTTP status {}", status)});
      co_return failure;
    }
    c.reusable = settings_.conn == ConnPolicy::keepalive && !close;
    co_return failure;
  }

  const LinkEnds& entry_;
  const LoadSettings& settings_;
  NodeStats& client_;
  const std::string body_;
  std::string head_start_, head_end_;
  Clock::time_point window_start_, end_, last_completion_{};
  uint64_t next_id_ = 0;
  uint64_t measured_started_ = 0;
  Clock::time_point last_success_{};
  LoadResult result_;
};

}  // namespace

LoadResult run_closed_loop(const LinkEnds& entry, const LoadSettings& settings, NodeStats& client,
                           const std::function<void()>& window_opened) {
  HOPCOST_CHECK(settings.connections > 0);
  ClosedLoop loop(entry, settings, client);
  return loop.run(window_opened);
}

}  // namespace hopcost
