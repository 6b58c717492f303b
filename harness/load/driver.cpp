#include "load/driver.hpp"

#include <fmt/format.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <charconv>

#include "http/message_buffer.hpp"
#include "load/pacer.hpp"
#include "load/window.hpp"
#include "node/node.hpp"
#include "util/check.hpp"
#include "util/errors.hpp"

namespace hopcost {
namespace {

using Clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;

struct Failure {
  ErrorKind kind;
  std::string detail;
};

std::string_view phase_text(MeasuredWindow::Phase p) {
  switch (p) {
    case MeasuredWindow::Phase::warmup:
    case MeasuredWindow::Phase::opening:
      return "warmup";
    case MeasuredWindow::Phase::measuring:
      return "measured";
    default:
      return "ended";
  }
}

class ClosedLoop {
 public:
  ClosedLoop(const LinkEnds& entry, const LoadSettings& s, NodeStats& client)
      : entry_(entry), settings_(s), client_(client), body_(s.request_bytes, 'x') {
    const bool close = connection_per_request(s.conn);
    const std::string_view host = entry.server_name.empty() ? std::string_view("hopcost") : entry.server_name;
    head_start_ = fmt::format("{} / HTTP/1.1\r\nHost: {}\r\n{}: ", s.request_bytes ? "POST" : "GET", host,
                              kRequestIdHeader);
    head_end_ = "\r\n";
    if (s.request_bytes) head_end_ += fmt::format("Content-Length: {}\r\n", s.request_bytes);
    if (close) head_end_ += "Connection: close\r\n";
    head_end_ += "\r\n";
    head_end_ += body_;
  }

  LoadResult run(const WindowEdges& edges) {
    asio::io_context io(1);
    edges_ = &edges;
    window_.emplace(MeasuredWindow::Settings{settings_.warmup, settings_.duration, settings_.setup_limit,
                                             settings_.connections, settings_.conn == ConnPolicy::keepalive,
                                             settings_.requests},
                    Clock::now());
    gate_.emplace(io, Clock::time_point::max());
    live_ = settings_.connections;
    for (int i = 0; i < settings_.connections; ++i) spawn_logged(io, connection(i), "client connection");
    if (settings_.interval.count() > 0 && settings_.on_interval) {
      ticker_.emplace(io);
      spawn_logged(io, tick(window_->start()), "interval figures");
    }
    io_ = &io;
    io.run();
    gate_.reset();  // before the io_context it runs on
    ticker_.reset();
    if (edge_error_) std::rethrow_exception(edge_error_);
    if (window_->phase() == MeasuredWindow::Phase::failed) throw RunError(window_->failure());
    HOPCOST_CHECK(window_->phase() == MeasuredWindow::Phase::closed);
    const auto window_start = window_->window_start();
    result_.measured = window_->closed_at() - window_start;
    const auto rate_end = settings_.requests ? last_success_ : std::max(window_->window_end(), last_success_);
    result_.rate_window = std::max(rate_end, window_start) - window_start;
    result_.warmup_extension = window_->warmup_extension();
    if (settings_.conn == ConnPolicy::keepalive) result_.established_at_open = window_->established_at_open();
    return std::move(result_);
  }

 private:
  struct Connection {
    std::unique_ptr<Stream> stream;
    MessageBuffer buffer;
    bool reusable = false;
    bool established = false;  // counted in the window's established connections
    bool failing = false;      // counted in its failing ones: the last request failed
  };

  // The timeout of a request on an open connection, without a timer per request: the
  // request sets a deadline, and one timer per connection, armed at most once per
  // timeout period while requests keep coming, checks it when it expires. A deadline
  // that has moved on (the request it was armed for finished) re-arms the timer for the
  // current one; a deadline that has passed aborts the stream, so the exchange fails
  // wherever it stands and is counted as a timeout. Racing every request against its own
  // timer (`exchange || timer`, as for new connections below) costs a parallel group, two
  // spawned coroutines and their cancellation slots per request: with keep-alive, more
  // than half of the driver's instructions (docs/performance.md). Deadlines only move forward, so every request is aborted at most
  // `timeout` after it began, plus the timer's wake-up latency, as with a timer of its own.
  struct Watchdog {
    explicit Watchdog(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();  // max: no request in flight
    Stream* stream = nullptr;                               // the request's, while in flight
    bool armed = false;                                     // a wait is pending
    bool fired = false;                                     // the request in flight was aborted
    bool stopped = false;                                   // the connection is over

    static void arm(const std::shared_ptr<Watchdog>& w) {
      w->armed = true;
      w->timer.expires_at(w->deadline);
      w->timer.async_wait([w](error_code) {
        w->armed = false;
        if (w->stopped || w->deadline == Clock::time_point::max()) return;  // idle: the next request arms it
        if (Clock::now() < w->deadline) return arm(w);
        w->fired = true;
        w->stream->abort();
      });
    }
    // A request on `s` begins; it must finish by `by`.
    static void begin(const std::shared_ptr<Watchdog>& w, Stream& s, Clock::time_point by) {
      w->deadline = by;
      w->stream = &s;
      w->fired = false;
      if (!w->armed) arm(w);
    }
    // The request is over: whether the deadline aborted it.
    bool end() {
      deadline = Clock::time_point::max();
      stream = nullptr;
      return fired;
    }
    void stop() {
      stopped = true;
      timer.cancel();
    }
  };

