// Key types, groups, chain depths and mutual TLS through real in-memory handshakes (BIO
// pairs, as context_test.cpp), with verification on at both ends (issue #10).
#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "tls/context.hpp"
#include "tls/pki.hpp"

using namespace hopcost;

namespace {

constexpr const char* kServerName = "origin.hopcost.test";
constexpr const char* kClientName = "client.hopcost.test";

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct End {
  bssl::UniquePtr<SSL> ssl;
  BIO* out() const { return SSL_get_wbio(ssl.get()); }
};

End make_end(SSL_CTX* ctx, bool server) {
  End e{bssl::UniquePtr<SSL>(SSL_new(ctx))};
  SSL_set_bio(e.ssl.get(), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  if (server) {
    SSL_set_accept_state(e.ssl.get());
  } else {
    SSL_set_connect_state(e.ssl.get());
    SSL_set_tlsext_host_name(e.ssl.get(), kServerName);
    SSL_set1_host(e.ssl.get(), kServerName);
  }
  return e;
}

// Moves what `from` wrote to `to`'s input; returns the byte count.
size_t pump(const End& from, const End& to) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(from.out(), &data, &len);
  if (len > 0) BIO_write(SSL_get_rbio(to.ssl.get()), data, static_cast<int>(len));
  BIO_reset(from.out());
  return len;
}

struct Handshake {
  bool client_ok = false;  // handshake done, and no alert read after it
  bool server_ok = false;
  size_t bytes = 0;  // both directions, records included, until both ends are done
  double client_cpu = 0, server_cpu = 0;
  uint16_t curve = 0;
  std::string cipher;
  bool hello_retry = false;
  int flights = 0;  // pumps that moved bytes
};

// Drives the two ends until both are done or one fails, then lets each read what the
// other sent last (a TLS 1.3 client is done before the server checks its certificate:
// the server's alert then arrives at the client's first read).
Handshake handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx) {
  End c = make_end(client_ctx, false), s = make_end(server_ctx, true);
  Handshake h;
  int rc = -1, rs = -1;
  bool c_failed = false, s_failed = false;
  for (int i = 0; i < 10 && !(rc == 1 && rs == 1) && !c_failed && !s_failed; ++i) {
    if (rc != 1) {
      const double t = thread_cpu_seconds();
      rc = SSL_do_handshake(c.ssl.get());
      h.client_cpu += thread_cpu_seconds() - t;
      c_failed = rc != 1 && SSL_get_error(c.ssl.get(), rc) != SSL_ERROR_WANT_READ;
    }
    if (const size_t n = pump(c, s)) h.bytes += n, ++h.flights;
    if (rs != 1) {
      const double t = thread_cpu_seconds();
      rs = SSL_do_handshake(s.ssl.get());
      h.server_cpu += thread_cpu_seconds() - t;
      s_failed = rs != 1 && SSL_get_error(s.ssl.get(), rs) != SSL_ERROR_WANT_READ;
    }
    if (const size_t n = pump(s, c)) h.bytes += n, ++h.flights;
  }
  char buf[64];
  auto reads_cleanly = [&](const End& e) {
    const int n = SSL_read(e.ssl.get(), buf, sizeof buf);
    return n < 0 && SSL_get_error(e.ssl.get(), n) == SSL_ERROR_WANT_READ;
  };
  h.client_ok = rc == 1 && reads_cleanly(c);
  pump(c, s);
  h.server_ok = rs == 1 && reads_cleanly(s);
  ERR_clear_error();
  if (h.client_ok && h.server_ok) {
    h.curve = SSL_get_curve_id(c.ssl.get());
    CHECK(SSL_get_curve_id(s.ssl.get()) == h.curve);
    h.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(c.ssl.get()));
    h.hello_retry = SSL_used_hello_retry_request(c.ssl.get()) == 1;
  }
  return h;
}

