// The PostgreSQL client connection (pg/client.hpp) against a scripted backend on
// loopback: SCRAM-SHA-256 done by the fake server side with BoringSSL, queries and their
// rows, server errors with their SQLSTATE, the methods and answers refused, timeouts.
// The real server is checked by hand (client_manual_test.cpp, [.pg-manual]) and by the
// database tail's e2e tests.
#include <catch2/catch.hpp>

#include "tls/boringssl.hpp"  // first: BoringSSL's headers only

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <boost/asio/read.hpp>
#include <cstring>

#include "net/transport.hpp"
#include "pg/client.hpp"
#include "pg/scram.hpp"

using namespace hopcost;
using namespace hopcost::pg;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

struct NullSink final : StatsSink {
  uint64_t wire = 0;
  void add_handshake(TlsSide, const HandshakeDone&) override {}
  void add_wire(TlsSide, uint64_t n) override { wire += n; }
  void add_app(TlsSide, uint64_t) override {}
  void add_record_cpu(TlsSide, uint64_t) override {}
  void note_negotiated(TlsSide, const Negotiated&) override {}
};

std::string int32(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}
std::string msg(char type, const std::string& payload) { return type + int32(payload.size() + 4) + payload; }
std::string auth(uint32_t code, const std::string& rest = {}) { return msg('R', int32(code) + rest); }
std::string ready() { return msg('Z', "I"); }
std::string error_response(const std::string& severity, const std::string& code, const std::string& text) {
  return msg('E', "S" + severity + "\0V"s + severity + "\0C"s + code + "\0M"s + text + "\0\0"s);
}