  // Takes the edge the window has due, if any: the snapshot, then the window's new state.
  // A snapshot that throws (a node process has died) ends the run: run() rethrows it.
  void take_edge() {
    const auto edge = window_->edge();
    if (edge == MeasuredWindow::Edge::none) return;
    try {
      if (edge == MeasuredWindow::Edge::open) {
        if (edges_->opened) edges_->opened();
        window_->opened(Clock::now());
        gate_->cancel();  // wakes every connection waiting at the barrier
      } else {
        // The interval ends when the last request of it did, not after the snapshot: a slow
        // snapshot (a node process's, the database's counts) must not count as time measured.
        const auto ended = Clock::now();
        if (edges_->closed) edges_->closed();
        window_->closed(ended);
      }
    } catch (...) {
      edge_error_ = std::current_exception();
      io_->stop();
    }
  }

  // Interval figures (driver.hpp): one period after another from `start`, until the last
  // connection has ended, which cuts the last period short.
  asio::awaitable<void> tick(Clock::time_point start) {
    auto begun = start;
    for (int index = 1;; ++index) {
      ticker_->expires_at(start + index * settings_.interval);
      if (live_ > 0) co_await ticker_->async_wait(nothrow);
      const auto now = Clock::now();
      IntervalFigures f;
      f.index = index;
      f.end = now - start;
      f.length = now - begun;
      f.phase = phase_text(window_->phase());
      f.established = window_->established();
      f.requests = interval_requests_;
      f.latency_ns = &interval_latency_;
      f.errors = interval_errors_;
      settings_.on_interval(f);
      interval_latency_.reset();
      interval_requests_ = 0;
      interval_errors_ = {};
      begun = now;
      if (live_ == 0) co_return;
    }
  }

  // Keep-alive setup: where the connection stands after a request (load/window.hpp).
  void settle(Connection& c, bool established, bool failing) {
    if (c.established != established) window_->established(established ? 1 : -1);
    if (c.failing != failing) window_->failing(failing ? 1 : -1);
    c.established = established;
    c.failing = failing;
  }

