// TLS links: BoringSSL over memory BIOs, driven by hand, so that hopcost controls every
// system call and can time exactly the library's work.
//
// Why not asio::ssl::stream: handshake CPU must be the thread CPU spent *inside* the
// handshake calls (DESIGN.md). A node thread serves many connections at once, so a
// clock read around a whole asynchronous handshake would also count every other
// connection that ran while this one waited for its peer. Here the CPU clock is read
// around each SSL_do_handshake call, which does no I/O: it only reads and writes the
// memory BIOs. The socket reads and writes between the calls are not counted as
// handshake CPU (they are transport cost, the same for plaintext).
//
// A TLS 1.3 server makes its session tickets inside SSL_do_handshake (counted as
// handshake CPU); BoringSSL would hold them until the first SSL_write, so handshake()
// sends them right after the handshake (a zero-length SSL_write, not timed), and a
// client without TCP_NODELAY is not stalled (with no tickets to send, it ACKs the
// client's Finished at once: TCP_QUICKACK). The client takes them in SSL_read
// (record-layer CPU). Their bytes are wire bytes, not handshake bytes. (With TLS 1.2 a
// ticket is part of the server's last flight: handshake bytes.)
//
// Resumption: a client whose context has a session store (tls/session_store.hpp) offers
// the newest session; each handshake is counted as full or resumed by what the library
// did (SSL_session_reused), so that a resumption the server refused, or one that had no
// session to offer (no ticket arrived), counts as the full handshake it was.
//
// 0-RTT: with a session that allows early data, the client's SSL_do_handshake returns
// once its ClientHello is out, and the request is written as early data; a server that
// accepts returns once its flight is out and reads the request at once. The handshake
// then ends, for the client, inside a later SSL_read, whose calls are timed as handshake
// CPU until it has (the server counts its handshake once its flight is out). A rejected
// attempt is finished as a full handshake and the request sent again.
//
// Record-layer CPU (SSL_read, SSL_write) is sampled: reading the thread CPU clock costs
// about 0.5 µs here (a system call, FLOORS.md), as much as sealing a 1 KiB record, so
// one call in kRecordSampleEvery is timed and counted kRecordSampleEvery times. The
// calls are alike (same sizes, same suite), so the estimate is unbiased; its noise
// averages out over the thousands of calls of a variant.
#include <openssl/err.h>

#include <climits>
#include <memory>
#include <string>
#include <utility>

#include "metrics/cpu_clock.hpp"
#include "net/streams.hpp"
#include "tls/boringssl.hpp"
#include "tls/error_text.hpp"
#include "tls/session_store.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

constexpr size_t kReadChunk = 32 * 1024;  // per thread (see fill())
constexpr size_t kWaitChunk = 2 * 1024;   // per stream: one record of a small message
constexpr size_t kMaxRecordPayload = 16 * 1024;
constexpr uint64_t kRecordSampleEvery = 16;