TlsSettings settings(TlsVersion v, KeyType key, std::optional<TlsGroup> group = {}, bool mtls = false) {
  TlsSettings s;
  s.version = v;
  s.key = key;
  s.group = group;
  s.mtls = mtls;
  return s;
}

const char* text(TlsVersion v) { return v == TlsVersion::v1_2 ? "1.2" : "1.3"; }

// Average over `n` handshakes (the first, which warms caches, not counted).
Handshake average(SSL_CTX* server_ctx, SSL_CTX* client_ctx, int n) {
  handshake(server_ctx, client_ctx);
  Handshake sum;
  for (int i = 0; i < n; ++i) {
    const Handshake h = handshake(server_ctx, client_ctx);
    REQUIRE((h.client_ok && h.server_ok));
    sum.bytes += h.bytes;
    sum.client_cpu += h.client_cpu;
    sum.server_cpu += h.server_cpu;
    sum.curve = h.curve;
    sum.cipher = h.cipher;
    sum.hello_retry = h.hello_retry;
    sum.flights = h.flights;
  }
  sum.bytes /= n;
  sum.client_cpu /= n;
  sum.server_cpu /= n;
  return sum;
}

constexpr KeyType kAllKeys[] = {KeyType::ecdsa_p256, KeyType::ecdsa_p384, KeyType::rsa_2048, KeyType::rsa_4096,
                                KeyType::ed25519};
constexpr TlsGroup kAllGroups[] = {TlsGroup::x25519, TlsGroup::p256, TlsGroup::p384, TlsGroup::cecpq2};

}  // namespace

TEST_CASE("every key type completes a verified handshake over TLS 1.2 and 1.3, with the suite for its key") {
  const Pki pki;
  const auto key = GENERATE(KeyType::ecdsa_p256, KeyType::ecdsa_p384, KeyType::rsa_2048, KeyType::rsa_4096,
                            KeyType::ed25519);
  const auto version = GENERATE(TlsVersion::v1_2, TlsVersion::v1_3);
  INFO(to_string(key) << ", TLS " << text(version));
  const Credential leaf = pki.issue(kServerName, key);
  const TlsSettings s = settings(version, key);
  const auto server_ctx = make_server_ctx(s, leaf);
  const auto client_ctx = make_client_ctx(s, pki.ca_cert());
  const Handshake h = handshake(server_ctx.get(), client_ctx.get());
  REQUIRE(h.client_ok);
  REQUIRE(h.server_ok);
  CHECK(h.curve == SSL_CURVE_X25519);  // the default list prefers X25519
  if (version == TlsVersion::v1_3) {
    CHECK(h.cipher == "TLS_AES_128_GCM_SHA256");
  } else {
    const bool rsa = key == KeyType::rsa_2048 || key == KeyType::rsa_4096;
    // Ed25519 certificates use the ECDHE-ECDSA suites in BoringSSL.
    CHECK(h.cipher == (rsa ? "ECDHE-RSA-AES128-GCM-SHA256" : "ECDHE-ECDSA-AES128-GCM-SHA256"));
  }
}

TEST_CASE("a client that trusts only the root verifies a server's chain of every depth, and depth costs bytes") {
  const Pki pki;
  const auto version = GENERATE(TlsVersion::v1_2, TlsVersion::v1_3);
  INFO("TLS " << text(version));
  const TlsSettings s = settings(version, KeyType::ecdsa_p256);
  const auto client_ctx = make_client_ctx(s, pki.ca_cert());
  size_t bytes[4] = {};
  for (int depth = 0; depth <= 3; ++depth) {
    INFO("depth " << depth);
    const auto server_ctx = make_server_ctx(s, pki.issue(kServerName, KeyType::ecdsa_p256, depth));
    const Handshake h = handshake(server_ctx.get(), client_ctx.get());
    REQUIRE((h.client_ok && h.server_ok));
    bytes[depth] = h.bytes;
  }
  // Each intermediate is an ECDSA P-256 certificate of a few hundred bytes.
  CHECK(bytes[1] > bytes[0] + 300);
  CHECK(bytes[2] > bytes[0] + 600);
  CHECK(bytes[3] > bytes[2] + 300);
}

