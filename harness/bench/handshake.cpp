// A full TLS handshake, client and server in one thread, over an in-memory BIO pair.
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
// Every iteration is a full handshake: fresh SSL objects and BIOs, a client context whose
// session cache is off, and no session ever offered. (BoringSSL would only hand out TLS
// 1.3 tickets with the server's first SSL_write, which never happens here: FLOORS.md.)
// An iteration that resumed, or negotiated another version, fails the benchmark.
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

// One full handshake on fresh objects; adds each side's CPU to the totals.
std::string handshake_once(SSL_CTX* client_ctx, SSL_CTX* server_ctx, uint16_t want_version,
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

  Peer c{client.get(), "client"}, s{server.get(), "server"};
  for (int round = 0; round < kMaxRounds && !(c.done && s.done); ++round) {
    if (auto e = step(c); !e.empty()) return e;
    if (auto e = step(s); !e.empty()) return e;
  }
  if (!(c.done && s.done)) return "handshake did not finish";
  if (SSL_session_reused(client.get()) || SSL_session_reused(server.get()))
    return "handshake resumed a session: not a full handshake";
  if (SSL_version(client.get()) != want_version) return "unexpected TLS version negotiated";
  if (SSL_get_verify_result(client.get()) != X509_V_OK) return "certificate not verified";
  client_ns += c.cpu_ns;
  server_ns += s.cpu_ns;
  if (negotiated) {
    const SSL_CIPHER* cipher = SSL_get_current_cipher(client.get());
    const char* group = SSL_get_curve_name(SSL_get_curve_id(client.get()));
    *negotiated = std::string(SSL_get_version(client.get())) + " " +
                  (cipher ? SSL_CIPHER_get_name(cipher) : "?") + " " + (group ? group : "?");
  }
  return {};
}

void BM_Handshake(benchmark::State& state, const HandshakeConfig& config) {
  const Pki pki;
  const TlsVersion version = config.tls.version.value_or(TlsVersion::v1_3);
  const Credential leaf = pki.issue(kServerName, config.tls.key, config.chain_depth);
  const TlsSettings& settings = config.tls;
  std::optional<Credential> client_identity;
  if (settings.mtls) client_identity = pki.issue(kClientName, config.tls.key, config.chain_depth);
  const auto server_ctx = make_server_ctx(settings, leaf, settings.mtls ? pki.ca_cert() : nullptr, kClientName);
  const auto client_ctx = make_client_ctx(settings, pki.ca_cert(), client_identity ? &*client_identity : nullptr);
  const uint16_t want = version == TlsVersion::v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;

  // One handshake before timing, which also says what is negotiated (the label).
  uint64_t client_ns = 0, server_ns = 0;
  std::string negotiated;
  if (auto e = handshake_once(client_ctx.get(), server_ctx.get(), want, client_ns, server_ns,
                              &negotiated);
      !e.empty()) {
    state.SkipWithError(e.c_str());
    return;
  }
  client_ns = server_ns = 0;
  for (auto _ : state) {
    if (auto e =
            handshake_once(client_ctx.get(), server_ctx.get(), want, client_ns, server_ns, nullptr);
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

}  // namespace

void register_handshake_floor(const std::string& name, const HandshakeConfig& config) {
  static std::set<std::string> registered;  // Google Benchmark's registry is process-wide
  if (!registered.insert(name).second) return;
  benchmark::RegisterBenchmark(("BM_Handshake/" + name).c_str(),
                               [config](benchmark::State& state) { BM_Handshake(state, config); })
      ->Unit(benchmark::kMicrosecond);
}
}  // namespace hopcost