class TlsStream final : public Stream {
 public:
  TlsStream(std::unique_ptr<BytePipe> pipe, SSL_CTX* ctx, TlsSide side, const std::string& server_name,
            StatsSink& stats)
      : pipe_(std::move(pipe)), ssl_(SSL_new(ctx)), side_(side), stats_(stats) {
    HOPCOST_CHECK(ssl_);
    // What the caller configured (certificate, key, cipher and curve lists, verify
    // parameters) is freed once the handshake is done: a connection keeps only what
    // it negotiated. Renegotiation is off (the default), so a client sheds it too.
    SSL_set_shed_handshake_config(ssl_.get(), 1);
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    HOPCOST_CHECK(rbio_ && wbio_);
    SSL_set_bio(ssl_.get(), rbio_, wbio_);  // the SSL owns both BIOs now
    if (side == TlsSide::client) {
      SSL_set_connect_state(ssl_.get());
      offered_ = offer_stored_session(ssl_.get());  // only with a session store (--conn resume, --upstream-resume)
      // The peer's name is checked, always: an IP address against the certificate's IP
      // entries, a name against its DNS entries (and sent as SNI).
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), server_name.c_str()) != 1) {
        ERR_clear_error();
        HOPCOST_CHECK(SSL_set_tlsext_host_name(ssl_.get(), server_name.c_str()));
        HOPCOST_CHECK(SSL_set1_host(ssl_.get(), server_name.c_str()));
      }
    } else {
      SSL_set_accept_state(ssl_.get());
    }
  }

  asio::awaitable<error_code> handshake() override {
    handshake_cpu_ns_ = 0;
    handshake_bytes_ = 0;
    app_while_open_ = 0;
    in_handshake_ = true;
    const error_code ec = co_await drive_handshake();
    if (ec) co_return ec;
    if (SSL_in_early_data(ssl_.get())) {
      if (side_ == TlsSide::server) {
        // 0-RTT accepted: the server's flight is out and the request can be read now.
        // Its handshake is counted here; the client's Finished, read later with the
        // request, costs one MAC check and is record-layer work.
        early_ = EarlyData::accepted;
        co_return co_await handshake_done();
      }
      // 0-RTT: the client has sent its ClientHello and writes its request as early data
      // now. Its handshake ends inside a later SSL_read (read_some), timed there as
      // handshake work.
      open_ = true;
      co_return error_code{};
    }
    co_return co_await handshake_done();
  }

  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    const int want = static_cast<int>(std::min<size_t>(into.size(), INT_MAX));
    while (true) {
      const int r = open_ ? open_read(into.data(), want) : timed([&] { return SSL_read(ssl_.get(), into.data(), want); });
      if (r > 0) {
        stats_.add_app(side_, static_cast<size_t>(r));
        if (open_) {
          app_while_open_ += static_cast<uint64_t>(r);
          if (!SSL_in_init(ssl_.get())) {
            const error_code ec = co_await handshake_done();
            if (ec) co_return std::tuple{ec, size_t{0}};
          }
        }
        co_return std::tuple{error_code{}, static_cast<size_t>(r)};
      }
      const int err = SSL_get_error(ssl_.get(), r);
      if (err == SSL_ERROR_EARLY_DATA_REJECTED) {
        const error_code ec = co_await recover_rejected_early_data();
        if (ec) co_return std::tuple{ec, size_t{0}};
        continue;
      }
      if (open_ && !SSL_in_init(ssl_.get())) {
        const error_code ec = co_await handshake_done();
        if (ec) co_return std::tuple{ec, size_t{0}};
      }
      if (err == SSL_ERROR_ZERO_RETURN) co_return std::tuple{error_code(asio::error::eof), size_t{0}};
      if (err != SSL_ERROR_WANT_READ) co_return std::tuple{tls_error(ssl_.get(), err), size_t{0}};
      error_code ec = co_await flush();  // anything the library queued while reading
      if (!ec) ec = co_await fill();
      if (ec) co_return std::tuple{ec, size_t{0}};
    }
  }

  asio::awaitable<error_code> write(std::span<const std::string_view> pieces) override {
    size_t total = 0;
    for (auto p : pieces) total += p.size();
    if (pieces.size() > 1 && total <= kMaxRecordPayload) {
      // One record for a small message, as servers with a TLS write buffer do
      // (nginx's ssl_buffer_size), rather than one record per piece.
      scratch_.clear();
      for (auto p : pieces) scratch_.append(p);
      if (auto ec = seal(scratch_)) co_return ec;
    } else {
      for (auto p : pieces)
        if (auto ec = seal(p)) co_return ec;
    }
    co_return co_await flush();
  }

  asio::awaitable<void> shutdown() override {
    SSL_shutdown(ssl_.get());  // queues close_notify; the peer's is not awaited
    ERR_clear_error();
    co_await flush();
    pipe_->shutdown();
  }

  void abort() override { pipe_->close(); }

  std::optional<Negotiated> negotiated() const override {
    // A 0-RTT server knows what it negotiated once its flight is out, before it ends.
    if (!SSL_is_init_finished(ssl_.get()) && !SSL_in_early_data(ssl_.get())) return std::nullopt;
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
    const char* group = SSL_get_curve_name(SSL_get_curve_id(ssl_.get()));
    return Negotiated{SSL_get_version(ssl_.get()), cipher ? SSL_CIPHER_get_name(cipher) : "",
                      group ? group : ""};
  }

 private:
  // Runs SSL_do_handshake until the handshake is done, or (0-RTT) until early data may
  // flow, timing each call: the CPU clock is read around the library's work only.
  asio::awaitable<error_code> drive_handshake() {
    error_code ec;
    while (true) {
      const uint64_t t0 = thread_cpu_ns();
      const int r = SSL_do_handshake(ssl_.get());
      handshake_cpu_ns_ += thread_cpu_ns() - t0;
      const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), r);
      if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ) {
        ec = tls_error(ssl_.get(), err);
        co_await flush();  // best effort: the alert tells the peer why
        co_return ec;
      }
      if ((ec = co_await flush())) co_return ec;
      if (err == SSL_ERROR_NONE) co_return error_code{};
      if ((ec = co_await fill())) {
        if (ec == asio::error::eof && handshake_bytes_ == 0 && side_ == TlsSide::server) ec = kClosedBeforeHandshake;
        co_return ec;
      }
    }
  }

  // The handshake is complete: count it, then (servers) send what waits for a write.
  asio::awaitable<error_code> handshake_done() {
    in_handshake_ = false;
    if (open_) {
      open_ = false;
      if (side_ == TlsSide::client && early_ == EarlyData::none) early_ = EarlyData::accepted;
      early_sent_ = std::string{};
    }
    // The last read may have brought the peer's first application data along with its
    // last handshake message: what the library has not consumed is not handshake bytes.
    // Nor are the plaintext bytes of early data and of a half-RTT response, which passed
    // while a 0-RTT handshake was open (their record framing stays in: ~22 bytes each).
    handshake_bytes_ -= std::min<uint64_t>(handshake_bytes_, BIO_pending(rbio_) + app_while_open_);
    HandshakeDone done;
    done.cpu_ns = handshake_cpu_ns_;
    done.bytes = handshake_bytes_;
    done.resumed = SSL_session_reused(ssl_.get()) == 1;
    done.offered = offered_;
    done.early = early_;
    stats_.add_handshake(side_, done);
    stats_.note_negotiated(side_, *negotiated());
    if (side_ != TlsSide::server) co_return error_code{};
    // Accepting early data, BoringSSL sent its tickets in the server's flight (half-RTT),
    // inside the handshake: nothing waits for a write.
    if (SSL_in_early_data(ssl_.get())) co_return error_code{};
    // A TLS 1.3 server's tickets wait in the library for its first write: send them
    // now, so that the client's next segment is not held by its Nagle against our
    // delayed ACK (~40 ms). A zero-length SSL_write only moves the queued flight
    // into the write BIO (about 1 µs, not timed) and returns 0; the tickets were
    // made inside SSL_do_handshake. Nothing is queued with TLS 1.2 or tickets off.
    SSL_write(ssl_.get(), "", 0);
    ERR_clear_error();
    const bool tickets_queued = BIO_pending(wbio_) > 0;
    const error_code ec = co_await flush();  // wire bytes, not handshake bytes (in_handshake_ is false)
    // No tickets, and the client spoke last (its Finished: TLS 1.3, or a resumed TLS
    // 1.2 handshake): nothing of ours carries the ACK, so ACK now (a no-op system
    // call on a Unix socket), for the same reason.
    if (!ec && !tickets_queued && (SSL_version(ssl_.get()) == TLS1_3_VERSION || SSL_session_reused(ssl_.get())))
      pipe_->quickack();
    co_return ec;
  }

  // While a 0-RTT handshake is open, SSL_read finishes it (a client reads the server's
  // flight and sends its Finished; a server reads the early data, then the client's
  // Finished): every such call is timed as handshake CPU, the few µs of record work on
  // the early request included.
  int open_read(char* data, int want) {
    const uint64_t t0 = thread_cpu_ns();
    const int r = SSL_read(ssl_.get(), data, want);
    handshake_cpu_ns_ += thread_cpu_ns() - t0;
    return r;
  }

  // The server refused the client's early data (RFC 8446 4.2.10: a ticket it cannot
  // decrypt any more, early data off): finish the handshake as a full one, then send
  // what had gone as early data again. Counted as rejected, not as an error.
  asio::awaitable<error_code> recover_rejected_early_data() {
    SSL_reset_early_data_reject(ssl_.get());
    early_ = EarlyData::rejected;
    const std::string again = std::exchange(early_sent_, std::string{});
    error_code ec = co_await drive_handshake();
    if (!ec) ec = co_await handshake_done();
    if (ec) co_return ec;
    if (auto e = seal(again, true)) co_return e;
    co_return co_await flush();
  }

  // Encrypts `data` into the write BIO (a memory BIO always takes everything). A client
  // in early data keeps a copy, to send again if the server rejects it.
  // `resend`: the early data again after a rejection (its plaintext was counted once).
  error_code seal(std::string_view data, bool resend = false) {
    if (!resend) stats_.add_app(side_, data.size());
    if (open_) {
      app_while_open_ += data.size();
      if (side_ == TlsSide::client) early_sent_.append(data);
    }
    while (!data.empty()) {
      const int n = static_cast<int>(std::min<size_t>(data.size(), INT_MAX));
      const int r = timed([&] { return SSL_write(ssl_.get(), data.data(), n); });
      if (r <= 0) return tls_error(ssl_.get(), SSL_get_error(ssl_.get(), r));
      data.remove_prefix(static_cast<size_t>(r));
    }
    return {};
  }

  // Runs a record-layer call, timing one in kRecordSampleEvery (see the top of the file).
  template <typename Call>
  int timed(Call call) {
    // Counted per thread, not per stream: a connection that lives for one request makes
    // only a few calls, and would never reach its sixteenth.
    static thread_local uint64_t record_calls = 0;
    if (++record_calls % kRecordSampleEvery != 0) return call();
    const uint64_t t0 = thread_cpu_ns();
    const int r = call();
    stats_.add_record_cpu(side_, (thread_cpu_ns() - t0) * kRecordSampleEvery);
    return r;
  }

  void count_wire(size_t n) {
    stats_.add_wire(side_, n);
    if (in_handshake_) handshake_bytes_ += n;
  }

  // Sends whatever the library has queued in the write BIO: a non-blocking write first,
  // and a wait for room only when the pipe took less than everything (async_write's
  // system calls, without its trip through the scheduler when the pipe takes it all).
  asio::awaitable<error_code> flush() {
    const uint8_t* data = nullptr;
    size_t len = 0;
    HOPCOST_CHECK(BIO_mem_contents(wbio_, &data, &len));
    if (len == 0) co_return error_code{};
    asio::const_buffer buffer = asio::buffer(data, len);
    std::span<asio::const_buffer> rest(&buffer, 1);
    size_t written = 0;
    error_code ec;
    while (!write_now(*pipe_, rest, written, ec)) {
      auto [wec] = co_await pipe_->wait_writable();
      if ((ec = wec)) break;
    }
    count_wire(written);
    BIO_reset(wbio_);
    co_return ec;
  }

  // Reads what the socket has into the read BIO, with the system calls Asio's own reads
  // make, and without a large buffer per stream (an idle connection holds only its
  // small wait buffer):
  // - when the socket is expected to be drained (the last read returned less than it
  //   asked for), Asio reads into this stream's wait buffer (kWaitChunk, enough for the
  //   record of a small message), waiting for readiness without an extra system call;
  // - when more is expected (the last read filled its buffer), a synchronous
  //   non-blocking read goes into the thread's read chunk, emptied into the BIO before
  //   any suspension, so no other stream of the thread can write into it in between.
  asio::awaitable<error_code> fill() {
    static thread_local const std::unique_ptr<char[]> chunk(new char[kReadChunk]);
    if (more_) {
      error_code ec;
      const size_t n = pipe_->try_read(std::span<char>(chunk.get(), kReadChunk), ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) {
        if (ec) co_return ec;
        more_ = n == kReadChunk;
        take(chunk.get(), n);
        co_return error_code{};
      }
    }
    auto [ec, n] = co_await pipe_->read_some(std::span<char>(wait_, kWaitChunk));
    if (ec) co_return ec;
    more_ = n == kWaitChunk;
    take(wait_, n);
    co_return error_code{};
  }

  void take(const char* data, size_t n) {
    count_wire(n);
    HOPCOST_CHECK(BIO_write(rbio_, data, static_cast<int>(n)) == static_cast<int>(n));
  }

  std::unique_ptr<BytePipe> pipe_;
  bssl::UniquePtr<SSL> ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  TlsSide side_;
  StatsSink& stats_;
  std::string scratch_;
  bool more_ = false;     // the last read filled its buffer: more may be waiting
  char wait_[kWaitChunk];  // what Asio reads into (see fill())
  uint64_t handshake_bytes_ = 0;
  uint64_t handshake_cpu_ns_ = 0;
  bool in_handshake_ = false;
  bool offered_ = false;  // a client that offered a stored session
  // 0-RTT: the handshake returned with early data flowing and ends in a later read.
  bool open_ = false;
  EarlyData early_ = EarlyData::none;
  uint64_t app_while_open_ = 0;  // plaintext bytes sealed or read while open
  std::string early_sent_;       // a client's early data, kept until the handshake ends
};

}  // namespace

std::unique_ptr<Stream> make_tls_stream(std::unique_ptr<BytePipe> pipe, SSL_CTX* ctx, TlsSide side,
                                        const std::string& server_name, StatsSink& stats) {
  return std::make_unique<TlsStream>(std::move(pipe), ctx, side, server_name, stats);
}

}  // namespace hopcost
