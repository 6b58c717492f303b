// The server context's session tickets, through real in-memory handshakes (BIO pairs):
// `tickets = false` must stop resumption for TLS 1.2 and 1.3 (BoringSSL honours
// SSL_OP_NO_TICKET for TLS 1.3 too), and a zero-length SSL_write must send a TLS 1.3
// server's held-back tickets (what TlsStream::handshake relies on, issue #8).
#include <catch2/catch.hpp>

#include <openssl/err.h>

#include "tls/context.hpp"
#include "tls/pki.hpp"

using namespace hopcost;

namespace {

struct Memory {
  bssl::UniquePtr<SSL> ssl;
  BIO* out() const { return SSL_get_wbio(ssl.get()); }
};

Memory make_end(SSL_CTX* ctx, bool server) {
  Memory m{bssl::UniquePtr<SSL>(SSL_new(ctx))};
  SSL_set_bio(m.ssl.get(), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  if (server) {
    SSL_set_accept_state(m.ssl.get());
  } else {
    SSL_set_connect_state(m.ssl.get());
    REQUIRE(SSL_set_tlsext_host_name(m.ssl.get(), "origin"));
    REQUIRE(SSL_set1_host(m.ssl.get(), "origin"));
  }
  return m;
}

// Moves what `from` has written to `to`'s input.
void pump(const Memory& from, const Memory& to) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  REQUIRE(BIO_mem_contents(from.out(), &data, &len));
  if (len > 0) REQUIRE(BIO_write(SSL_get_rbio(to.ssl.get()), data, static_cast<int>(len)) == static_cast<int>(len));
  BIO_reset(from.out());
}

// The sessions the client was given (tickets, or a TLS 1.2 session), newest kept.
struct Sessions {
  int count = 0;
  bssl::UniquePtr<SSL_SESSION> last;
};

int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* s = static_cast<Sessions*>(SSL_get_app_data(ssl));
  ++s->count;
  s->last.reset(session);  // we take the reference
  return 1;
}

struct Outcome {
  bool reused = false;
  size_t server_pending_after_handshake = 0;  // bytes queued when SSL_do_handshake returned 1
  size_t server_zero_write_bytes = 0;         // bytes a zero-length SSL_write then queued
};

// One handshake, offering `offer` if given; then the client reads what the server sent.
Outcome connect(SSL_CTX* server_ctx, SSL_CTX* client_ctx, Sessions& got, SSL_SESSION* offer) {
  Memory c = make_end(client_ctx, false), s = make_end(server_ctx, true);
  SSL_set_app_data(c.ssl.get(), &got);
  if (offer) REQUIRE(SSL_set_session(c.ssl.get(), offer));
  Outcome o;
  int rc = -1, rs = -1;
  for (int i = 0; i < 10 && (rc != 1 || rs != 1); ++i) {
    if (rc != 1) rc = SSL_do_handshake(c.ssl.get());
    pump(c, s);
    if (rs != 1 && (rs = SSL_do_handshake(s.ssl.get())) == 1) {
      o.server_pending_after_handshake = BIO_pending(s.out());
      SSL_write(s.ssl.get(), "", 0);
      ERR_clear_error();
      o.server_zero_write_bytes = BIO_pending(s.out()) - o.server_pending_after_handshake;
    }
    pump(s, c);
  }
  REQUIRE(rc == 1);
  REQUIRE(rs == 1);
  char buf[64];
  CHECK(SSL_read(c.ssl.get(), buf, sizeof buf) < 0);  // takes the tickets; no data
  CHECK(SSL_get_error(c.ssl.get(), -1) == SSL_ERROR_WANT_READ);
  ERR_clear_error();
  o.reused = SSL_session_reused(c.ssl.get()) == 1;
  return o;
}

}  // namespace

TEST_CASE("server tickets on: the client gets a session and resumes, off: none and full handshakes") {
  const Pki pki;
  const Credential leaf = pki.issue("origin");
  const auto version = GENERATE(TlsVersion::v1_2, TlsVersion::v1_3);
  const bool tickets = GENERATE(true, false);
  INFO("TLS " << (version == TlsVersion::v1_2 ? "1.2" : "1.3") << ", tickets " << tickets);
  TlsSettings settings{version};
  settings.tickets = tickets;
  const auto server_ctx = make_server_ctx(settings, leaf);
  const auto client_ctx = make_client_ctx(TlsSettings{version}, pki.ca_cert());
  // A client that keeps sessions, as curl, wrk and h2load do (hopcost's own does not).
  SSL_CTX_set_session_cache_mode(client_ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(client_ctx.get(), on_new_session);

  Sessions got;
  const Outcome first = connect(server_ctx.get(), client_ctx.get(), got, nullptr);
  CHECK_FALSE(first.reused);
  if (version == TlsVersion::v1_3) {
    // Held back by the library until a write; the zero-length write sends them.
    CHECK(first.server_pending_after_handshake == 0);
    CHECK((first.server_zero_write_bytes > 0) == tickets);
    CHECK(got.count == (tickets ? 2 : 0));  // BoringSSL's default: two tickets
  } else {
    CHECK(first.server_zero_write_bytes == 0);  // nothing held back with TLS 1.2
  }
  // Off: no ticket, and no session ID either (no server cache), so nothing to offer.
  CHECK((got.last != nullptr) == tickets);
  if (!got.last) return;
  bssl::UniquePtr<SSL_SESSION> offer = std::move(got.last);
  const Outcome second = connect(server_ctx.get(), client_ctx.get(), got, offer.get());
  CHECK(second.reused == tickets);
}