std::string hmac256(std::string_view key, std::string_view data) {
  uint8_t out[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), key.size(), reinterpret_cast<const uint8_t*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

enum class Auth { scram, scram_bad_signature, scram_no_final, md5, trust };

struct Script {
  std::optional<char> ssl_answer;  // expect an SSLRequest and answer this byte
  bool silent = false;             // accept and answer nothing
  Auth auth = Auth::scram;
  std::string password = "secret";
  std::vector<std::string> answers;  // to each Query, in turn; past the last, none
};

// One connection of a PostgreSQL backend, as scripted.
class FakeBackend {
 public:
  FakeBackend(asio::io_context& io, Script script) : script_(std::move(script)) {
    endpoint_.transport = Transport::tcp;
    acceptor_.emplace(listen_on(io.get_executor(), endpoint_));
  }
  const Endpoint& endpoint() const { return endpoint_; }
  std::string startup;  // the StartupMessage as received
  std::vector<std::string> queries;
  bool terminated = false;

  asio::awaitable<void> serve() {
    auto [ec, s] = co_await acceptor_->async_accept(nothrow);
    if (ec) co_return;
    socket_.emplace(std::move(s));
    co_await run();
    co_await drain();
  }

 private:
  asio::awaitable<bool> read_exactly(std::string& into, size_t n) {
    into.assign(n, '\0');
    auto [ec, got] = co_await asio::async_read(*socket_, asio::buffer(into), nothrow);
    closed_ = closed_ || ec;
    co_return !ec && got == n;
  }
  asio::awaitable<bool> send(const std::string& bytes) {
    auto [ec, n] = co_await asio::async_write(*socket_, asio::buffer(bytes), nothrow);
    co_return !ec;
  }
  // A frontend message with a type byte: (type, payload).
  asio::awaitable<std::optional<std::pair<char, std::string>>> read_message() {
    std::optional<std::pair<char, std::string>> out;
    std::string head, payload;
    if (!co_await read_exactly(head, 5)) co_return out;
    const uint32_t length = static_cast<uint8_t>(head[1]) << 24 | static_cast<uint8_t>(head[2]) << 16 |
                            static_cast<uint8_t>(head[3]) << 8 | static_cast<uint8_t>(head[4]);
    if (!co_await read_exactly(payload, length - 4)) co_return out;
    out.emplace(head[0], std::move(payload));
    co_return out;
  }
  // Until the client closes (once a read has seen it close, another would wait forever).
  asio::awaitable<void> drain() {
    if (closed_) co_return;
    char sink[256];
    while (true) {
      auto [ec, n] = co_await socket_->async_read_some(asio::buffer(sink), nothrow);
      if (ec) co_return;
    }
  }

  asio::awaitable<void> run() {
    if (script_.silent) co_return;
    std::string bytes;
    if (script_.ssl_answer) {
      if (!co_await read_exactly(bytes, 8) || bytes != encode_ssl_request()) co_return;
      const std::string answer(1, *script_.ssl_answer);
      co_await send(answer);
      co_return;  // the fake speaks no TLS
    }
    std::string length, rest;
    if (!co_await read_exactly(length, 4)) co_return;
    const uint32_t n = static_cast<uint8_t>(length[2]) << 8 | static_cast<uint8_t>(length[3]);
    if (!co_await read_exactly(rest, n - 4)) co_return;
    startup = length + rest;
    if (script_.auth == Auth::md5) {
      co_await send(auth(5, "salt"));
      co_return;
    }
    if (script_.auth != Auth::trust && !co_await scram()) co_return;
    const std::string welcome = auth(0) + msg('S', "server_version\0"s + "15.18\0"s) +
                                msg('K', int32(4242) + int32(7)) + ready();
    if (!co_await send(welcome)) co_return;
    for (size_t i = 0;; ++i) {
      auto m = co_await read_message();
      if (!m || m->first == 'X') {
        terminated = m.has_value();
        co_return;
      }
      queries.push_back(m->second);
      if (i >= script_.answers.size()) co_return;  // no answer: the client's timeout
      if (!co_await send(script_.answers[i])) co_return;
    }
  }

  // The server side of SCRAM-SHA-256 (RFC 5802), salt and iterations of its own.
  asio::awaitable<bool> scram() {
    if (!co_await send(auth(10, "SCRAM-SHA-256\0\0"s))) co_return false;
    auto first = co_await read_message();
    if (!first || first->first != 'p') co_return false;
    const std::string& p = first->second;
    const size_t mech_end = p.find('\0');
    if (p.substr(0, mech_end) != "SCRAM-SHA-256") co_return false;
    const std::string client_first = p.substr(mech_end + 5);
    const std::string bare = client_first.substr(3);  // after "n,,"
    const std::string nonce = bare.substr(bare.find("r=") + 2) + "server-part";
    const std::string salt = "0123456789abcdef";
    const std::string server_first = "r=" + nonce + ",s=" + base64_encode(salt) + ",i=4096";
    if (!co_await send(auth(11, server_first))) co_return false;
    auto final = co_await read_message();
    if (!final || final->first != 'p') co_return false;
    const std::string& client_final = final->second;
    const size_t at = client_final.find(",p=");
    const std::string without_proof = client_final.substr(0, at);
    const auto proof = base64_decode(client_final.substr(at + 3));

    uint8_t salted[32];
    PKCS5_PBKDF2_HMAC(script_.password.data(), script_.password.size(), reinterpret_cast<const uint8_t*>(salt.data()),
                      salt.size(), 4096, EVP_sha256(), sizeof salted, salted);
    const std::string salted_s(reinterpret_cast<char*>(salted), sizeof salted);
    const std::string client_key = hmac256(salted_s, "Client Key");
    uint8_t stored[32];
    SHA256(reinterpret_cast<const uint8_t*>(client_key.data()), client_key.size(), stored);
    const std::string auth_message = bare + "," + server_first + "," + without_proof;
    const std::string signature = hmac256(std::string(reinterpret_cast<char*>(stored), 32), auth_message);
    std::string recovered(32, '\0');  // ClientKey = proof XOR ClientSignature
    for (size_t i = 0; proof && proof->size() == 32 && i < 32; ++i) recovered[i] = (*proof)[i] ^ signature[i];
    uint8_t check[32];
    SHA256(reinterpret_cast<const uint8_t*>(recovered.data()), recovered.size(), check);
    if (std::memcmp(check, stored, 32) != 0) {
      const std::string refused =
          error_response("FATAL", "28P01", "password authentication failed for user \"app\"");
      co_await send(refused);
      co_return false;
    }
    std::string server_signature = hmac256(hmac256(salted_s, "Server Key"), auth_message);
    if (script_.auth == Auth::scram_bad_signature) server_signature[0] ^= 1;
    if (script_.auth == Auth::scram_no_final) co_return true;
    co_return co_await send(auth(12, "v=" + base64_encode(server_signature)));
  }

  Script script_;
  Endpoint endpoint_;
  std::optional<Acceptor> acceptor_;
  std::optional<Socket> socket_;
  bool closed_ = false;
};

struct Outcome {
  PgConnectResult connected;
  std::vector<PgQueryResult> queries;
  bool usable_after = false;
};

PgTarget target_for(const Endpoint& e, LinkKind kind = LinkKind::tcp, const std::string& password = "secret") {
  PgTarget t;
  t.link.kind = kind;
  t.link.endpoint = e;
  t.user = "app";
  t.password = password;
  t.database = "bench";
  return t;
}

asio::awaitable<void> client(PgTarget target, std::vector<std::string> sql, NullSink& sink, Outcome& out,
                             std::chrono::milliseconds timeout) {
  out.connected = co_await connect(target, sink, timeout);
  if (!out.connected.connection) co_return;
  for (const auto& q : sql) {
    auto r = co_await out.connected.connection->query(q, timeout);
    out.queries.push_back(std::move(r));
  }
  out.usable_after = out.connected.connection->usable();
  co_await out.connected.connection->close(timeout);
}

// Runs the client against one scripted backend connection.
Outcome run(Script script, std::vector<std::string> sql = {}, const std::string& password = "secret",
            std::chrono::milliseconds timeout = 5s) {
  asio::io_context io(1);
  NullSink sink;
  const bool tls = script.ssl_answer.has_value();
  FakeBackend backend(io, std::move(script));
  Outcome out;
  asio::co_spawn(io, backend.serve(), asio::detached);
  asio::co_spawn(io, client(target_for(backend.endpoint(), tls ? LinkKind::tls : LinkKind::tcp, password),
                            std::move(sql), sink, out, timeout),
                 asio::detached);
  io.run();
  // The connection's timer and socket belong to `io`, which goes when this returns: they
  // must go first (ASan: a heap-use-after-free in the timer's destructor otherwise).
  out.connected.connection.reset();
  return out;
}

const std::string kRows = msg('T', "\0\x01"s + "id\0"s + int32(0) + "\0\0"s + int32(25) + "\xff\xff"s + int32(0xffffffffu) +
                                       "\0\0"s) +
                          msg('D', "\0\x01"s + int32(5) + "hello") + msg('D', "\0\x01"s + int32(0xffffffff)) +
                          msg('C', "SELECT 2\0"s) + ready();

}  // namespace