TEST_CASE("each group, offered alone on both ends, is the group negotiated (TLS 1.3)") {
  const Pki pki;
  const Credential leaf = pki.issue(kServerName);
  size_t bytes[4] = {};
  for (const TlsGroup g : kAllGroups) {
    INFO(to_string(g));
    const TlsSettings s = settings(TlsVersion::v1_3, KeyType::ecdsa_p256, g);
    const auto server_ctx = make_server_ctx(s, leaf);
    const auto client_ctx = make_client_ctx(s, pki.ca_cert());
    const Handshake h = handshake(server_ctx.get(), client_ctx.get());
    REQUIRE((h.client_ok && h.server_ok));
    CHECK(SSL_get_curve_name(h.curve) == library_name(g));
    bytes[static_cast<int>(g)] = h.bytes;
  }
  // CECPQ2's HRSS shares are over a kilobyte each way.
  CHECK(bytes[static_cast<int>(TlsGroup::cecpq2)] > bytes[static_cast<int>(TlsGroup::x25519)] + 2000);
}

TEST_CASE("TLS 1.2 groups: CECPQ2 never works, and the key exchange is the group asked for with any certificate") {
  // In TLS 1.2 BoringSSL uses the group list for the ECDHE group and for the curve of an
  // ECDSA certificate too (FLOORS.md, "Traps"): the contexts list the certificate's curve
  // after the group asked for, so that the key exchange is still that group. CECPQ2 is
  // TLS 1.3 only.
  const Pki pki;
  for (const KeyType key : kAllKeys) {
    const Credential leaf = pki.issue(kServerName, key);
    for (const TlsGroup g : kAllGroups) {
      INFO(to_string(key) << ", " << to_string(g));
      const TlsSettings s = settings(TlsVersion::v1_2, key, g);
      const auto server_ctx = make_server_ctx(s, leaf);
      const auto client_ctx = make_client_ctx(s, pki.ca_cert());
      const Handshake h = handshake(server_ctx.get(), client_ctx.get());
      const bool works = g != TlsGroup::cecpq2;
      CHECK((h.client_ok && h.server_ok) == works);
      if (works) CHECK(SSL_get_curve_name(h.curve) == library_name(g));
    }
  }
}

TEST_CASE("TLS 1.3 works with every key type and every group") {
  const Pki pki;
  for (const KeyType key : kAllKeys) {
    const Credential leaf = pki.issue(kServerName, key);
    for (const TlsGroup g : kAllGroups) {
      INFO(to_string(key) << ", " << to_string(g));
      const TlsSettings s = settings(TlsVersion::v1_3, key, g);
      const auto server_ctx = make_server_ctx(s, leaf);
      const auto client_ctx = make_client_ctx(s, pki.ca_cert());
      const Handshake h = handshake(server_ctx.get(), client_ctx.get());
      CHECK((h.client_ok && h.server_ok));
    }
  }
}

TEST_CASE("an RSA-2048 server spends more handshake CPU than an ECDSA P-256 one") {
  const Pki pki;
  double server_cpu[2] = {};
  const KeyType keys[2] = {KeyType::ecdsa_p256, KeyType::rsa_2048};
  for (int k = 0; k < 2; ++k) {
    const TlsSettings s = settings(TlsVersion::v1_3, keys[k]);
    const auto server_ctx = make_server_ctx(s, pki.issue(kServerName, keys[k]));
    const auto client_ctx = make_client_ctx(s, pki.ca_cert());
    server_cpu[k] = average(server_ctx.get(), client_ctx.get(), 10).server_cpu;
  }
  INFO("server CPU per handshake: ECDSA P-256 " << server_cpu[0] * 1e6 << " us, RSA-2048 " << server_cpu[1] * 1e6
                                                << " us");
  // An RSA-2048 signature costs several times an ECDSA P-256 one; generous for a noisy machine.
  CHECK(server_cpu[1] > 1.5 * server_cpu[0]);
}

