// A node of the chain (DESIGN.md, "Words") in inproc placement: its own thread running
// its own io_context, so that the node's CPU is that thread's CPU. Relays and the origin
// listen on their downstream link; the client (the load driver) is not a Node.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "http/message_buffer.hpp"
#include "metrics/attribution.hpp"
#include "metrics/cpu_clock.hpp"
#include "net/link.hpp"
#include "node/guard.hpp"
#include "node/snapshot.hpp"
#include "node/watch.hpp"

namespace hopcost {

class Node {
 public:
  Node(std::string name, Role role);
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Its timeouts and caps (node/guard.hpp); before start(). Without: the defaults, no cap.
  void set_limits(const NodeLimits& limits);
  const NodeLimits& limits() const { return limits_; }

  // Listens on `downstream` now, so that its address is known before any thread starts.
  // The link must outlive the node.
  void listen(LinkEnds& downstream);
  // Starts the thread, which accepts and serves until stop(); pinned to `cpu` if given.
  // Throws RunError if the kernel refuses the CPU.
  void start(std::optional<int> cpu = std::nullopt);
  // Stops the thread and destroys every connection (sockets closed). Idempotent.
  void stop();

  const std::string& name() const { return name_; }
  Role role() const { return role_; }
  NodeStats& stats() { return stats_; }
  const NodeStats& stats() const { return stats_; }
  // CPU time (user + system) of the node's thread so far; 0 before start().
  uint64_t cpu_ns() const { return cpu_.now_ns(); }
  NodeSnapshot snapshot() const { return snapshot_of(stats_, name_, role_, cpu_ns()); }
  // Runs `f` on the node's own thread, between two of its handlers, and waits for it.
  void run_on_thread(const std::function<void()>& f);
  // Each request's residence time here, by request id; read only after stop().
  const std::vector<ResidenceSample>& residence() const { return residence_; }
  std::vector<ResidenceSample> take_residence() { return std::move(residence_); }
  static constexpr size_t kMaxResidenceSamples = 4'000'000;  // 64 MiB; later requests go unrecorded
  // Whether residence times are kept (they are by default, for a run's attribution); a
  // standalone node without --residence-file keeps none: 16 bytes a request for nothing.
  // Before start().
  void keep_residence(bool keep) { keep_residence_ = keep; }

 protected:
  // Serves one accepted connection whose handshake has succeeded, until it ends.
  virtual asio::awaitable<void> serve(std::unique_ptr<Stream> downstream) = 0;
  asio::io_context& io() { return *io_; }
  // Called on the node's thread by stop(), before its io_context goes: a node that keeps
  // connections outside its coroutines (the app's idle database connections) closes them
  // here. Derived destructors call stop() themselves, so that this runs while they exist.
  virtual void release() {}
  // A refusal to answer before closing (node/guard.hpp), and why, for the response's body.
  struct Refused {
    std::optional<Refusal> kind;
    std::string reason;
  };
  // The wait for the next request on a connection, as every serving loop starts it: the
  // head timeout for a connection's first request, the idle one between requests (turned
  // into the head timeout by the request's first byte).
  void await_request(Watch& watch, Stream& stream, const MessageBuffer& buffer, bool first) {
    watch.arm(first ? Timeout::head : Timeout::idle, stream, first ? nullptr : &buffer);
  }
  // After reading a request head: true to serve it. False when the connection ended,
  // closed between requests, timed out (counted by the watchdog), or failed (counted here
  // as a read error); and false with `refused` set for a head to answer with 400, 431,
  // 501 or 413, counted here as a read error too. Not a coroutine: no frame per request
  // on the nodes' hot path.
  // The watch is disarmed unless the request is to be served.
  bool admit(const ReadResult& r, const HttpHead& request, Watch& watch, Refused& refused);
  // Answers `refused` on `stream` with Connection: close, and counts it; the caller then
  // closes. The body is one line: the node's name and the reason. Then, as Nginx's
  // lingering close does, it reads and drops what the client still sends, for up to
  // `linger` or kLingerBytes, until the client closes: a close with unread bytes would
  // reset the connection, and the client could lose the response.
  asio::awaitable<void> refuse(Stream& stream, Refusal kind, const std::string& reason,
                               std::chrono::nanoseconds linger = std::chrono::seconds(1));
  static constexpr size_t kLingerBytes = 4 << 20;
  Watchdog& watchdog() { return watchdog_; }
  // Records a request's residence here: from `head_in`, when its request head was read,
  // to `last_out`, just before the write of its response's last byte. The end is taken
  // before that write, not after: the write wakes the node downstream, which on a busy
  // machine may run first, and a residence that ended after the downstream node had the
  // byte would make the hop's share negative. Requests without a numeric id are not recorded.
  void record_residence(std::string_view request_id, std::chrono::steady_clock::time_point head_in,
                        std::chrono::steady_clock::time_point last_out);
  // A response head, written into `buf` (256 bytes hold any): the status line ("200 OK"),
  // Content-Length, the request's id echoed, and Connection: close when `close`.
  static std::string_view response_head(std::span<char> buf, std::string_view status, size_t body_bytes,
                                        std::string_view request_id, bool close);

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> handle(Socket socket);

  std::string name_;
  Role role_;
  NodeStats stats_;
  NodeLimits limits_;
  Watchdog watchdog_{stats_};  // outlives io_: connections' watches unregister as io_ goes
  uint64_t open_connections_ = 0;  // accepted and not yet closed (the node's thread only)
  const LinkEnds* downstream_ = nullptr;
  std::vector<ResidenceSample> residence_;
  bool keep_residence_ = true;
  std::thread thread_;
  ThreadCpuClock cpu_;
  // Destroyed first (declared last): destroying the io_context destroys every pending
  // connection coroutine, and with it every socket.
  std::unique_ptr<asio::io_context> io_;
  std::optional<Acceptor> acceptor_;
};

// Spawns `task` on `io`, reporting an escaped exception instead of terminating.
void spawn_logged(asio::io_context& io, asio::awaitable<void> task, std::string what);

}  // namespace hopcost
