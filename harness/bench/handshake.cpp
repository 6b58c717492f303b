// A TLS handshake, client and server in one thread, over an in-memory BIO pair: full, or
// resumed (HandshakeConfig::resumed).
//
// Why a BIO pair: it takes the kernel, the network stack and the scheduler out of the
// figure. What is left is the handshake's own CPU (key exchange, signature, certificate
// chain and name verification, key schedule, message parsing and building), which is
// exactly what hopcost's "hs CPU µs" counts on real links: there, tls_stream.cpp reads
// the thread CPU clock around each SSL_do_handshake call, which only touches memory
// BIOs. Here the same clock is read around the same calls, so `handshake_cpu_us` (client
// + server) is the floor of that figure, measured the same way.
//
// The contexts come from hopcost's own make_server_ctx / make_client_ctx (suites, groups,
// verification as the harness configures them) with an ECDSA P-256 leaf from Pki; the
// client checks the chain and the name (SSL_VERIFY_PEER and SSL_set1_host): verification
// is never off, in the floor as in the harness.
//
// Full handshakes: fresh SSL objects and BIOs every iteration, a client context whose
// session cache is off, and no session ever offered. (BoringSSL would only hand out TLS
// 1.3 tickets with the server's first SSL_write, which never happens here: FLOORS.md.)
// An iteration that resumed, or negotiated another version, fails the benchmark.
//
// Resumed handshakes: the client context keeps sessions as the harness's resuming link
// ends do (settings.resume: tls/session_store.hpp). One full handshake before timing
// gives it a session: the server writes one byte and the client reads it, which is when a
// TLS 1.3 ticket arrives (TLS 1.2 hands the session over at the handshake's end). With
// `id` the server issues no ticket (TLS 1.2 only: make_server_ctx) and finds the session
// in its session cache. Every timed handshake then offers that same session on fresh SSL
// objects (SSL_set_session, outside the clock, like SSL_new) and must have resumed on
// both ends; one that fell back to a full handshake fails the benchmark, and so does a
// session without a ticket (`ticket`) or with one (`id`). The server still builds new
// tickets inside a resumed TLS 1.3 handshake, as on a real link; the client never reads
// them, so the session offered stays the same.
//
// Figures: the benchmark's own CPU time per iteration also counts SSL_new/SSL_free, the
// BIO pair and the clock reads; the counters count only the time inside SSL_do_handshake
// (4 to 5 calls, 2 clock reads each, ~0.5 µs a read on these machines: FLOORS.md "Traps").
#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/err.h>

#include <string>

#include "metrics/cpu_clock.hpp"
#include "tls/boringssl.hpp"
#include "tls/context.hpp"
#include "tls/error_text.hpp"
#include "tls/pki.hpp"
#include "tls/session_store.hpp"
#include "bench/handshake.hpp"

#include <optional>
#include <set>