TEST_CASE("mutual TLS: a client certificate from the run's CA with the expected name is accepted, others refused") {
  const Pki pki;
  const Pki foreign("foreign CA");
  const auto version = GENERATE(TlsVersion::v1_2, TlsVersion::v1_3);
  const auto key = GENERATE(KeyType::ecdsa_p256, KeyType::ed25519, KeyType::rsa_2048);
  INFO("TLS " << text(version) << ", client key " << to_string(key));
  const TlsSettings s = settings(version, KeyType::ecdsa_p256, {}, true);
  const auto server_ctx = make_server_ctx(s, pki.issue(kServerName), pki.ca_cert(), kClientName);
  auto client = [&](const Credential& identity) { return make_client_ctx(s, pki.ca_cert(), &identity); };

  SECTION("the run's CA, the expected name, through a chain of intermediates") {
    const int depth = GENERATE(0, 2);
    const Credential id = pki.issue(kClientName, key, depth);
    const Handshake h = handshake(server_ctx.get(), client(id).get());
    CHECK(h.client_ok);
    CHECK(h.server_ok);
  }
  SECTION("a foreign CA") {
    const Credential id = foreign.issue(kClientName, key);
    const Handshake h = handshake(server_ctx.get(), client(id).get());
    CHECK_FALSE(h.server_ok);
    CHECK_FALSE(h.client_ok);
  }
  SECTION("a wrong name") {
    const Credential id = pki.issue("relay1.hopcost.test", key);
    const Handshake h = handshake(server_ctx.get(), client(id).get());
    CHECK_FALSE(h.server_ok);
    CHECK_FALSE(h.client_ok);
  }
  SECTION("no client certificate") {
    const auto no_identity = make_client_ctx(settings(version, KeyType::ecdsa_p256), pki.ca_cert());
    const Handshake h = handshake(server_ctx.get(), no_identity.get());
    CHECK_FALSE(h.server_ok);
    CHECK_FALSE(h.client_ok);
  }
}

// Not run by default: `hopcost_unit_tests "[.table]"` prints handshake CPU and bytes per
// key type and per group (TLS 1.3, in memory, client + server on one thread). Mind
// BoringSSL's ClientHello padding: a ClientHello of 256 to 511 bytes is padded to 512
// (the P-384 share with SNI crosses 256, so P-384 shows ~280 bytes more than its share).
TEST_CASE("handshake cost table", "[.table]") {
  const Pki pki;
  constexpr int kRuns = 50;
  std::printf("%-12s %-8s %10s %10s %8s %7s %4s\n", "key", "group", "client_us", "server_us", "bytes", "flights",
              "hrr");
  auto row = [&](KeyType key, std::optional<TlsGroup> g) {
    const TlsSettings s = settings(TlsVersion::v1_3, key, g);
    const auto server_ctx = make_server_ctx(s, pki.issue(kServerName, key));
    const auto client_ctx = make_client_ctx(s, pki.ca_cert());
    const Handshake h = average(server_ctx.get(), client_ctx.get(), kRuns);
    std::printf("%-12s %-8s %10.1f %10.1f %8zu %7d %4s\n", std::string(to_string(key)).c_str(),
                SSL_get_curve_name(h.curve), h.client_cpu * 1e6, h.server_cpu * 1e6, h.bytes, h.flights,
                h.hello_retry ? "yes" : "no");
  };
  for (const KeyType key : kAllKeys) row(key, TlsGroup::x25519);
  for (const TlsGroup g : kAllGroups) row(KeyType::ecdsa_p256, g);
}