  asio::awaitable<void> connection(int index) {
    Connection c;
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    const auto watchdog = std::make_shared<Watchdog>(executor);
    // Open loop: warm-up and the measured interval each have their own schedule, so that
    // a backlog left by warm-up is dropped, not carried into the measurement.
    std::optional<Pacer> pacer;
    bool measuring = false;
    if (settings_.rate) pacer.emplace(window_->start(), *settings_.rate, settings_.connections, index);
    for (uint64_t k = 0;; ++k) {
      // Open loop: wait for the intended send time; closed loop: go now.
      auto intended = pacer ? pacer->intended(k) : Clock::now();
      // A warm-up send time past the end of warm-up is not waited for: the barrier comes
      // next, then the measured schedule, from which latency is taken.
      if (pacer && !measuring && intended >= window_->start() + settings_.warmup) intended = Clock::now();
      if (pacer && Clock::now() < intended) {
        timer.expires_at(intended);
        co_await timer.async_wait(nothrow);
      }
      auto admitted = window_->admit(pacer ? Clock::now() : intended, intended);  // closed loop: intended is now
      while (admitted == MeasuredWindow::Admit::wait) {
        take_edge();  // the opening barrier may have nothing in flight already
        if (window_->phase() == MeasuredWindow::Phase::opening) co_await gate_->async_wait(nothrow);
        admitted = window_->admit(Clock::now(), Clock::now());
      }
      if (admitted == MeasuredWindow::Admit::stop) {
        take_edge();
        break;
      }
      if (admitted == MeasuredWindow::Admit::measured && pacer && !measuring) {
        // The measured schedule starts when the window opens.
        pacer.emplace(window_->window_start(), *settings_.rate, settings_.connections, index);
        measuring = true;
        k = 0;
        intended = pacer->intended(0);
        if (Clock::now() < intended) {
          timer.expires_at(intended);
          co_await timer.async_wait(nothrow);
        }
      }
      if (admitted == MeasuredWindow::Admit::warmup) note_warmup_extension();
      const bool measured = admitted == MeasuredWindow::Admit::measured;
      const auto t0 = Clock::now();
      if (!pacer) intended = t0;
      const uint64_t id = ++next_id_;
      std::optional<Failure> failure;
      bool timed_out = false;
      Clock::time_point t1;
      if (c.stream) {
        // An open connection: the watchdog bounds the request (see Watchdog).
        Watchdog::begin(watchdog, *c.stream, t0 + settings_.timeout);
        auto exchanged = exchange(c, id);  // named first: see docs/architecture.md, "Coroutines and GCC 12"
        auto outcome = co_await std::move(exchanged);
        t1 = Clock::now();
        failure = std::move(outcome);
        timed_out = watchdog->end();
      } else {
        // A new connection: whichever finishes first wins; the other is cancelled.
        // Cancelling the exchange aborts its connect, handshake, read or write wherever
        // it stands (the stream does not exist yet while connecting).
        timer.expires_at(t0 + settings_.timeout);
        auto exchanged = exchange(c, id);
        auto timer_done = timer.async_wait(nothrow);
        auto outcome = co_await (std::move(exchanged) || std::move(timer_done));
        t1 = Clock::now();
        if (outcome.index() == 1)
          timed_out = true;
        else
          failure = std::move(std::get<0>(outcome));
      }
      if (timed_out)
        failure = Failure{ErrorKind::timeout, fmt::format("no response within {} ms", settings_.timeout.count() / 1'000'000)};
      if (ticker_) {
        if (!failure) {
          interval_latency_.record(static_cast<uint64_t>((t1 - intended).count()));
          ++interval_requests_;
        } else {
          ++interval_errors_[failure->kind];
        }
      }
      if (!failure) {
        if (measured) {
          last_success_ = std::max(last_success_, t1);
          const auto latency = static_cast<uint64_t>((t1 - intended).count());
          result_.latency_ns.record(latency);
          if (pacer) result_.uncorrected_ns.record(static_cast<uint64_t>((t1 - t0).count()));
          if (settings_.keep_samples) result_.samples.push_back({id, static_cast<uint64_t>((t1 - t0).count())});
          ++result_.requests;
        }
      } else {
        if (failure->kind == ErrorKind::handshake)
          client_.add_handshake_failure(TlsSide::client, failure->detail);
        else
          client_.add_error(failure->kind, failure->detail);
        if (measured) ++result_.errors[failure->kind];
        c.reusable = false;
      }
      if (!c.reusable && c.stream) {
        if (!failure) co_await c.stream->shutdown();
        c.stream.reset();
      }
      settle(c, c.stream != nullptr, failure.has_value());
      window_->done();
      take_edge();
    }
    watchdog->stop();
    if (c.stream) co_await c.stream->shutdown();
    // The last connection to end stops the interval figures, which report the rest.
    if (--live_ == 0 && ticker_) ticker_->cancel();
  }

  // Keep-alive, once: warm-up is over but not every connection is established yet.
  void note_warmup_extension() {
    if (!notice_pending_ || !window_->established_at_warmup_end()) return;
    notice_pending_ = false;
    if (settings_.notice)
      settings_.notice(fmt::format("warm-up extended: {} of {} keep-alive connections established after {:.1f} s; "
                                   "waiting for the rest (at most {:.0f} s more)",
                                   *window_->established_at_warmup_end(), settings_.connections,
                                   std::chrono::duration<double>(settings_.warmup).count(),
                                   std::chrono::duration<double>(settings_.setup_limit).count()));
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
    const auto id_end = std::to_chars(id, id + sizeof id, request_id).ptr;
    const std::string_view request[] = {head_start_, std::string_view(id, static_cast<size_t>(id_end - id)), head_end_};
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
  const WindowEdges* edges_ = nullptr;
  asio::io_context* io_ = nullptr;
  std::exception_ptr edge_error_;
  std::optional<MeasuredWindow> window_;
  // The opening barrier: connections wait on it until the window opens (never expires).
  std::optional<asio::steady_timer> gate_;
  bool notice_pending_ = true;
  int live_ = 0;  // connections not yet ended
  // Interval figures: the period's timer, and what ended in the period so far.
  std::optional<asio::steady_timer> ticker_;
  Histogram interval_latency_;
  uint64_t interval_requests_ = 0;
  ErrorCounts interval_errors_;
  uint64_t next_id_ = 0;
  Clock::time_point last_success_{};
  LoadResult result_;
};

}  // namespace

LoadResult run_closed_loop(const LinkEnds& entry, const LoadSettings& settings, NodeStats& client,
                           const WindowEdges& edges) {
  HOPCOST_CHECK(settings.connections > 0);
  ClosedLoop loop(entry, settings, client);
  return loop.run(edges);
}

}  // namespace hopcost