namespace hopcost {
namespace {

constexpr char kServerName[] = "floor.hopcost.test";
constexpr char kClientName[] = "client.floor.hopcost.test";  // mutual TLS: the client's name
constexpr int kMaxRounds = 8;  // TLS 1.2 needs 3 client and 2 server calls, TLS 1.3 2 and 2

struct Peer {
  SSL* ssl;
  const char* role;
  uint64_t cpu_ns = 0;
  bool done = false;
};

// One SSL_do_handshake call, timed. Returns an error text, empty on success or WANT_READ.
std::string step(Peer& p) {
  if (p.done) return {};
  const uint64_t t0 = thread_cpu_ns();
  const int r = SSL_do_handshake(p.ssl);
  p.cpu_ns += thread_cpu_ns() - t0;
  if (r == 1) {
    p.done = true;
    return {};
  }
  const int err = SSL_get_error(p.ssl, r);
  if (err == SSL_ERROR_WANT_READ) return {};
  return std::string(p.role) + " handshake failed: " + tls_error(p.ssl, err).message();
}

// What one handshake offers and must be.
struct Expect {
  uint16_t version = TLS1_3_VERSION;
  std::optional<ResumeBy> resumed{};  // offer the client context's stored session, and resume
  bool take_session = false;          // afterwards, let the client take the server's tickets
};

// One handshake on fresh objects; adds each side's CPU to the totals.
std::string handshake_once(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const Expect& expect,
                           uint64_t& client_ns, uint64_t& server_ns, std::string* negotiated) {
  bssl::UniquePtr<SSL> client(SSL_new(client_ctx)), server(SSL_new(server_ctx));
  BIO *client_bio = nullptr, *server_bio = nullptr;
  if (!client || !server || !BIO_new_bio_pair(&client_bio, 0, &server_bio, 0))
    return "cannot create SSL objects or a BIO pair";
  SSL_set_bio(client.get(), client_bio, client_bio);  // each SSL owns its end
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  // The name is checked, as tls_stream.cpp does for a named peer (and sent as SNI).
  if (!SSL_set_tlsext_host_name(client.get(), kServerName) ||
      !SSL_set1_host(client.get(), kServerName))
    return "cannot set the server name";
  if (expect.resumed) {
    if (!offer_stored_session(client.get()))
      return "no session to offer: the full handshake before timing left none (no ticket arrived?)";
    const bool has_ticket = SSL_SESSION_has_ticket(SSL_get_session(client.get()));
    if (*expect.resumed == ResumeBy::ticket && !has_ticket) return "the session offered has no ticket";
    if (*expect.resumed == ResumeBy::id && has_ticket)
      return "the session offered has a ticket: it would not resume by session ID";
  }

  Peer c{client.get(), "client"}, s{server.get(), "server"};
  for (int round = 0; round < kMaxRounds && !(c.done && s.done); ++round) {
    if (auto e = step(c); !e.empty()) return e;
    if (auto e = step(s); !e.empty()) return e;
  }
  if (!(c.done && s.done)) return "handshake did not finish";
  const bool reused_client = SSL_session_reused(client.get()), reused_server = SSL_session_reused(server.get());
  if (!expect.resumed && (reused_client || reused_server))
    return "handshake resumed a session: not a full handshake";
  if (expect.resumed && !(reused_client && reused_server))
    return std::string("handshake did not resume: a full handshake on the ") +
           (reused_client ? "server" : reused_server ? "client" : "client and the server");
  if (SSL_version(client.get()) != expect.version) return "unexpected TLS version negotiated";
  if (SSL_get_verify_result(client.get()) != X509_V_OK) return "certificate not verified";
  client_ns += c.cpu_ns;
  server_ns += s.cpu_ns;
  if (negotiated) {
    const SSL_CIPHER* cipher = SSL_get_current_cipher(client.get());
    const char* group = SSL_get_curve_name(SSL_get_curve_id(client.get()));
    *negotiated = std::string(SSL_get_version(client.get())) + " " +
                  (cipher ? SSL_CIPHER_get_name(cipher) : "?") + " " + (group ? group : "?");
    if (expect.resumed) *negotiated += std::string(" resumed by ") + (*expect.resumed == ResumeBy::id ? "session ID" : "ticket");
  }
  if (expect.take_session) {
    // A TLS 1.3 server sends its tickets with its first write; the client takes them
    // (the session store's callback) when it reads.
    const char byte = 'x';
    char got = 0;
    if (SSL_write(server.get(), &byte, 1) != 1) return "server write after the handshake failed";
    if (SSL_read(client.get(), &got, 1) != 1 || got != byte) return "client read after the handshake failed";
  }
  return {};
}

void BM_Handshake(benchmark::State& state, const HandshakeConfig& config) {
  const Pki pki;
  const TlsVersion version = config.tls.version.value_or(TlsVersion::v1_3);
  const Credential leaf = pki.issue(kServerName, config.tls.key, config.chain_depth);
  TlsSettings server_settings = config.tls, client_settings = config.tls;
  if (config.resumed) {
    if (*config.resumed == ResumeBy::id && version != TlsVersion::v1_2) {
      state.SkipWithError("resumption by session ID is TLS 1.2 only");
      return;
    }
    server_settings.tickets = true;  // tickets and the session cache on (`id`: no tickets)
    server_settings.resume_by = *config.resumed;
    client_settings.resume = true;  // the client context keeps the session it is given
  } else {
    client_settings.resume = false;  // no session store: the cache stays off
  }
  client_settings.early_data = server_settings.early_data = false;
  std::optional<Credential> client_identity;
  if (config.tls.mtls) client_identity = pki.issue(kClientName, config.tls.key, config.chain_depth);
  const auto server_ctx =
      make_server_ctx(server_settings, leaf, config.tls.mtls ? pki.ca_cert() : nullptr, kClientName);
  const auto client_ctx =
      make_client_ctx(client_settings, pki.ca_cert(), client_identity ? &*client_identity : nullptr);
  const uint16_t want = version == TlsVersion::v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
  const Expect timed{want, config.resumed, false};

  // One handshake before timing, which also says what is negotiated (the label); resumed
  // floors do a full one first, which gives the client its session.
  uint64_t client_ns = 0, server_ns = 0;
  std::string negotiated;
  if (config.resumed) {
    if (auto e = handshake_once(client_ctx.get(), server_ctx.get(), Expect{want, std::nullopt, true}, client_ns,
                                server_ns, nullptr);
        !e.empty()) {
      state.SkipWithError(e.c_str());
      return;
    }
  }
  if (auto e = handshake_once(client_ctx.get(), server_ctx.get(), timed, client_ns, server_ns, &negotiated);
      !e.empty()) {
    state.SkipWithError(e.c_str());
    return;
  }
  client_ns = server_ns = 0;
  for (auto _ : state) {
    if (auto e = handshake_once(client_ctx.get(), server_ctx.get(), timed, client_ns, server_ns, nullptr);
        !e.empty()) {
      state.SkipWithError(e.c_str());
      break;
    }
  }
  state.SetLabel(negotiated);
  using benchmark::Counter;
  state.counters["client_cpu_us"] =
      Counter(static_cast<double>(client_ns) / 1e3, Counter::kAvgIterations);
  state.counters["server_cpu_us"] =
      Counter(static_cast<double>(server_ns) / 1e3, Counter::kAvgIterations);
  state.counters["handshake_cpu_us"] =
      Counter(static_cast<double>(client_ns + server_ns) / 1e3, Counter::kAvgIterations);
}

BENCHMARK_CAPTURE(BM_Handshake, tls12, HandshakeConfig{TlsSettings{TlsVersion::v1_2}, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Handshake, tls13, HandshakeConfig{TlsSettings{TlsVersion::v1_3}, 0})->Unit(benchmark::kMicrosecond);
// The defaults' resumed floors (floor.cpp names them "1.2 resumed", "1.2 resumed id" and
// "1.3 resumed", as VariantKey::resumed_configuration does).
BENCHMARK_CAPTURE(BM_Handshake, tls12_resumed, HandshakeConfig{TlsSettings{TlsVersion::v1_2}, 0, ResumeBy::ticket})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Handshake, tls12_resumed_id, HandshakeConfig{TlsSettings{TlsVersion::v1_2}, 0, ResumeBy::id})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Handshake, tls13_resumed, HandshakeConfig{TlsSettings{TlsVersion::v1_3}, 0, ResumeBy::ticket})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

void register_handshake_floor(const std::string& name, const HandshakeConfig& config) {
  static std::set<std::string> registered;  // Google Benchmark's registry is process-wide
  if (!registered.insert(name).second) return;
  benchmark::RegisterBenchmark(("BM_Handshake/" + name).c_str(),
                               [config](benchmark::State& state) { BM_Handshake(state, config); })
      ->Unit(benchmark::kMicrosecond);
}
}  // namespace hopcost