TEST_CASE("pg client: SCRAM-SHA-256, a query's rows, then Terminate") {
  asio::io_context io(1);
  NullSink sink;
  Script script;
  script.answers = {kRows};
  FakeBackend backend(io, script);
  Outcome out;
  asio::co_spawn(io, backend.serve(), asio::detached);
  asio::co_spawn(io, client(target_for(backend.endpoint()), {"SELECT id FROM t"}, sink, out, 5s), asio::detached);
  io.run();

  INFO((out.connected.error ? out.connected.error->detail : ""));
  REQUIRE(out.connected.error == std::nullopt);
  CHECK(backend.startup ==
        int32(58) + int32(196608) + "user\0app\0database\0bench\0application_name\0hopcost\0\0"s);
  CHECK(out.connected.connection->parameters().at("server_version") == "15.18");
  CHECK(out.connected.connection->backend_key().process_id == 4242);
  CHECK(out.connected.times.authentication > 0ns);
  CHECK(out.connected.times.total >= out.connected.times.authentication);
  CHECK(out.connected.times.scram_cpu_ns > 0);  // PBKDF2 with 4096 iterations at least
  REQUIRE(out.queries.size() == 1);
  const auto& q = out.queries[0];
  CHECK(q.error == std::nullopt);
  CHECK(q.columns == std::vector<std::string>{"id"});
  REQUIRE(q.rows.size() == 2);
  CHECK(q.rows[0][0] == "hello");
  CHECK(q.rows[1][0] == std::nullopt);
  CHECK(q.value_bytes == 5);
  CHECK(q.tag == "SELECT 2");
  CHECK(backend.queries == std::vector<std::string>{"SELECT id FROM t\0"s});
  CHECK(out.usable_after);
  CHECK(backend.terminated);
}

TEST_CASE("pg client: a wrong password is the server's 28P01") {
  const Outcome out = run(Script{}, {}, "not-the-password");
  REQUIRE(out.connected.error);
  CHECK(out.connected.connection == nullptr);
  CHECK(out.connected.error->kind == ErrorKind::status);
  CHECK(out.connected.error->phase == PgPhase::startup);
  CHECK(out.connected.error->sqlstate == "28P01");
  CHECK_THAT(out.connected.error->detail, Catch::Contains("password authentication failed"));
}

TEST_CASE("pg client: a server that cannot prove it knows the password is refused") {
  Script bad;
  bad.auth = Auth::scram_bad_signature;
  const Outcome a = run(bad);
  REQUIRE(a.connected.error);
  CHECK(a.connected.error->kind == ErrorKind::status);
  CHECK_THAT(a.connected.error->detail, Catch::Contains("server signature does not match"));

  Script skipped;
  skipped.auth = Auth::scram_no_final;  // AuthenticationOk straight after client-final
  const Outcome b = run(skipped);
  REQUIRE(b.connected.error);
  CHECK_THAT(b.connected.error->detail, Catch::Contains("without proving"));
}

TEST_CASE("pg client: any method but SCRAM-SHA-256 is refused, naming it") {
  Script md5;
  md5.auth = Auth::md5;
  const Outcome a = run(md5);
  REQUIRE(a.connected.error);
  CHECK(a.connected.error->kind == ErrorKind::status);
  CHECK(a.connected.error->detail == "the server asks for md5; hopcost speaks SCRAM-SHA-256 only");

  Script trust;
  trust.auth = Auth::trust;
  const Outcome b = run(trust);
  REQUIRE(b.connected.error);
  CHECK_THAT(b.connected.error->detail, Catch::Contains("without authentication"));
}

TEST_CASE("pg client: the SSLRequest's answer: 'N' is a refusal, anything but 'S' a protocol error") {
  Script refused;
  refused.ssl_answer = 'N';
  const Outcome a = run(refused);
  REQUIRE(a.connected.error);
  CHECK(a.connected.error->kind == ErrorKind::handshake);
  CHECK(a.connected.error->phase == PgPhase::tls);
  CHECK_THAT(a.connected.error->detail, Catch::Contains("refused TLS"));

  Script garbage;
  garbage.ssl_answer = 'E';
  const Outcome b = run(garbage);
  REQUIRE(b.connected.error);
  CHECK(b.connected.error->kind == ErrorKind::read);
  CHECK_THAT(b.connected.error->detail, Catch::Contains("protocol error") && Catch::Contains("'E'"));
}

TEST_CASE("pg client: a query's ErrorResponse keeps the connection, a broken answer does not") {
  Script script;
  script.answers = {error_response("ERROR", "42P01", "relation \"nope\" does not exist") + ready(), kRows,
                    msg('D', "\0\x01"s) + ready()};  // a DataRow cut short
  const Outcome out = run(script, {"SELECT * FROM nope", "SELECT id FROM t", "SELECT id FROM t"});
  REQUIRE(out.connected.error == std::nullopt);
  REQUIRE(out.queries.size() == 3);
  REQUIRE(out.queries[0].error);
  CHECK(out.queries[0].error->kind == ErrorKind::status);
  CHECK(out.queries[0].error->phase == PgPhase::query);
  CHECK(out.queries[0].error->sqlstate == "42P01");
  CHECK(out.queries[1].error == std::nullopt);
  CHECK(out.queries[1].rows.size() == 2);
  REQUIRE(out.queries[2].error);
  CHECK(out.queries[2].error->kind == ErrorKind::read);
  CHECK_THAT(out.queries[2].error->detail, Catch::Contains("malformed DataRow"));
  CHECK_FALSE(out.usable_after);
}

TEST_CASE("pg client: every wait is bounded: a silent server at connect, an unanswered query") {
  Script silent;
  silent.silent = true;
  const Outcome a = run(silent, {}, "secret", 200ms);
  REQUIRE(a.connected.error);
  CHECK(a.connected.error->kind == ErrorKind::timeout);
  CHECK(a.connected.error->phase == PgPhase::connect);

  Script unanswered;  // no answers: the query waits
  const Outcome b = run(unanswered, {"SELECT 1", "SELECT 1"}, "secret", 300ms);
  REQUIRE(b.connected.error == std::nullopt);
  REQUIRE(b.queries.size() == 2);
  REQUIRE(b.queries[0].error);
  CHECK(b.queries[0].error->kind == ErrorKind::timeout);
  REQUIRE(b.queries[1].error);  // the connection was aborted: nothing more is sent
  CHECK_THAT(b.queries[1].error->detail, Catch::Contains("closed"));
  CHECK_FALSE(b.usable_after);
}

TEST_CASE("pg client: refused targets: tls over a Unix socket, nothing listening") {
  CHECK(link_problem(LinkKind::tls_uds));
  CHECK_FALSE(link_problem(LinkKind::tls));
  CHECK_FALSE(link_problem(LinkKind::tcp));
  CHECK_FALSE(link_problem(LinkKind::uds));

  asio::io_context io(1);
  NullSink sink;
  Endpoint uds{Transport::uds, "", 0, "/nonexistent/pg.sock"};
  Outcome tls_uds, refused;
  asio::co_spawn(io, client(target_for(uds, LinkKind::tls_uds), {}, sink, tls_uds, 1s), asio::detached);
  Endpoint closed;
  {
    Acceptor a = listen_on(io.get_executor(), closed);  // a port nothing listens on once closed
  }
  asio::co_spawn(io, client(target_for(closed), {}, sink, refused, 1s), asio::detached);
  io.run();
  REQUIRE(tls_uds.connected.error);
  CHECK_THAT(tls_uds.connected.error->detail, Catch::Contains("only on a TCP connection"));
  REQUIRE(refused.connected.error);
  CHECK(refused.connected.error->kind == ErrorKind::connect);
}
